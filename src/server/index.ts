// `warden serve` as a library: startServer() runs WASI command modules as HTTP handlers (WAGI contract),
// a fresh sandbox per request, from a config file or config data.
export { startServer, SERVER_SOFTWARE, type ServeOptions, type WardenServer } from './server.js';
export { loadConfig, loadConfigFile, normalizeConfig, SERVER_CONFIG_SPEC, ROUTE_SPEC, ROUTE_LIMITS_SPEC, SERVE_DEFAULTS, type ServerConfig, type LoadedConfig, type RouteSpec } from './config.js';
export { cgiEnvironment, parseCgiResponse, ResponseHeadCache, type CgiResponse } from './cgi.js';
