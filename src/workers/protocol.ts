// The messages between a worker pool and its threads, and how RunOptions/RunResult cross the thread
// boundary: plain data only (structured clone); a WardenError travels as its JSON and is rebuilt.
import { WardenError, type ErrorKind } from '../errors.js';
import type { RunOptions, RunResult } from '../sandbox/options.js';

/** Pool -> worker: run `digest` (its bytes are attached when the worker may not have them). */
export interface RunRequest {
  id: number;
  digest: string;
  bytes?: Uint8Array;
  /** With bytes, when the pool has it: the module as the main thread compiled it (V8 shares compiled code). */
  module?: WebAssembly.Module;
  options: RunOptions;
}

/** A RunResult with its Buffers as Uint8Arrays and its error as JSON. */
export interface WireResult extends Omit<RunResult, 'stdout' | 'stderr' | 'error'> {
  stdout: Uint8Array;
  stderr: Uint8Array;
  error?: WireError;
}

export interface WireError {
  kind: ErrorKind;
  message: string;
  details: Record<string, unknown>;
}

/** Worker -> pool. */
export type WorkerReply =
  | { id: number; type: 'missing' } // the worker does not have the module: send its bytes
  | { id: number; type: 'started' } // the module was just compiled: the run itself starts now
  | { id: number; type: 'done'; result: WireResult }
  | { id: number; type: 'threw'; error: WireError }; // host misuse ('config', 'host-dir', ...)

export function errorToWire(e: unknown): WireError {
  if (e instanceof WardenError) return { kind: e.kind, message: e.message, details: cloneable(e.details) };
  return { kind: 'internal', message: `internal error: ${e instanceof Error ? e.message : String(e)}`, details: {} };
}

export function errorFromWire(w: WireError): WardenError {
  return new WardenError(w.kind, w.message, w.details);
}

/** Details reduced to what structured clone carries faithfully (an Error `cause` becomes its message). */
function cloneable(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'function' || typeof v === 'symbol') continue;
    out[k] = v instanceof Error ? v.message : v;
  }
  try {
    structuredClone(out);
    return out;
  } catch {
    return JSON.parse(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
  }
}

export function resultToWire(r: RunResult): WireResult {
  const { error, stdout, stderr, ...rest } = r;
  return { ...rest, stdout, stderr, ...(error ? { error: errorToWire(error) } : {}) };
}

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function resultFromWire(w: WireResult): RunResult {
  const { error, stdout, stderr, ...rest } = w;
  return { ...rest, stdout: asBuffer(stdout), stderr: asBuffer(stderr), ...(error ? { error: errorFromWire(error) } : {}) };
}

/** The buffers a result owns, to transfer instead of copy. */
export function transferList(w: WireResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const u of [w.stdout, w.stderr]) {
    if (u.byteLength > 0 && u.buffer instanceof ArrayBuffer && u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && !out.includes(u.buffer)) out.push(u.buffer);
  }
  return out;
}

const refuse = (what: string): never => {
  throw new WardenError('config', `worker pool: ${what} cannot cross to a worker thread; use it with an in-thread run, or use buffered output`);
};

/**
 * The run options as plain data for a worker, or a 'config' error for what cannot cross threads:
 * output callbacks, in-memory directories, trace/randomFill functions. ('inherit' and { fd } outputs
 * cross: fds belong to the process, and every thread writes them synchronously.)
 */
export function optionsToWire(o: RunOptions): RunOptions {
  if (typeof o !== 'object' || o === null) throw new WardenError('config', 'run options must be an object');
  for (const k of ['stdout', 'stderr'] as const) {
    const v = o[k];
    const plainFd = typeof v === 'object' && v !== null && !('write' in v) && typeof (v as { fd?: unknown }).fd === 'number';
    if (v !== undefined && v !== 'buffer' && v !== 'inherit' && !plainFd) refuse(`a ${k} writer object`);
  }
  if (typeof o.trace === 'function') refuse('a trace function');
  if (o.randomFill !== undefined) refuse('randomFill');
  for (const [i, d] of (o.dirs ?? []).entries()) if (d && d.memory !== undefined) refuse(`dirs[${i}].memory (a MemoryFs)`);
  const { signal: _s, ...rest } = o as RunOptions & { signal?: unknown };
  try {
    structuredClone(rest);
  } catch (e) {
    throw new WardenError('config', `worker pool: run options cannot be sent to a worker: ${e instanceof Error ? e.message : String(e)}`);
  }
  return rest;
}
