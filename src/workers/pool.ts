// A pool of worker threads running sandboxes off the main thread: parallelism, and the backstop for
// deadlines (a worker that overruns its run's timeout, e.g. blocked in a host call, is terminated and
// replaced; the caller gets the 'timeout' error). Runs can be cancelled with an AbortSignal.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { WardenError } from '../errors.js';
import { CompiledModule } from '../sandbox/compile.js';
import { EXIT_TRAP, type RunOptions, type RunResult } from '../sandbox/options.js';
import { DEFAULT_LIMITS } from '../limits/defaults.js';
import { formatMs } from '../limits/meter.js';
import { errorFromWire, optionsToWire, resultFromWire, type RunRequest, type WorkerReply } from './protocol.js';

export interface WorkerPoolOptions {
  /** Number of worker threads (default: os.availableParallelism()). */
  size?: number;
  /** Runs waiting for a worker at most (default 1024); past it run() rejects with 'busy'. */
  maxQueue?: number;
  /** How long past its timeoutMs a run may go before its worker is terminated (default 1000 ms). */
  graceMs?: number;
  /** V8 heap limits of each worker (linear memory is not counted in them). */
  resourceLimits?: ResourceLimits;
  /**
   * The workers' scheduling niceness, 0-19 (Linux: each worker thread's own nice value; elsewhere ignored).
   * A server gives its isolation workers a higher one, so that a guest spinning until its deadline yields the
   * CPU to the thread that accepts and answers requests. Default 0 (as the process).
   */
  niceness?: number;
  /**
   * Linux: the workers run under the SCHED_IDLE policy, only on a core no other thread wants (a guest spinning
   * until its deadline then costs the threads that answer requests neither CPU nor wake-up latency; set with
   * util-linux's chrt, ignored where it is missing). Default false.
   */
  idlePriority?: boolean;
}

export type PoolRunOptions = RunOptions & { signal?: AbortSignal };

/** A module for pool.run: its bytes, a CompiledModule, or the digest of one run before in this pool. */
export type PoolModule = Uint8Array | ArrayBuffer | CompiledModule | string;

export interface WorkerPool {
  /** Runs the module in a fresh sandbox on a worker thread: the same RunResult as CompiledModule.run. */
  run(module: PoolModule, options?: PoolRunOptions): Promise<RunResult>;
  /** Number of worker threads. */
  readonly size: number;
  /** Runs waiting for a worker. */
  readonly queued: number;
  /** Workers terminated and replaced so far (deadline backstop, cancellation, crashes). */
  readonly replaced: number;
  /** Rejects queued runs ('cancelled'), waits for running ones, then ends the threads. */
  close(): Promise<void>;
}

interface Job {
  id: number;
  digest: string;
  bytes: Uint8Array;
  /** The compiled module, when the caller passed a CompiledModule (posted with the bytes: no compile in the worker). */
  module: WebAssembly.Module | undefined;
  options: RunOptions;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve(r: RunResult): void;
  reject(e: unknown): void;
  started: number;
}

interface Slot {
  worker: Worker;
  /** Digests this worker has been sent (it may have dropped some: it then asks again). */
  sent: Set<string>;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);
const SENT_ENTRIES = 64;
const cancelled = (why: string): WardenError => new WardenError('cancelled', why);

function toBytes(m: Uint8Array | ArrayBuffer): Uint8Array {
  return m instanceof Uint8Array ? new Uint8Array(m) : new Uint8Array(m.slice(0));
}

export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const size = options.size ?? availableParallelism();
  const maxQueue = options.maxQueue ?? 1024;
  const graceMs = options.graceMs ?? 1000;
  if (!Number.isSafeInteger(size) || size < 1) throw new WardenError('config', 'worker pool: size must be a positive integer');
  if (!Number.isSafeInteger(maxQueue) || maxQueue < 0) throw new WardenError('config', 'worker pool: maxQueue must be a non-negative integer');
  if (typeof graceMs !== 'number' || !(graceMs >= 0)) throw new WardenError('config', 'worker pool: graceMs must be a non-negative number');
  const niceness = options.niceness ?? 0;
  if (!Number.isSafeInteger(niceness) || niceness < 0 || niceness > 19) throw new WardenError('config', 'worker pool: niceness must be an integer from 0 to 19');

  /** Module bytes by digest, for workers that do not have them yet (bounded, least recently used dropped). */
  const known = new Map<string, { bytes: Uint8Array; compiled?: WebAssembly.Module }>();
  const queue: Job[] = [];
  const slots: Slot[] = [];
  let nextId = 1;
  let replaced = 0;
  let closing = false;
  let closed: Promise<void> | undefined;
  let drained: (() => void) | undefined;

  const remember = (digest: string, m: { bytes: Uint8Array; compiled?: WebAssembly.Module }): void => {
    const compiled = m.compiled ?? known.get(digest)?.compiled;
    known.delete(digest);
    known.set(digest, { bytes: m.bytes, ...(compiled ? { compiled } : {}) });
    while (known.size > 256) known.delete(known.keys().next().value as string);
  };

  function spawn(): Slot {
    const worker = new Worker(WORKER_URL, {
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      workerData: { niceness, idle: options.idlePriority === true },
    });
    const slot: Slot = { worker, sent: new Set(), job: undefined, timer: undefined };
    worker.unref();
    worker.on('message', (m: WorkerReply) => onReply(slot, m));
    worker.on('error', (e) => {
      if ((e as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') return heapLimit(slot);
      lost(slot, new WardenError('internal', `internal error: worker thread failed: ${e instanceof Error ? e.message : String(e)}`));
    });
    worker.on('exit', () => lost(slot, new WardenError('internal', 'internal error: worker thread exited')));
    return slot;
  }

  for (let i = 0; i < size; i++) slots.push(spawn());

  /** Ends `slot`'s worker and puts a fresh one in its place. */
  function replace(slot: Slot): void {
    const i = slots.indexOf(slot);
    if (i < 0) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.worker.removeAllListeners('exit');
    slot.worker.removeAllListeners('message');
    slot.worker.on('error', () => {});
    void slot.worker.terminate();
    replaced++;
    if (closing) {
      slots.splice(i, 1);
      checkDrained();
    } else {
      slots[i] = spawn();
      pump();
    }
  }

  /** The worker died on its own: its run fails as a Warden bug, and it is replaced. */
  function lost(slot: Slot, error: WardenError): void {
    const job = slot.job;
    if (!slots.includes(slot)) return;
    replace(slot);
    if (job) finish(job, () => job.reject(error));
  }

  /**
   * The worker reached its V8 heap limit (resourceLimits): the run (e.g. a guest's GC allocations, which no
   * linear memory cap covers) ends with a 'memory' error, and the worker is replaced.
   */
  function heapLimit(slot: Slot): void {
    const job = slot.job;
    if (!slots.includes(slot)) return;
    replace(slot);
    if (!job) return;
    const error = new WardenError('memory', "heap limit: the run filled the worker's V8 heap (the pool's resourceLimits)", { resourceLimits: options.resourceLimits ?? null });
    finish(job, () =>
      job.resolve({ exitCode: EXIT_TRAP, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), durationMs: performance.now() - job.started, error, fuelUsed: 0, peakMemoryBytes: 0 }),
    );
  }

  function finish(job: Job, settle: () => void): void {
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    settle();
  }

  function arm(slot: Slot, job: Job): void {
    clearTimeout(slot.timer);
    job.started = performance.now();
    slot.timer = setTimeout(() => {
      if (slot.job !== job) return;
      replace(slot);
      const error = new WardenError('timeout', `deadline of ${formatMs(job.timeoutMs)} passed`, { timeoutMs: job.timeoutMs, backstop: true });
      finish(job, () =>
        job.resolve({ exitCode: EXIT_TRAP, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), durationMs: performance.now() - job.started, error, fuelUsed: 0, peakMemoryBytes: 0 }),
      );
    }, job.timeoutMs + graceMs);
  }

  function send(slot: Slot, job: Job, withBytes: boolean): void {
    const req: RunRequest = { id: job.id, digest: job.digest, options: job.options, ...(withBytes ? { bytes: job.bytes, ...(job.module ? { module: job.module } : {}) } : {}) };
    if (withBytes) {
      slot.sent.add(job.digest);
      while (slot.sent.size > SENT_ENTRIES) slot.sent.delete(slot.sent.values().next().value as string);
    }
    slot.worker.postMessage(req);
  }

  function onReply(slot: Slot, m: WorkerReply): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    if (m.type === 'missing') {
      clearTimeout(slot.timer); // compiling is not the run's time: the clock starts at 'started'
      return send(slot, job, true);
    }
    if (m.type === 'started') return arm(slot, job);
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.worker.unref();
    if (m.type === 'done') finish(job, () => job.resolve(resultFromWire(m.result)));
    else finish(job, () => job.reject(errorFromWire(m.error)));
    pump();
    checkDrained();
  }

  function pump(): void {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.job) continue;
      const job = queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      const withBytes = !slot.sent.has(job.digest);
      job.started = performance.now();
      if (!withBytes) arm(slot, job); // else armed when the worker says the module is compiled
      send(slot, job, withBytes);
    }
  }

  function checkDrained(): void {
    if (drained && queue.length === 0 && slots.every((s) => !s.job)) drained();
  }

  function resolveModule(module: PoolModule): { digest: string; bytes: Uint8Array; compiled?: WebAssembly.Module } {
    if (typeof module === 'string') {
      const k = known.get(module);
      if (!k) throw new WardenError('config', `worker pool: no module with digest ${module} was run in this pool; pass its bytes`);
      return { digest: module, ...k };
    }
    if (module instanceof CompiledModule) return { digest: module.digest, bytes: module.source, compiled: module.module };
    if (!(module instanceof Uint8Array) && !(module instanceof ArrayBuffer)) {
      throw new WardenError('config', 'worker pool: expected module bytes, a CompiledModule or a digest');
    }
    const bytes = toBytes(module);
    return { digest: createHash('sha256').update(bytes).digest('hex'), bytes };
  }

  return {
    get size() {
      return size;
    },
    get queued() {
      return queue.length;
    },
    get replaced() {
      return replaced;
    },
    run(module: PoolModule, runOptions: PoolRunOptions = {}): Promise<RunResult> {
      try {
        if (closing) throw cancelled('worker pool is closed');
        const signal = runOptions?.signal;
        if (signal !== undefined && !(signal instanceof AbortSignal)) throw new WardenError('config', 'signal must be an AbortSignal');
        if (signal?.aborted) throw cancelled('run cancelled before it started');
        const wire = optionsToWire(runOptions);
        const t = wire.limits?.timeoutMs;
        const timeoutMs = typeof t === 'number' && Number.isFinite(t) && t >= 0 ? t : DEFAULT_LIMITS.timeoutMs;
        const { digest, bytes, compiled } = resolveModule(module);
        remember(digest, { bytes, compiled });
        if (queue.length >= maxQueue && slots.every((s) => s.job)) throw new WardenError('busy', `worker pool: ${queue.length} runs already queued (maxQueue ${maxQueue})`, { maxQueue });
        return new Promise<RunResult>((resolve, reject) => {
          const job: Job = { id: nextId++, digest, bytes, module: known.get(digest)?.compiled, options: wire, timeoutMs, signal, onAbort: undefined, resolve, reject, started: 0 };
          if (signal) {
            job.onAbort = () => {
              const q = queue.indexOf(job);
              if (q >= 0) queue.splice(q, 1);
              else {
                const slot = slots.find((s) => s.job === job);
                if (!slot) return;
                replace(slot);
              }
              finish(job, () => reject(cancelled(q >= 0 ? 'run cancelled while queued' : 'run cancelled; its worker was terminated')));
              checkDrained();
            };
            signal.addEventListener('abort', job.onAbort, { once: true });
          }
          queue.push(job);
          pump();
        });
      } catch (e) {
        return Promise.reject(e);
      }
    },
    close(): Promise<void> {
      if (closed) return closed;
      closing = true;
      for (const job of queue.splice(0)) finish(job, () => job.reject(cancelled('worker pool closed before the run started')));
      closed = new Promise<void>((resolve) => {
        drained = resolve;
        checkDrained();
      }).then(async () => {
        await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
      });
      return closed;
    },
  };
}
