// `warden serve` as a library: an HTTP server running a fresh sandbox per request under per-route limits
// (WAGI contract), with admission control, JSON request logs, Prometheus metrics on a separate listener,
// reload without dropping requests (API, SIGHUP in the CLI, file watch) and graceful draining shutdown.
import cluster from 'node:cluster';
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
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
import { HttpServer, type ClientError, type HttpRequest } from './http1.js';
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
  const workerPool = (): WorkerPool => (pool ??= createWorkerPool({ size: settings.workers, maxQueue: 1_000_000, niceness: settings.workerNiceness, idlePriority: settings.workerIdle }));
  if (table.routes.some((r) => r.spec.isolation === 'worker')) workerPool();
  metrics.gauges = () => table.routes.map((r) => ({ route: r.spec.path, inFlight: r.gate.active, queued: r.gate.queued }));
  metrics.workersReplaced = () => pool?.replaced ?? 0;

  let inFlight = 0;
  let listenPort = 0;
  let draining = false;
  let onIdle: (() => void) | undefined;

  // Requests are parsed by Warden's own HTTP/1.1 server (src/server/http1.ts): strict, and far cheaper per request
  // than node:http's stream objects. The metrics listener, with little traffic, stays on node:http.
  const server = new HttpServer(
    {
      headerTimeoutMs: settings.headerTimeoutMs,
      bodyTimeoutMs: settings.bodyTimeoutMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      maxHeaderBytes: settings.maxHeaderBytes,
      maxHeaders: settings.maxHeaders,
    },
    handle,
    clientError,
  );
  server.net.maxConnections = settings.maxConnections; // past it Node closes new connections as they come

  const listenHost = opts.host ?? settings.listen.host;
  const localName = (): string => opts.host ?? settings.name ?? settings.listen.host;

  function finish(rec: RequestRecord, t0: number): void {
    rec.durationMs = Math.round((performance.now() - t0) * 1000) / 1000;
    metrics.request(rec.route, rec.status, rec.durationMs / 1000, rec.fuel, rec.limit);
    log(requestLine(rec));
  }

  /** `list`: header names and values, flat (name, value, name, value...), valid already (cgi.ts checks a guest's). */
  function respond(req: HttpRequest, rec: RequestRecord, status: number, list: readonly string[], body: Buffer | string, reason?: string, close = false): undefined {
    rec.status = status;
    rec.bytesOut = body.length; // (our own texts are ASCII)
    req.respond(status, reason, list, body, close);
    return undefined;
  }

  function respondError(req: HttpRequest, rec: RequestRecord, status: number, close = false): undefined {
    return respond(req, rec, status, status === 503 ? RETRY_HEADERS : ERROR_HEADERS, `${status} ${ERROR_BODIES[status] ?? 'error'}\n`, undefined, close);
  }

  /** A request the HTTP parser refused (it answered and closed the connection): logged and counted. */
  function clientError(e: ClientError): void {
    const rec: RequestRecord = { time: isoNow(), method: e.method, path: e.target, route: '', status: e.status, durationMs: 0, fuel: 0, bytesIn: 0, bytesOut: 0, remote: e.remote, error: e.message };
    metrics.request('', e.status, 0, 0, undefined);
    log(requestLine(rec));
  }

  /**
   * One request, from its head to its log line. Synchronous from start to end when nothing has to wait (no body
   * to read, a free slot, an inline route whose sandbox is ready): no promise, no microtask.
   */
  function handle(req: HttpRequest): void {
    const t0 = performance.now();
    const raw = req.url;
    const rec: RequestRecord = {
      time: isoNow(),
      method: req.method,
      path: raw.length > 200 ? raw.slice(0, 200) + '...' : raw,
      route: '',
      status: 0,
      durationMs: 0,
      fuel: 0,
      bytesIn: 0,
      bytesOut: 0,
      remote: req.remoteAddress,
    };
    inFlight++;
    const done = (): void => {
      finish(rec, t0);
      if (--inFlight === 0 && onIdle) onIdle();
    };
    const failed = (e: unknown): void => {
      rec.error = `internal error: ${e instanceof Error ? e.message : String(e)}`;
      if (!req.done) respondError(req, rec, 500);
      else req.destroy();
      done();
    };
    let pending: Promise<void> | undefined;
    try {
      pending = serveRequest(req, rec);
    } catch (e) {
      return failed(e);
    }
    if (pending === undefined) done();
    else pending.then(done, failed);
  }

  /** Answers a request: undefined when it was answered synchronously, else a promise of the answer. */
  function serveRequest(req: HttpRequest, rec: RequestRecord): Promise<void> | undefined {
    // (Header count and size, framing and timeouts are the HTTP parser's: src/server/http1.ts.)
    // The path and query: origin-form "/path?query", or absolute-form "http://host/path?query".
    let target = req.url;
    if (!target.startsWith('/')) {
      let u: URL | undefined;
      try {
        u = /^https?:\/\//i.test(target) ? new URL(target) : undefined;
      } catch {
        u = undefined;
      }
      if (!u) {
        rec.error = 'request target is not a path';
        return respondError(req, rec, 400, true);
      }
      target = u.pathname + u.search;
    }
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = q < 0 ? '' : target.slice(q + 1);
    const route = table.match(path);
    if (!route) return respondError(req, rec, 404);
    rec.route = route.spec.path;
    const cap = route.spec.limits.bodyBytes;
    if (req.contentLength > cap) {
      rec.error = `content-length ${req.contentLength} above the route's body limit of ${cap} bytes`;
      return respondError(req, rec, 413, true);
    }
    // Refused early under overload (cheaper than reading a body that cannot be run; an unread body closes the connection).
    if (route.gate.full) return respondError(req, rec, 503);

    // The whole body first (bounded by the body timeout): a slow client holds no sandbox slot.
    if (!req.hasBody) return admit(req, rec, route, path, query, EMPTY);
    return req.readBody(cap).then((body) => {
      if (typeof body !== 'string') return admit(req, rec, route, path, query, body);
      if (body === 'aborted') {
        rec.error = 'client went away while sending the body';
        rec.status = 499;
        return;
      }
      if (body === 'too-large') rec.error = `body above the route's limit of ${cap} bytes`;
      else if (body === 'timeout') rec.error = `body not received within ${settings.bodyTimeoutMs} ms`;
      else rec.error = 'malformed chunked body';
      return respondError(req, rec, body === 'too-large' ? 413 : body === 'timeout' ? 408 : 400, true);
    });
  }

  /** The CGI variables, then a slot (now, after a wait in the route's queue, or 503), then the run. */
  function admit(req: HttpRequest, rec: RequestRecord, route: Route, path: string, query: string, body: Buffer): Promise<void> | undefined {
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
          localPort: listenPort,
        },
        SERVER_SOFTWARE,
      );
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      rec.error = e.message;
      return respondError(req, rec, 400);
    }
    const options: RunOptions = cgi ? { argv0: cgi.argv0, args: cgi.args, env: cgi.env, limits: route.limits } : { limits: route.limits };
    if (body.length > 0) options.stdin = body;
    if (route.dirs.length > 0) options.dirs = route.dirs;

    // Admission: a slot now, a place in the route's bounded queue, or 503.
    const slot = route.gate.enter();
    if (slot === false) return respondError(req, rec, 503);
    if (slot === true) return run(req, rec, route, options);
    req.onAbort(() => slot.cancel());
    return slot.ready.then((got) => {
      req.onAbort(undefined);
      if (!got) {
        rec.error = 'client went away while queued';
        rec.status = 499;
        return;
      }
      return run(req, rec, route, options);
    });
  }

  /** Runs the route's module in its slot (inline: at once when its sandbox is ready), then answers. */
  function run(req: HttpRequest, rec: RequestRecord, route: Route, options: RunOptions): Promise<void> | undefined {
    let now: RunResult | undefined;
    try {
      now = route.spec.isolation === 'worker' ? undefined : route.module.runNow(options);
    } catch (e) {
      route.gate.leave();
      throw e;
    }
    if (now !== undefined) {
      route.gate.leave(); // before writing the response: a slow reader holds no slot
      return answer(req, rec, route, now);
    }
    const running = route.spec.isolation === 'worker' ? workerPool().run(route.module, options) : route.module.run(options);
    return running.then(
      (result) => {
        route.gate.leave();
        return answer(req, rec, route, result);
      },
      (e: unknown) => {
        route.gate.leave();
        // host-side refusals: the worker pool is closing or busy -> 503; anything else is the server's fault
        if (e instanceof WardenError && (e.kind === 'busy' || e.kind === 'cancelled')) {
          rec.error = e.message;
          return respondError(req, rec, 503);
        }
        throw e;
      },
    );
  }

  /** The run's result as the HTTP response (or the error status a limit or a bad handler maps to). */
  function answer(req: HttpRequest, rec: RequestRecord, route: Route, result: RunResult): undefined {
    rec.fuel = result.fuelUsed;
    if (result.stderr.length > 0) {
      rec.stderr = result.stderr.toString('utf8', 0, Math.min(result.stderr.length, STDERR_LOG_BYTES)) + (result.stderr.length > STDERR_LOG_BYTES ? `... (${result.stderr.length} bytes)` : '');
    }
    if (result.error) {
      const kind = result.error.kind;
      rec.error = result.error.message;
      if (LIMIT_KINDS.has(kind)) rec.limit = kind;
      return respondError(req, rec, kind === 'timeout' ? 504 : 500);
    }
    if (result.exitCode !== 0) {
      rec.exitCode = result.exitCode;
      rec.error = `handler exited with code ${result.exitCode}`;
      return respondError(req, rec, 500);
    }
    const parsed = parseCgiResponse(result.stdout, route.head);
    if (typeof parsed === 'string') {
      rec.error = `invalid handler response: ${parsed}`;
      return respondError(req, rec, 500);
    }
    respond(req, rec, parsed.status, parsed.list, parsed.body, parsed.reason);
    return undefined;
  }

  const listen = (srv: NetServer, port: number, host: string): Promise<AddressInfo> =>
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
    addr = await listen(server.net, opts.port ?? settings.listen.port, listenHost);
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
      server.close(() => {});
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
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, settings.drainTimeoutMs);
          onIdle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.destroyAll();
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
