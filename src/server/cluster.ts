// Several server processes on one listener (node:cluster): every process is an identical, stateless node
// (own sandboxes, own worker threads); the primary forks them, restarts one that dies, forwards reload and
// shutdown, and serves /metrics summed over all of them. Each process writes its own JSON log lines.
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WardenError } from '../errors.js';
import { loadConfig } from './config.js';
import { isoNow } from './log.js';
import { mergeMetrics, metricsHandler } from './metrics.js';
import type { ServeOptions, WardenServer } from './server.js';

/** What the primary tells a process to run (in the environment: fork() passes no other data). */
export interface ProcessSpec {
  config: string;
  host?: string;
  port?: number;
  watch?: boolean;
  /** Send log lines to the primary (the caller gave a log function) instead of writing them to stdout. */
  forwardLogs: boolean;
}

export const PROCESS_SPEC_ENV = 'WARDEN_SERVE_PROCESS';

export type ToPrimary = { type: 'ready'; url: string } | { type: 'failed'; message: string; kind: string } | { type: 'metrics'; id: number; text: string } | { type: 'log'; line: string } | { type: 'reloaded'; id: number; error?: string };
export type ToProcess = { type: 'metrics'; id: number } | { type: 'reload'; id: number } | { type: 'shutdown' };

const ENTRY = fileURLToPath(new URL('./cluster-process.js', import.meta.url));
const METRICS_WAIT_MS = 2000;
const RELOAD_WAIT_MS = 60_000;

/**
 * Starts `processes` server processes sharing one listener. The config must be a file (each process reads
 * it). Resolves when every process listens; close() drains them all.
 */
export async function startCluster(config: string, processes: number, opts: ServeOptions = {}): Promise<WardenServer> {
  if (!cluster.isPrimary) throw new WardenError('config', 'startCluster: called in a cluster worker');
  const log = opts.log ?? ((line: string) => void process.stdout.write(line + '\n'));
  const event = (msg: string, fields: Record<string, unknown> = {}): void => log(JSON.stringify({ time: isoNow(), msg, ...fields }));
  let current = loadConfig(config);
  const settings = current.server;
  const spec: ProcessSpec = {
    config,
    host: opts.host ?? settings.listen.host,
    port: opts.port ?? settings.listen.port,
    ...(opts.watch !== undefined ? { watch: opts.watch } : {}),
    forwardLogs: opts.log !== undefined,
  };
  cluster.setupPrimary({ exec: ENTRY, args: [], silent: false });

  const workers = new Set<Worker>();
  let stopping = false;
  let nextId = 1;
  const pendingMetrics = new Map<number, { texts: string[]; want: number; done: () => void }>();
  const pendingReloads = new Map<number, { errors: string[]; left: number; done: () => void }>();

  function fork(): Promise<string> {
    return new Promise((resolve, reject) => {
      const w = cluster.fork({ [PROCESS_SPEC_ENV]: JSON.stringify(spec) });
      workers.add(w);
      let ready = false;
      w.on('message', (m: ToPrimary) => {
        if (m.type === 'ready') {
          ready = true;
          resolve(m.url);
        } else if (m.type === 'failed') reject(new WardenError(m.kind === 'config' ? 'config' : 'internal', m.message));
        else if (m.type === 'log') log(m.line);
        else if (m.type === 'reloaded') {
          const p = pendingReloads.get(m.id);
          if (p) {
            if (m.error !== undefined && !p.errors.includes(m.error)) p.errors.push(m.error);
            if (--p.left === 0) p.done();
          }
        }
        else if (m.type === 'metrics') {
          const p = pendingMetrics.get(m.id);
          if (p) {
            p.texts.push(m.text);
            if (p.texts.length >= p.want) p.done();
          }
        }
      });
      w.on('exit', (code, signal) => {
        workers.delete(w);
        if (!ready) return reject(new WardenError('internal', `internal error: server process exited before listening (${signal ?? code})`));
        if (stopping) return;
        event('server process died; starting another', { pid: w.process.pid, code, signal });
        fork().catch((e: unknown) => event('cannot restart a server process', { error: e instanceof Error ? e.message : String(e) }));
      });
    });
  }

  let urls: string[];
  try {
    urls = await Promise.all(Array.from({ length: processes }, () => fork()));
  } catch (e) {
    stopping = true;
    for (const w of workers) w.kill();
    throw e;
  }

  function broadcast(m: ToProcess): void {
    for (const w of workers) if (w.isConnected()) w.send(m);
  }

  async function scrape(): Promise<string> {
    const id = nextId++;
    const want = [...workers].filter((w) => w.isConnected()).length;
    const texts: string[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, METRICS_WAIT_MS);
      pendingMetrics.set(id, { texts, want, done: () => (clearTimeout(timer), resolve()) });
      if (want === 0) resolve();
      broadcast({ type: 'metrics', id });
    });
    pendingMetrics.delete(id);
    return mergeMetrics(texts);
  }

  let metricsServer: Server | undefined;
  let metricsUrl: string | undefined;
  const metricsPort = opts.metricsPort === false ? undefined : opts.metricsPort ?? settings.metrics?.port;
  if (metricsPort !== undefined) {
    metricsServer = createServer(metricsHandler(scrape));
    const host = opts.metricsHost ?? (opts.metricsPort !== undefined ? spec.host! : settings.metrics?.host ?? spec.host!);
    const addr = await new Promise<AddressInfo>((resolve, reject) => {
      metricsServer!.once('error', (e: NodeJS.ErrnoException) => reject(new WardenError('config', `cannot listen on ${host}:${metricsPort}: ${e.code ?? e.message}`)));
      metricsServer!.listen(metricsPort, host, () => resolve(metricsServer!.address() as AddressInfo));
    });
    metricsUrl = `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}/metrics`;
  }

  const url = urls[0]!;
  event('listening', { url, metrics: metricsUrl, processes, routes: current.routes.map((r) => r.path) });

  let closing: Promise<void> | undefined;
  return {
    url,
    metricsUrl,
    get config() {
      return current;
    },
    metrics: () => '',
    async reload() {
      // every process reloads (each keeps its old config if the new one is bad); the caller learns of any failure
      const id = nextId++;
      const errors: string[] = [];
      const want = [...workers].filter((w) => w.isConnected()).length;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (errors.push(`not every process answered within ${RELOAD_WAIT_MS / 1000} s`), resolve()), RELOAD_WAIT_MS);
        pendingReloads.set(id, { errors, left: want, done: () => (clearTimeout(timer), resolve()) });
        if (want === 0) resolve();
        broadcast({ type: 'reload', id });
      });
      pendingReloads.delete(id);
      if (errors.length > 0) throw new WardenError('config', errors.join('; '));
      current = loadConfig(config);
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        const exits = [...workers].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
        broadcast({ type: 'shutdown' });
        await Promise.all(exits);
        if (metricsServer) await new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
        event('stopped');
      })();
      return closing;
    },
  };
}
