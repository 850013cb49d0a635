// The WAGI contract (CGI/1.1 for WASI command modules): the environment and arguments of one request,
// and the guest's stdout parsed back into an HTTP response (header block, blank line, body).
import type { IncomingHttpHeaders } from 'node:http';

export const GATEWAY_INTERFACE = 'CGI/1.1';

/**
 * Request headers never passed as HTTP_*: credentials and hop-by-hop (RFC 3875 4.1.18, as WAGI and Spin do),
 * and Proxy (HTTP_PROXY is a proxy setting to many programs: "httpoxy").
 */
const SKIPPED_HEADERS = new Set(['authorization', 'connection', 'proxy']);

/** Response headers a handler may not set: they describe the connection or framing, which the server owns. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'trailer', 'te', 'proxy-connection']);

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Field values: visible ASCII, latin-1, spaces and tabs (no CR, LF or other controls). */
const VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A request that cannot be mapped onto the CGI environment (the client gets a 400 naming why). */
export class BadRequest extends Error {}

/** Percent-decodes `text`; malformed escapes and NUL (which no environment variable may hold) are a BadRequest. */
export function decodePercent(text: string, what: string): string {
  if (!text.includes('%')) return text;
  let out: string;
  try {
    out = decodeURIComponent(text);
  } catch {
    throw new BadRequest(`malformed percent-encoding in the ${what}`);
  }
  if (out.includes('\0')) throw new BadRequest(`the ${what} decodes to a NUL character`);
  return out;
}

/** The parts of a request the CGI variables are made of. */
export interface CgiRequest {
  method: string;
  /** The raw path (no query), as received. */
  path: string;
  /** Without the "?". */
  query: string;
  headers: IncomingHttpHeaders;
  httpVersion: string;
  bodyLength: number;
  remoteAddress: string;
  /** The listener's address and port (SERVER_NAME/SERVER_PORT when the request has no Host header). */
  localName: string;
  localPort: number;
}

/** The route parts of the CGI variables (fixed per route). */
export interface CgiRoute {
  /** As written in the config: "/hello", "/api/...". */
  path: string;
  /** The exact path, or the prefix of a wildcard route without "/...". */
  prefix: string;
  wildcard: boolean;
  /** Environment from the config (the request's CGI variables take precedence). */
  env: Readonly<Record<string, string>>;
}

/** HTTP_* names of header names seen (common ones repeat on every request); bounded. */
const metaNames = new Map<string, string>();

/** "x-forwarded-for" -> "HTTP_X_FORWARDED_FOR" (RFC 3875 4.1.18). */
function metaName(header: string): string {
  let m = metaNames.get(header);
  if (m === undefined) {
    m = `HTTP_${header.toUpperCase().replace(/-/g, '_')}`;
    if (metaNames.size < 1024) metaNames.set(header, m);
  }
  return m;
}

/** "host:port", "[::1]:8080", "host" -> name and port (`port` when the header has none). */
export function splitHost(host: string, port: string): [string, string] {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  if (!m) return [host, port];
  return [m[1]!, m[2] || port];
}

/** What cgiEnvironment() refuses about a request's path and query (BadRequest), for handlers that read neither. */
export function checkRequestPath(path: string, query: string): void {
  decodePercent(path, 'path');
  if (query.includes('%')) for (const a of query.split('&')) decodePercent(a, 'query string');
}

/** The CGI/1.1 (+ WAGI) environment of one request, and its arguments (the path, then each query parameter). */
export function cgiEnvironment(route: CgiRoute, req: CgiRequest, serverSoftware: string): { env: Record<string, string>; argv0: string; args: string[] } {
  const env: Record<string, string> = { ...route.env };
  const rawPathInfo = route.wildcard ? req.path.slice(route.prefix.length) : '';
  const pathInfo = decodePercent(rawPathInfo, 'path');
  const hostHeader = typeof req.headers.host === 'string' && req.headers.host !== '' ? req.headers.host : undefined;
  // A Host header without a port means the scheme's default (80), as the client sees it (and as Spin does).
  const [serverName, serverPort] = hostHeader ? splitHost(hostHeader, '80') : [req.localName, String(req.localPort)];
  const contentType = req.headers['content-type'];
  env['AUTH_TYPE'] = '';
  env['CONTENT_LENGTH'] = String(req.bodyLength);
  env['CONTENT_TYPE'] = typeof contentType === 'string' ? contentType : '';
  env['GATEWAY_INTERFACE'] = GATEWAY_INTERFACE;
  env['PATH_INFO'] = pathInfo;
  env['PATH_TRANSLATED'] = pathInfo;
  env['QUERY_STRING'] = req.query;
  env['REMOTE_ADDR'] = req.remoteAddress;
  env['REMOTE_HOST'] = req.remoteAddress;
  env['REMOTE_USER'] = '';
  env['REQUEST_METHOD'] = req.method;
  env['SCRIPT_NAME'] = route.wildcard ? route.prefix || '/' : route.path;
  env['SERVER_NAME'] = serverName;
  env['SERVER_PORT'] = serverPort;
  env['SERVER_PROTOCOL'] = `HTTP/${req.httpVersion}`;
  env['SERVER_SOFTWARE'] = serverSoftware;
  env['X_FULL_URL'] = `http://${hostHeader ?? `${req.localName}:${req.localPort}`}${req.path}${req.query ? `?${req.query}` : ''}`;
  env['X_MATCHED_ROUTE'] = route.path;
  env['X_RAW_PATH_INFO'] = rawPathInfo;
  for (const name in req.headers) {
    // "x_real_ip" would land on the same HTTP_X_REAL_IP as a proxy's "x-real-ip": names with "_" are dropped (as Apache and nginx do)
    if (SKIPPED_HEADERS.has(name) || name.includes('_')) continue;
    const v = req.headers[name];
    if (v === undefined) continue;
    env[metaName(name)] = Array.isArray(v) ? v.join(', ') : v;
  }
  const args = req.query === '' ? [] : req.query.split('&').filter((a) => a !== '').map((a) => decodePercent(a, 'query string'));
  return { env, argv0: decodePercent(req.path, 'path'), args };
}

/** A handler's response, parsed from its stdout. */
export interface CgiResponse {
  status: number;
  reason: string | undefined;
  /** By lower-case name; a repeated header's values in an array. Frozen when it came from a cache (shared). */
  headers: Readonly<Record<string, string | string[]>>;
  /** The same headers as a flat list in the order written: name, value, name, value... (frozen when from a cache). */
  list: readonly string[];
  body: Buffer;
}

/**
 * A route's last header block (the bytes up to and including the blank line) and what it parsed to: a
 * handler mostly writes the same headers every time, and the same bytes parse the same way.
 */
export class ResponseHeadCache {
  head: Buffer | undefined;
  status = 0;
  reason: string | undefined;
  headers: Readonly<Record<string, string>> = {};
  list: readonly string[] = [];
}

/**
 * Parses a handler's stdout: header lines (CR ignored), a blank line, then the body. At least one of
 * content-type, status or location must be present; location without status is a 302. Returns a string
 * (why, for the server log) when the output is not a valid response: the client then gets a 500.
 * With a cache, a header block byte-identical to the cached one is not parsed again.
 */
export function parseCgiResponse(out: Buffer, cache?: ResponseHeadCache): CgiResponse | string {
  const cached = cache?.head;
  if (cached !== undefined && out.length >= cached.length && out.compare(cached, 0, cached.length, 0, cached.length) === 0) {
    return { status: cache!.status, reason: cache!.reason, headers: cache!.headers, list: cache!.list, body: out.subarray(cached.length) };
  }
  let pos = 0;
  let status: number | undefined;
  let reason: string | undefined;
  let sufficient = false;
  let location = false;
  const headers: Record<string, string | string[]> = {};
  const list: string[] = [];
  for (;;) {
    const nl = out.indexOf(10, pos);
    if (nl < 0) return pos === 0 && out.length === 0 ? 'the handler wrote nothing' : 'no blank line after the header block';
    let line = out.toString('latin1', pos, nl);
    pos = nl + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') break;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    if (!TOKEN_RE.test(name)) return `invalid header line ${JSON.stringify(line.length > 60 ? line.slice(0, 57) + '...' : line)}`;
    const value = line.slice(colon + 1).trim();
    if (!VALUE_RE.test(value)) return `invalid value of header ${name}`;
    if (name === 'status') {
      const m = /^(\d{3})(?:\s+(.*))?$/.exec(value);
      const code = m ? Number(m[1]) : 0;
      if (!m || code < 200 || code > 599) return `invalid status ${JSON.stringify(value)} (expected a code from 200 to 599)`;
      status = code;
      reason = m[2] || undefined;
      sufficient = true;
      continue;
    }
    if (name === 'content-type') sufficient = true;
    if (name === 'location') sufficient = location = true;
    if (HOP_BY_HOP.has(name)) continue;
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    list.push(name, value);
  }
  if (!sufficient) return 'the header block has none of content-type, status or location';
  const code = status ?? (location ? 302 : 200);
  if (cache && Object.values(headers).every((v) => typeof v === 'string')) {
    cache.head = Buffer.from(out.subarray(0, pos)); // a copy: the cache outlives the run's output
    cache.status = code;
    cache.reason = reason;
    cache.headers = Object.freeze({ ...(headers as Record<string, string>) });
    cache.list = Object.freeze(list.slice());
  }
  return { status: code, reason, headers, list, body: out.subarray(pos) };
}
