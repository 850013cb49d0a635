// `warden serve` as a library: an HTTP server running a fresh sandbox per request under per-route limits
// (WAGI contract), with admission control, JSON request logs, Prometheus metrics on a separate listener,
// reload without dropping requests (API, SIGHUP in the CLI, file watch) and graceful draining shutdown.
import cluster from 'node:cluster';
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WardenError } from '../errors.js';
import type { RunOptions, RunResult } from '../sandbox/options.js';
import { createWorkerPool, type WorkerPool } from '../workers/index.js';
import { BadRequest, cgiEnvironment, checkRequestPath, parseCgiResponse } from './cgi.js';
import { startCluster } from './cluster.js';
import { loadConfig, type LoadedConfig, type ServerConfig } from './config.js';
import { isoNow, requestLine, type RequestRecord } from './log.js';
import { ServerMetrics, metricsHandler } from './metrics.js';
import { buildRoutes, type Route, type RouteTable } from './routes.js';

export interface ServeOptions {
  /** Listen on this port instead of the config's (0: an ephemeral port). */
  port?: number;
  /** Listen on this host instead of the config's. */
  host?: string;
  /** Serve /metrics on this port instead of the config's (0: ephemeral); `false` turns the listener off. */
  metricsPort?: number | false;
  /** Host of the metrics listener (default: the config's, else the request listener's host). */
  metricsHost?: string;
  /** Receives each log line (one JSON object, no newline). Default: written to stdout. */
  log?: (line: string) => void;
  /** Reload on config/module file changes (default: the config's server.watch, true unless set). */
  watch?: boolean;
  /** Server processes (default: the config's server.processes, else 1); more than 1 needs a config file. */
  processes?: number;
  /** @internal A cluster's server process: no "listening" line of its own (the primary writes it). */
  quiet?: boolean;
}

export interface WardenServer {
  /** The request listener, e.g. "http://127.0.0.1:8080". */
  readonly url: string;
  /** The metrics endpoint, e.g. "http://127.0.0.1:9090/metrics" (undefined when turned off). */
  readonly metricsUrl: string | undefined;
  /** The configuration in use. */
  readonly config: LoadedConfig;
  /** This process's metrics in the Prometheus text format ("" for a cluster's primary: scrape metricsUrl). */
  metrics(): string;
  /** Re-reads the config (and modules) and switches to it; in-flight requests finish on the old one. Rejects (keeping the old config) if it is invalid. */
  reload(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to server.drain-timeout), then closes everything. */
  close(): Promise<void>;
}

const VERSION = ((): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0';
  }
})();
export const SERVER_SOFTWARE = `Warden/${VERSION} WAGI/1`;

/** Guest stderr kept in a request's log line at most (the rest is counted, not logged). */
const STDERR_LOG_BYTES = 4096;
const RELOAD_DEBOUNCE_MS = 150;
const EMPTY = Buffer.alloc(0);
/** Response bodies up to this size are handed to Node as a latin1 string (see respond()). */
const SMALL_BODY_BYTES = 4096;

/** What a client is told: a status and a short reason, never guest internals. */
const ERROR_BODIES: Record<number, string> = {
  400: 'bad request',
  404: 'not found',
  408: 'request timeout',
  413: 'request body too large',
  431: 'request header fields too large',
  500: 'internal server error',
  503: 'service unavailable: too many requests for this route',
  504: 'gateway timeout: the handler did not finish in time',
};

/** Headers of those error responses (flat name/value lists), 503 with a retry-after. */
const ERROR_HEADERS: readonly string[] = Object.freeze(['content-type', 'text/plain; charset=utf-8']);
const RETRY_HEADERS: readonly string[] = Object.freeze([...ERROR_HEADERS, 'retry-after', '1']);

/** Run errors that are a limit (or trap) of the guest: 500, and counted as limit hits. */
const LIMIT_KINDS = new Set(['fuel', 'memory', 'output-limit', 'trap', 'stack-overflow', 'timeout']);

export async function startServer(config: ServerConfig | string, opts: ServeOptions = {}): Promise<WardenServer> {
  const log = opts.log ?? ((line: string) => void process.stdout.write(line + '\n'));
  const event = (msg: string, fields: Record<string, unknown> = {}): void => log(JSON.stringify({ time: isoNow(), msg, ...fields }));

  let current = loadConfig(config);
  const settings = current.server;
  const processes = opts.processes ?? settings.processes;
  if (processes > 1 && cluster.isPrimary) {
    if (typeof config !== 'string') throw new WardenError('config', `server.processes = ${processes} needs a config file (each process reads it): pass its path`);
    return startCluster(config, processes, opts);
  }
  let table: RouteTable = await buildRoutes(current, undefined);
  const metrics = new ServerMetrics();
  let pool: WorkerPool | undefined;
  const workerPool = (): WorkerPool => (pool ??= createWorkerPool({ size: settings.workers, maxQueue: 1_000_000, niceness: settings.workerNiceness }));
  if (table.routes.some((r) => r.spec.isolation === 'worker')) workerPool();
  metrics.gauges = () => table.routes.map((r) => ({ route: r.spec.path, inFlight: r.gate.active, queued: r.gate.queued }));
  metrics.workersReplaced = () => pool?.replaced ?? 0;

  let inFlight = 0;
  let listenPort = 0;
  let draining = false;
  let onIdle: (() => void) | undefined;

  const server: Server = createServer({
    headersTimeout: settings.headerTimeoutMs,
    requestTimeout: settings.bodyTimeoutMs,
    keepAliveTimeout: settings.idleTimeoutMs,
    maxHeaderSize: settings.maxHeaderBytes,
    connectionsCheckingInterval: Math.min(1000, settings.headerTimeoutMs),
  });
  // Node would silently drop fields past maxHeadersCount (the Host header among them): keep them all (their
  // bytes are capped by maxHeaderSize) and refuse a request over the count with a 431 in the handler.
  server.maxHeadersCount = 0;

  const listenHost = opts.host ?? settings.listen.host;
  const localName = (): string => opts.host ?? settings.name ?? settings.listen.host;

  function finish(rec: RequestRecord, t0: number): void {
    rec.durationMs = Math.round((performance.now() - t0) * 1000) / 1000;
    metrics.request(rec.route, rec.status, rec.durationMs / 1000, rec.fuel, rec.limit);
    log(requestLine(rec));
  }

  /** `list`: header names and values, flat (name, value, name, value...): writeHead takes it as is, with no object to walk. */
  function respond(res: ServerResponse, rec: RequestRecord, status: number, list: readonly string[], body: Buffer | string, reason?: string, close = false): void {
    rec.status = status;
    const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    rec.bytesOut = bytes;
    const length = String(bytes);
    const headers = close || draining ? [...list, 'connection', 'close', 'content-length', length] : [...list, 'content-length', length];
    try {
      if (reason !== undefined) res.writeHead(status, reason, headers);
      else res.writeHead(status, headers);
    } catch (e) {
      // a header the guest wrote that Node refuses (the parser is strict already: a last guard)
      rec.error = `response headers refused: ${(e as Error).message}`;
      return respondError(res, rec, 500);
    }
    // A string body (our own texts) as it is; a small Buffer body as a latin1 string (byte for byte the same): Node
    // then writes the header block and the body as one string in one write, where a Buffer body is a second chunk
    // (corked, then a writev).
    if (typeof body === 'string') res.end(body);
    else res.end(bytes <= SMALL_BODY_BYTES ? body.toString('latin1') : body, 'latin1');
  }

  function respondError(res: ServerResponse, rec: RequestRecord, status: number, close = false): void {
    respond(res, rec, status, status === 503 ? RETRY_HEADERS : ERROR_HEADERS, `${status} ${ERROR_BODIES[status] ?? 'error'}\n`, undefined, close);
  }

  /** Reads the whole body (at most `cap` bytes) before a sandbox slot is taken; null when it was too large (413 sent). */
  function readBody(req: IncomingMessage, cap: number): Promise<Buffer | 'too-large' | 'aborted'> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let done = false;
      const end = (v: Buffer | 'too-large' | 'aborted'): void => {
        if (done) return;
        done = true;
        req.off('data', onData);
        resolve(v);
      };
      const onData = (chunk: Buffer): void => {
        total += chunk.length;
        if (total > cap) {
          req.pause();
          return end('too-large');
        }
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('end', () => end(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)));
      req.once('error', () => end('aborted'));
      req.once('close', () => end(req.complete ? (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)) : 'aborted'));
    });
  }

  // Not async: returning the run's own promise saves the ticks of adopting it.
  function runRoute(route: Route, options: RunOptions): Promise<RunResult> {
    if (route.spec.isolation === 'worker') return workerPool().run(route.module, options);
    return route.module.run(options);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const raw = req.url ?? '';
    const rec: RequestRecord = {
      time: isoNow(),
      method: req.method ?? '',
      path: raw.length > 200 ? raw.slice(0, 200) + '...' : raw,
      route: '',
      status: 0,
      durationMs: 0,
      fuel: 0,
      bytesIn: 0,
      bytesOut: 0,
      remote: req.socket.remoteAddress ?? '',
    };
    inFlight++;
    try {
      await serveRequest(req, res, rec);
    } catch (e) {
      rec.error = `internal error: ${e instanceof Error ? e.message : String(e)}`;
      if (!res.headersSent) respondError(res, rec, 500);
      else res.destroy();
    } finally {
      finish(rec, t0);
      if (--inFlight === 0 && onIdle) onIdle();
    }
  }

  async function serveRequest(req: IncomingMessage, res: ServerResponse, rec: RequestRecord): Promise<void> {
    if (req.rawHeaders.length / 2 > settings.maxHeaders) {
      rec.error = `more than ${settings.maxHeaders} header fields`;
      return respondError(res, rec, 431, true);
    }
    // The path and query: origin-form "/path?query", or absolute-form "http://host/path?query".
    let target = req.url ?? '';
    if (!target.startsWith('/')) {
      let u: URL | undefined;
      try {
        u = /^https?:\/\//i.test(target) ? new URL(target) : undefined;
      } catch {
        u = undefined;
      }
      if (!u) {
        rec.error = 'request target is not a path';
        return respondError(res, rec, 400, true);
      }
      target = u.pathname + u.search;
    }
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = q < 0 ? '' : target.slice(q + 1);
    const route = table.match(path);
    if (!route) return respondError(res, rec, 404);
    rec.route = route.spec.path;
    const cap = route.spec.limits.bodyBytes;
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > cap) {
      rec.error = `content-length ${declared} above the route's body limit of ${cap} bytes`;
      return respondError(res, rec, 413, true);
    }
    // Refused early under overload (cheaper than reading a body that cannot be run).
    if (route.gate.full) return respondError(res, rec, 503, declared !== undefined && declared !== '0' || req.headers['transfer-encoding'] !== undefined);

    // The whole body first (bounded by the body timeout of the HTTP server): a slow client holds no sandbox slot.
    // Without Content-Length or Transfer-Encoding an HTTP/1.1 request has no body (RFC 9112 6.3).
    const body = declared === undefined && req.headers['transfer-encoding'] === undefined ? EMPTY : await readBody(req, cap);
    if (body === 'aborted') {
      rec.error = 'client went away while sending the body';
      rec.status = 499;
      return;
    }
    if (body === 'too-large') {
      rec.error = `body above the route's limit of ${cap} bytes`;
      return respondError(res, rec, 413, true);
    }
    rec.bytesIn = body.length;

    let cgi: ReturnType<typeof cgiEnvironment> | undefined;
    try {
      // A module that imports neither environ_* nor args_* cannot read them: the request is only checked.
      if (!route.readsEnvOrArgs) checkRequestPath(path, query);
      else cgi = cgiEnvironment(
        route.cgi,
        {
          method: rec.method,
          path,
          query,
          headers: req.headers,
          httpVersion: req.httpVersion,
          bodyLength: body.length,
          remoteAddress: rec.remote,
          localName: localName(),
          localPort: listenPort, // the socket's own localPort costs a getsockname() per request
        },
        SERVER_SOFTWARE,
      );
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      rec.error = e.message;
      return respondError(res, rec, 400);
    }

    // Admission: a slot now, a place in the route's bounded queue, or 503.
    const slot = route.gate.enter();
    if (slot === false) return respondError(res, rec, 503);
    if (slot !== true) {
      const gone = (): void => slot.cancel();
      res.once('close', gone);
      const got = await slot.ready;
      res.off('close', gone);
      if (!got) {
        rec.error = 'client went away while queued';
        rec.status = 499;
        return;
      }
    }
    let result: RunResult;
    try {
      const options: RunOptions = cgi ? { argv0: cgi.argv0, args: cgi.args, env: cgi.env, limits: route.limits } : { limits: route.limits };
      if (body.length > 0) options.stdin = body;
      if (route.dirs.length > 0) options.dirs = route.dirs;
      result = await runRoute(route, options);
    } catch (e) {
      // host-side refusals: the worker pool is closing or busy -> 503; anything else is the server's fault
      if (e instanceof WardenError && (e.kind === 'busy' || e.kind === 'cancelled')) {
        rec.error = e.message;
        return respondError(res, rec, 503);
      }
      throw e;
    } finally {
      route.gate.leave(); // before writing the response: a slow reader holds no slot
    }
    rec.fuel = result.fuelUsed;
    if (result.stderr.length > 0) {
      rec.stderr = result.stderr.toString('utf8', 0, Math.min(result.stderr.length, STDERR_LOG_BYTES)) + (result.stderr.length > STDERR_LOG_BYTES ? `... (${result.stderr.length} bytes)` : '');
    }
    if (result.error) {
      const kind = result.error.kind;
      rec.error = result.error.message;
      if (LIMIT_KINDS.has(kind)) rec.limit = kind;
      return respondError(res, rec, kind === 'timeout' ? 504 : 500);
    }
    if (result.exitCode !== 0) {
      rec.exitCode = result.exitCode;
      rec.error = `handler exited with code ${result.exitCode}`;
      return respondError(res, rec, 500);
    }
    const parsed = parseCgiResponse(result.stdout, route.head);
    if (typeof parsed === 'string') {
      rec.error = `invalid handler response: ${parsed}`;
      return respondError(res, rec, 500);
    }
    respond(res, rec, parsed.status, parsed.list, parsed.body, parsed.reason);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => void handle(req, res));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Node's parser refused the request: header overflow 431, timeouts 408, anything else 400.
    const code = err.code ?? '';
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const rec: RequestRecord = { time: isoNow(), method: '', path: '', route: '', status, durationMs: 0, fuel: 0, bytesIn: 0, bytesOut: 0, remote: socket.remoteAddress ?? '', error: `${code || 'client error'}: ${err.message}` };
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const body = `${status} ${ERROR_BODIES[status]}\n`;
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    rec.bytesOut = body.length;
    metrics.request('', status, 0, 0, undefined);
    log(requestLine(rec));
  });

  const listen = (srv: Server, port: number, host: string): Promise<AddressInfo> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(new WardenError('config', `cannot listen on ${host}:${port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      srv.once('error', onError);
      srv.listen(port, host, () => {
        srv.off('error', onError);
        resolve(srv.address() as AddressInfo);
      });
    });
  const urlOf = (a: AddressInfo): string => `http://${a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;

  let addr: AddressInfo;
  try {
    addr = await listen(server, opts.port ?? settings.listen.port, listenHost);
  } catch (e) {
    await pool?.close();
    throw e;
  }
  listenPort = addr.port;
  const url = urlOf(addr);

  let metricsServer: Server | undefined;
  let metricsUrl: string | undefined;
  const metricsPort = opts.metricsPort === false ? undefined : opts.metricsPort ?? settings.metrics?.port;
  if (metricsPort !== undefined) {
    metricsServer = createServer(metricsHandler(() => metrics.render()));
    metricsServer.keepAliveTimeout = settings.idleTimeoutMs;
    try {
      const maddr = await listen(metricsServer, metricsPort, opts.metricsHost ?? (opts.metricsPort !== undefined ? listenHost : settings.metrics?.host ?? listenHost));
      metricsUrl = `${urlOf(maddr)}/metrics`;
    } catch (e) {
      server.close();
      await pool?.close();
      throw e;
    }
  }

  // Reload: build the new table completely, then switch; a bad config keeps the old one.
  let reloading: Promise<void> | undefined;
  let reloadAgain = false;
  async function doReload(): Promise<void> {
    const next = loadConfig(config);
    const nextTable = await buildRoutes(next, table);
    if (JSON.stringify(next.server) !== JSON.stringify(settings)) event('reload: changes to [server] take effect on restart (routes and [limits] are reloaded)');
    if (nextTable.routes.some((r) => r.spec.isolation === 'worker')) workerPool();
    current = next;
    table = nextTable;
    metrics.reloads++;
    event('reloaded', { routes: table.routes.map((r) => r.spec.path) });
    rewatch();
  }
  function reload(): Promise<void> {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = doReload()
      .catch((e: unknown) => {
        metrics.reloadFailures++;
        event('reload failed, keeping the previous configuration', { error: e instanceof Error ? e.message : String(e) });
        throw e;
      })
      .finally(() => {
        reloading = undefined;
        if (reloadAgain) {
          reloadAgain = false;
          void reload().catch(() => {});
        }
      });
    return reloading;
  }

  // Watching: the directories of the config file and of the modules (editors replace files by renaming).
  const watchOn = opts.watch ?? settings.watch;
  let watchers: FSWatcher[] = [];
  let debounce: NodeJS.Timeout | undefined;
  function rewatch(): void {
    for (const w of watchers) w.close();
    watchers = [];
    if (!watchOn || draining) return;
    const files = [...(current.file ? [current.file] : []), ...table.routes.flatMap((r) => [r.spec.modulePath, ...(r.spec.policyPath ? [r.spec.policyPath] : [])])];
    const byDir = new Map<string, Set<string>>();
    for (const f of files) {
      const d = dirname(f);
      if (!byDir.has(d)) byDir.set(d, new Set());
      byDir.get(d)!.add(basename(f));
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_type, name) => {
          if (name !== null && !names.has(String(name))) return;
          clearTimeout(debounce);
          debounce = setTimeout(() => void reload().catch(() => {}), RELOAD_DEBOUNCE_MS);
          debounce.unref();
        });
        w.on('error', () => {});
        watchers.push(w);
      } catch (e) {
        event('cannot watch for changes', { dir, error: (e as Error).message });
      }
    }
  }
  rewatch();

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      draining = true;
      for (const w of watchers) w.close();
      clearTimeout(debounce);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, settings.drainTimeoutMs);
          onIdle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await stopped;
      if (metricsServer) {
        const m = metricsServer;
        await new Promise<void>((resolve) => m.close(() => resolve()));
        m.closeAllConnections();
      }
      await pool?.close();
      event('stopped');
    })();
    return closing;
  }

  if (!opts.quiet) event('listening', { url, metrics: metricsUrl, routes: table.routes.map((r) => r.spec.path) });
  return {
    url,
    metricsUrl,
    get config() {
      return current;
    },
    metrics: () => metrics.render(),
    reload,
    close,
  };
}
