// The `warden serve` configuration: ONE schema (validated by the shared table-driven validator, limits by
// the shared LIMITS_SPEC), the server's safe defaults, and the normalised form the server runs from.
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { readConfigFile } from '../config/file.js';
import { configError, validate, type FieldSpec, type Infer } from '../config/schema.js';
import { LIMITS_SPEC, toRunLimits } from '../limits/schema.js';
import { parseDigest } from '../trust/digest.js';
import type { RunLimits } from '../sandbox/options.js';

/** A route's limits: the shared run limits plus what only a server has (request body, concurrency, queue). */
export const ROUTE_LIMITS_SPEC = {
  type: 'table',
  doc: 'limits of each request to a route',
  fields: {
    ...LIMITS_SPEC.fields,
    body: { type: 'bytes', doc: 'largest request body accepted (413 past it)' },
    concurrency: { type: 'integer', min: 1, max: 100_000, doc: 'requests of this route running at once' },
    queue: { type: 'integer', min: 0, max: 1_000_000, doc: 'requests of this route waiting for a slot (503 past it)' },
  },
} as const satisfies FieldSpec;

const LISTEN_RE = /^(?:(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?\d{1,5}$/;

export const ROUTE_SPEC = {
  type: 'table',
  required: ['path', 'module'],
  fields: {
    path: {
      type: 'string',
      pattern: /^\/[^\s?#]*$/,
      patternDoc: 'a path such as "/hello", or a prefix such as "/api/..." (starting with "/", no query)',
      doc: 'exact path, or "/prefix/..." for the prefix and everything under it',
    },
    module: { type: 'string', doc: 'the WASI command module (a path relative to the config file)' },
    digest: { type: 'string', doc: 'refuse the module unless its digest is this (sha256:<64 hex digits>)' },
    policy: { type: 'string', doc: 'a policy file for this route (relative to the config file)' },
    isolation: { type: 'string', oneOf: ['worker', 'inline'], doc: 'run on a worker thread (default) or on the main thread' },
    env: { type: 'map', of: { type: 'string' }, key: /^[^=\0]+$/, keyDoc: 'a name without "=" or NUL', doc: 'extra environment variables' },
    dirs: {
      type: 'list',
      doc: 'preopened directories (read-only unless writable = true)',
      of: {
        type: 'table',
        required: ['host', 'guest'],
        fields: {
          host: { type: 'string', doc: 'host directory (relative to the config file)' },
          guest: { type: 'string', pattern: /^\/\S*$/, patternDoc: 'an absolute guest path such as "/data"', doc: 'where the guest sees it' },
          writable: { type: 'boolean', doc: 'allow writes (default false)' },
        },
      },
    },
    limits: ROUTE_LIMITS_SPEC,
  },
} as const satisfies FieldSpec;

export const SERVER_CONFIG_SPEC = {
  type: 'table',
  fields: {
    server: {
      type: 'table',
      doc: 'the listener and its protections',
      fields: {
        listen: { type: 'string', pattern: LISTEN_RE, patternDoc: 'HOST:PORT or PORT, e.g. "127.0.0.1:8080"', doc: 'address for requests' },
        metrics: { type: 'string', pattern: /^(?:off|(?:(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?\d{1,5})$/, patternDoc: 'HOST:PORT, PORT or "off"', doc: 'address of the Prometheus /metrics listener' },
        name: { type: 'string', doc: 'SERVER_NAME when a request has no Host header' },
        workers: { type: 'integer', min: 1, max: 256, doc: 'worker threads for isolation = "worker" routes' },
        'worker-niceness': { type: 'integer', min: 0, max: 19, doc: 'scheduling niceness of the worker threads on Linux, 0-19 (default 10)' },
        'worker-idle': { type: 'boolean', doc: 'worker threads run under SCHED_IDLE on Linux: only on cores nothing else wants (default true)' },
        processes: { type: 'integer', min: 1, max: 256, doc: 'server processes sharing the listener (default 1)' },
        'header-timeout': { type: 'duration', doc: 'time a client has to send the request headers (408 past it)' },
        'body-timeout': { type: 'duration', doc: 'time a client has to send the whole request, body included (408 past it)' },
        'idle-timeout': { type: 'duration', doc: 'keep-alive connections idle longer than this are closed' },
        'drain-timeout': { type: 'duration', doc: 'on shutdown, how long in-flight requests may take before connections are cut' },
        'max-headers': { type: 'integer', min: 1, max: 10_000, doc: 'request header fields at most (431 past it)' },
        'max-header-bytes': { type: 'bytes', doc: 'request line + headers at most (431 past it)' },
        'max-connections': { type: 'integer', min: 1, max: 1_000_000, doc: 'open client connections at most; more are closed at once (default 10000)' },
        watch: { type: 'boolean', doc: 'reload when the config file or a module file changes (default true)' },
      },
    },
    limits: { ...ROUTE_LIMITS_SPEC, doc: 'defaults for every route (a route\'s own [limits] override them field by field)' },
    route: { type: 'list', of: ROUTE_SPEC, doc: 'the routes ([[route]] tables)' },
  },
} as const satisfies FieldSpec;

/** Config data as written: sizes, durations and fuel may be strings ("64MiB", "2s", "1e9"). */
type AsWritten<T> = T extends bigint ? bigint | number | string : T extends number ? number | string : T extends (infer U)[] ? AsWritten<U>[] : T extends object ? { [K in keyof T]: AsWritten<T[K]> } : T;

/** A `warden serve` config as written (TOML/JSON data), e.g. for startServer(). Paths are relative to `baseDir`. */
export type ServerConfig = AsWritten<Infer<typeof SERVER_CONFIG_SPEC>> & {
  /** The directory module, policy and dir paths are relative to (default: the config file's, or the cwd). */
  baseDir?: string;
};
type RouteLimitsData = Infer<typeof ROUTE_LIMITS_SPEC>;

/** The server's defaults: safe for untrusted handlers on a loopback listener. */
export const SERVE_DEFAULTS = {
  listen: '127.0.0.1:8080',
  metrics: '127.0.0.1:9090',
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  drainTimeoutMs: 10_000,
  maxHeaders: 100,
  maxHeaderBytes: 16 * 1024,
  /** Client connections at once (each holds a file descriptor and buffers): more are closed as they come. */
  maxConnections: 10_000,
  /**
   * Worker threads of `isolation = "worker"` routes run at this niceness (Linux): a guest spinning until its
   * deadline then yields the CPU to the thread that accepts requests and runs inline routes.
   */
  workerNiceness: 10,
  /**
   * ...and under SCHED_IDLE (Linux): they run only on a core no other thread wants, and give it up at once when
   * the main thread wakes (a nice value alone lets a spinning guest finish its time slice first).
   */
  workerIdle: true,
  /** Per-route limits unless the config sets others. */
  limits: {
    timeoutMs: 10_000,
    memoryBytes: 128 * 1024 * 1024,
    stdoutBytes: 16 * 1024 * 1024,
    stderrBytes: 1024 * 1024,
    bodyBytes: 1024 * 1024,
    /** inline routes: runs in flight at once (they run one at a time on the main thread anyway) */
    inlineConcurrency: 64,
    queue: 128,
  },
} as const;

export interface RouteLimits {
  run: RunLimits & { timeoutMs: number; stdoutBytes: number; stderrBytes: number };
  /** Only the run limits the config sets (a route policy's limits are a ceiling over these; defaults fill the rest). */
  explicit: RunLimits;
  bodyBytes: number;
  concurrency: number;
  queue: number;
}

export interface DirSpec {
  host: string;
  guest: string;
  writable: boolean;
}

/** One route, normalised: absolute paths, every limit decided. */
export interface RouteSpec {
  /** As written: "/hello", "/api/...", "/...". */
  path: string;
  /** The exact path, or the prefix without "/..." ("" for "/..."). */
  prefix: string;
  wildcard: boolean;
  modulePath: string;
  digest: string | undefined;
  policyPath: string | undefined;
  isolation: 'worker' | 'inline';
  env: Record<string, string>;
  dirs: DirSpec[];
  limits: RouteLimits;
  /** Where it was defined, for messages: "warden.toml: route[2]". */
  where: string;
}

export interface ServerSettings {
  listen: { host: string; port: number };
  metrics: { host: string; port: number } | undefined;
  name: string | undefined;
  workers: number;
  /** Niceness of the isolation worker threads (Linux): a spinning guest yields the CPU to the main thread. */
  workerNiceness: number;
  /** Isolation worker threads run under SCHED_IDLE (Linux). */
  workerIdle: boolean;
  processes: number;
  headerTimeoutMs: number;
  bodyTimeoutMs: number;
  idleTimeoutMs: number;
  drainTimeoutMs: number;
  maxHeaders: number;
  maxHeaderBytes: number;
  maxConnections: number;
  watch: boolean;
}

export interface LoadedConfig {
  /** The config file, when read from one. */
  file: string | undefined;
  source: string;
  server: ServerSettings;
  routes: RouteSpec[];
}

/** "127.0.0.1:8080", "[::1]:80", ":8080", "8080" -> host and port (host "127.0.0.1" when omitted). */
export function parseListen(text: string, what: string, source: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw configError(source, what, `expected HOST:PORT or PORT with a port from 0 to 65535, got ${JSON.stringify(text)}`);
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { host, port };
}

function routeLimits(base: RouteLimitsData | undefined, over: RouteLimitsData | undefined, isolation: 'worker' | 'inline', workers: number): RouteLimits {
  const merged: RouteLimitsData = { ...(base ?? {}), ...(over ?? {}) };
  const d = SERVE_DEFAULTS.limits;
  const run = toRunLimits(merged);
  return {
    run: {
      ...run,
      timeoutMs: run.timeoutMs ?? d.timeoutMs,
      memoryBytes: run.memoryBytes ?? d.memoryBytes,
      stdoutBytes: run.stdoutBytes ?? d.stdoutBytes,
      stderrBytes: run.stderrBytes ?? d.stderrBytes,
    },
    explicit: run,
    bodyBytes: merged.body ?? d.bodyBytes,
    concurrency: merged.concurrency ?? (isolation === 'worker' ? workers : d.inlineConcurrency),
    queue: merged.queue ?? d.queue,
  };
}

const abs = (baseDir: string, p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));

/** Validates config data (as read from a file, or passed to startServer) into the form the server runs. */
export function normalizeConfig(data: unknown, source: string, baseDir: string, file?: string): LoadedConfig {
  let extra: unknown;
  if (typeof data === 'object' && data !== null && 'baseDir' in data) {
    const { baseDir: b, ...rest } = data as Record<string, unknown>;
    if (typeof b !== 'string') throw configError(source, 'baseDir', 'expected a directory path');
    baseDir = resolve(b);
    extra = rest;
  }
  const cfg = validate(SERVER_CONFIG_SPEC, extra ?? data, source);
  const s = cfg.server ?? {};
  const workers = s.workers ?? Math.max(1, availableParallelism());
  const metricsText = s.metrics ?? SERVE_DEFAULTS.metrics;
  const server: ServerSettings = {
    listen: parseListen(s.listen ?? SERVE_DEFAULTS.listen, 'server.listen', source),
    metrics: metricsText === 'off' ? undefined : parseListen(metricsText, 'server.metrics', source),
    name: s.name,
    workers,
    workerNiceness: s['worker-niceness'] ?? SERVE_DEFAULTS.workerNiceness,
    workerIdle: s['worker-idle'] ?? SERVE_DEFAULTS.workerIdle,
    processes: s.processes ?? 1,
    headerTimeoutMs: s['header-timeout'] ?? SERVE_DEFAULTS.headerTimeoutMs,
    bodyTimeoutMs: s['body-timeout'] ?? SERVE_DEFAULTS.bodyTimeoutMs,
    idleTimeoutMs: s['idle-timeout'] ?? SERVE_DEFAULTS.idleTimeoutMs,
    drainTimeoutMs: s['drain-timeout'] ?? SERVE_DEFAULTS.drainTimeoutMs,
    maxHeaders: s['max-headers'] ?? SERVE_DEFAULTS.maxHeaders,
    maxHeaderBytes: s['max-header-bytes'] ?? SERVE_DEFAULTS.maxHeaderBytes,
    maxConnections: s['max-connections'] ?? SERVE_DEFAULTS.maxConnections,
    watch: s.watch ?? true,
  };
  if (server.bodyTimeoutMs < server.headerTimeoutMs) {
    throw configError(source, 'server.body-timeout', `must be at least server.header-timeout (${server.headerTimeoutMs} ms): it counts from the request's start`);
  }
  const routes: RouteSpec[] = [];
  const seen = new Map<string, number>();
  for (const [i, r] of (cfg.route ?? []).entries()) {
    const field = `route[${i}]`;
    const path = r.path!;
    const wildcard = path === '/...' || path.endsWith('/...');
    const prefix = wildcard ? path.slice(0, -4) : path;
    if (prefix.includes('...')) throw configError(source, `${field}.path`, `"..." may only end a route, as "/prefix/...", got ${JSON.stringify(path)}`);
    const before = seen.get(path);
    if (before !== undefined) throw configError(source, `${field}.path`, `route ${JSON.stringify(path)} is already defined by route[${before}]`);
    seen.set(path, i);
    const isolation = (r.isolation as 'worker' | 'inline' | undefined) ?? 'worker';
    let digest: string | undefined;
    if (r.digest !== undefined) {
      try {
        digest = parseDigest(r.digest);
      } catch (e) {
        throw configError(source, `${field}.digest`, (e as Error).message);
      }
    }
    routes.push({
      path,
      prefix,
      wildcard,
      modulePath: abs(baseDir, r.module!),
      digest,
      policyPath: r.policy === undefined ? undefined : abs(baseDir, r.policy),
      isolation,
      env: r.env ?? {},
      dirs: (r.dirs ?? []).map((d) => ({ host: abs(baseDir, d.host!), guest: d.guest!, writable: d.writable ?? false })),
      limits: routeLimits(cfg.limits, r.limits, isolation, workers),
      where: `${source}: ${field}`,
    });
  }
  return { file, source, server, routes };
}

/** Reads and validates a config file (TOML, or JSON by extension). Errors are WardenError kind 'config'. */
export function loadConfigFile(path: string): LoadedConfig {
  const file = resolve(path);
  const { data } = readConfigFile(file);
  return normalizeConfig(data, path, dirname(file), file);
}

/** The config the server runs: a file path, or config data (relative paths against its baseDir or the cwd). */
export function loadConfig(config: ServerConfig | string): LoadedConfig {
  if (typeof config === 'string') return loadConfigFile(config);
  return normalizeConfig(config, '<config>', process.cwd());
}
