// `warden serve [CONFIG] [--listen HOST:PORT] [--metrics HOST:PORT|off]`: the HTTP edge-function server
// (src/server) until SIGTERM/SIGINT (graceful drain); SIGHUP reloads the config. Logs are JSON lines on stdout.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../errors.js';
import { parseListen } from '../server/config.js';
import { lineWriter } from '../server/log.js';
import { startServer, type ServeOptions } from '../server/server.js';
import { UsageError, type FlagDef } from './flags.js';

export interface ServeState {
  listen?: { host: string; port: number };
  metrics?: { host: string; port: number } | false;
  watch?: boolean;
  processes?: number;
}

const listenFlag = (what: string, v: string): { host: string; port: number } => {
  try {
    return parseListen(v, what, 'flag');
  } catch {
    throw new UsageError(`expected HOST:PORT or PORT (port 0-65535), got ${JSON.stringify(v)}`);
  }
};

export const SERVE_FLAGS: readonly FlagDef<ServeState>[] = [
  { name: 'listen', value: 'HOST:PORT', help: 'Address for requests (default: the config\'s server.listen, else 127.0.0.1:8080)', apply: (s, v) => void (s.listen = listenFlag('--listen', v)) },
  {
    name: 'metrics',
    value: 'HOST:PORT|off',
    help: 'Address of the Prometheus /metrics listener (default: server.metrics, else 127.0.0.1:9090)',
    apply: (s, v) => void (s.metrics = v === 'off' ? false : listenFlag('--metrics', v)),
  },
  {
    name: 'processes',
    value: 'N',
    help: 'Server processes sharing the listener (default: server.processes, else 1)',
    apply: (s, v) => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1 || n > 256) throw new UsageError(`expected a whole number from 1 to 256, got ${JSON.stringify(v)}`);
      s.processes = n;
    },
  },
  { name: 'no-watch', help: 'Do not reload when the config or a module file changes (SIGHUP still reloads)', apply: (s) => void (s.watch = false) },
];

export const SERVE_USAGE = 'warden serve [--listen HOST:PORT] [--metrics HOST:PORT|off] [--processes N] [CONFIG.toml]';
export const SERVE_SUMMARY = 'Serve WASI modules as HTTP handlers (WAGI), a fresh sandbox per request';
export const SERVE_EXIT_CODES = `Exit status:
  0      stopped by SIGTERM or SIGINT after in-flight requests finished
  2      usage error, or an invalid config (the message names the file and field)
  70     internal error (a bug in Warden)`;

/** The bundled example config: what `warden serve` serves without a CONFIG (and no ./warden.toml). */
export const EXAMPLE_CONFIG = fileURLToPath(new URL('../../../examples/serve/warden.toml', import.meta.url));

export async function serveCommand(state: ServeState, positional: readonly string[]): Promise<number> {
  const [given, ...extra] = positional;
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} (usage: ${SERVE_USAGE})`);
  const config = given ?? (existsSync('warden.toml') ? 'warden.toml' : EXAMPLE_CONFIG);
  const log = lineWriter(1);
  const opts: ServeOptions = { log };
  if (state.listen) (opts.host = state.listen.host), (opts.port = state.listen.port);
  if (state.metrics === false) opts.metricsPort = false;
  else if (state.metrics) (opts.metricsHost = state.metrics.host), (opts.metricsPort = state.metrics.port);
  if (state.watch !== undefined) opts.watch = state.watch;
  if (state.processes !== undefined) opts.processes = state.processes;
  const server = await startServer(config, opts);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        log(JSON.stringify({ time: new Date().toISOString(), msg: `second ${signal}: exiting without draining` }));
        process.exit(1);
      }
      stopping = true;
      log(JSON.stringify({ time: new Date().toISOString(), msg: `${signal}: draining in-flight requests` }));
      server.close().then(
        () => resolve(0),
        (e: unknown) => {
          throw e instanceof WardenError ? e : new WardenError('internal', `internal error: ${String(e)}`);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void server.reload().catch(() => {})); // the server logs why a reload failed
  });
}
