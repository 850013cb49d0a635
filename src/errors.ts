// The typed errors of Warden: every way a run or a compile can fail has its own `kind`.

export type ErrorKind =
  | 'invalid-module' // not wasm, truncated, malformed (message carries the byte offset)
  | 'link' // unsatisfied or mismatched imports (each listed in `details.imports`)
  | 'no-entry' // no `_start` (or the `--invoke` export) to run
  | 'trap' // the guest trapped (message: trap, function index/name, offset)
  | 'stack-overflow' // deep recursion
  | 'fuel' // fuel exhausted
  | 'timeout' // deadline passed
  | 'memory' // memory limit
  | 'output-limit' // stdout/stderr cap exceeded
  | 'policy' // refused by policy (features, digest, signature)
  | 'host-dir' // a preopen's host directory is missing or unreadable
  | 'config' // invalid option / flag passed by the host
  | 'cancelled' // the host cancelled the run (AbortSignal, or the worker pool closed)
  | 'busy' // the worker pool's queue is full
  | 'poisoned' // a long-lived instance is unusable: an earlier call trapped, hit a limit or exited
  | 'internal'; // a bug in Warden: never expected

export class WardenError extends Error {
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown>;
  constructor(kind: ErrorKind, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'WardenError';
    this.kind = kind;
    this.details = details;
  }
  /** Plain JSON form, as printed by `warden run --json`. */
  toJSON(): { kind: ErrorKind; message: string; details: Record<string, unknown> } {
    return { kind: this.kind, message: this.message, details: this.details };
  }
}

export function isWardenError(e: unknown): e is WardenError {
  return e instanceof WardenError;
}
