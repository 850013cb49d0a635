// The worker-thread side of the pool: keeps compiled modules by digest (each sent once) and runs each
// request as an in-thread run would, posting back the result (or the host-misuse error) as plain data.
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { WardenError } from '../errors.js';
import { compile, type CompiledModule } from '../sandbox/compile.js';
import { EXIT_FAILURE, type RunResult } from '../sandbox/options.js';
import { errorToWire, resultToWire, transferList, type RunRequest, type WorkerReply } from './protocol.js';

/** Modules this worker has, by digest (least recently used dropped first). */
const modules = new Map<string, Promise<CompiledModule>>();
const MODULE_ENTRIES = 64;

const port = parentPort;
if (!port) throw new Error('src/workers/worker.js runs only as a worker thread');

// The pool's priority for this thread alone: on Linux a nice value and a scheduling policy belong to a thread,
// and setpriority() and sched_setscheduler() take a thread id, found through /proc/thread-self ("PID/task/TID").
// SCHED_IDLE (which an unprivileged thread may choose for itself) has no Node API: util-linux's chrt sets it. Best
// effort: without Linux or chrt the thread keeps its nice value, or the process's priority.
const { niceness, idle } = (workerData ?? {}) as { niceness?: unknown; idle?: unknown };
if ((typeof niceness === 'number' && niceness > 0) || idle === true) {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) {
      if (typeof niceness === 'number' && niceness > 0) setPriority(tid, Math.min(19, niceness));
      if (idle === true) spawnSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 5000 });
    }
  } catch {
    // not Linux, or not allowed
  }
}

function invalidResult(e: WardenError): RunResult {
  return { exitCode: EXIT_FAILURE, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), durationMs: 0, error: e, fuelUsed: 0, peakMemoryBytes: 0 };
}

async function handle(req: RunRequest): Promise<WorkerReply | undefined> {
  let pending = modules.get(req.digest);
  if (pending) {
    modules.delete(req.digest);
    modules.set(req.digest, pending);
  } else {
    if (!req.bytes) return { id: req.id, type: 'missing' };
    pending = compile(req.bytes, { cache: false, ...(req.module ? { precompiled: req.module } : {}) });
    pending.catch(() => modules.delete(req.digest));
    modules.set(req.digest, pending);
    while (modules.size > MODULE_ENTRIES) modules.delete(modules.keys().next().value as string);
  }
  let cm: CompiledModule;
  try {
    cm = await pending;
  } catch (e) {
    if (e instanceof WardenError && e.kind === 'invalid-module') return { id: req.id, type: 'done', result: resultToWire(invalidResult(e)) };
    return { id: req.id, type: 'threw', error: errorToWire(e) };
  }
  if (req.bytes) port!.postMessage({ id: req.id, type: 'started' } satisfies WorkerReply);
  try {
    return { id: req.id, type: 'done', result: resultToWire(await cm.run(req.options)) };
  } catch (e) {
    return { id: req.id, type: 'threw', error: errorToWire(e) };
  }
}

port.on('message', (req: RunRequest) => {
  void handle(req).then((reply) => {
    if (!reply) return;
    try {
      port.postMessage(reply, reply.type === 'done' ? transferList(reply.result) : []);
    } catch (e) {
      port.postMessage({ id: req.id, type: 'threw', error: errorToWire(new WardenError('internal', `internal error: the result cannot be sent: ${e instanceof Error ? e.message : String(e)}`)) } satisfies WorkerReply);
    }
  });
});
