// The public options and result of a sandboxed run, and their validation (host misuse -> 'config').
import { WardenError } from '../errors.js';
import type { MemoryFs } from '../fs/index.js';
import type { ClockPolicy } from '../wasi/options.js';
import { DEFAULT_LIMITS, MAX_FUEL } from '../limits/defaults.js';
import type { Policy } from '../policy/schema.js';

/**
 * Where a guest output stream goes: collected into RunResult ('buffer'), the host's own stdout or
 * stderr ('inherit'), a host fd ({ fd }: the run neither opens nor closes it), or the caller's
 * write(), called synchronously with a copy of each chunk the guest writes. 'inherit' and { fd }
 * gather small writes into 64 KiB before writing them out (flushed before stdin reads, before the
 * other stream is written, on poll_oneoff, after 100 ms, and when the run ends, however it ends).
 */
export type OutputOption = 'buffer' | 'inherit' | { fd: number } | { write(chunk: Uint8Array): void };

export interface DirOption {
  /** The path the guest sees, e.g. "/data". */
  guest: string;
  /** A host directory to expose (checked before the guest runs: 'host-dir' error if unusable). */
  host?: string;
  /** An in-memory tree to expose instead of a host directory. */
  memory?: MemoryFs;
  /** Refuse every write through this mount. */
  readOnly?: boolean;
}

export interface RunLimits {
  /** Cap on guest stdout bytes (default 64 MiB); past it the run ends with 'output-limit'. */
  stdoutBytes?: number;
  /** Cap on guest stderr bytes (default 64 MiB). */
  stderrBytes?: number;
  /** Instruction budget (default 10^12, see src/limits/defaults.ts); past it the run ends with 'fuel'. */
  fuel?: number | bigint;
  /** Wall-clock deadline in ms (default 30 000), start function included; past it the run ends with 'timeout'. */
  timeoutMs?: number;
  /** Cap on all linear memory together, in bytes (default 1 GiB): memory.grow beyond it returns -1. */
  memoryBytes?: number;
  /** Cap on the elements of each table (default 1 000 000): table.grow beyond it returns -1. */
  tableElements?: number;
  /** Instances a run may create (default 1; a run creates exactly one for now: a field for linked modules). */
  instances?: number;
}

export interface RunOptions {
  /** Arguments after the program name. */
  args?: readonly string[];
  /** The program name the guest sees as argv[0] (default "main.wasm"). */
  argv0?: string;
  /** The guest's whole environment: nothing is inherited from the host. */
  env?: Readonly<Record<string, string>>;
  /** Guest stdin: bytes, a string (UTF-8), or a host fd read synchronously. Default: empty. */
  stdin?: Uint8Array | string | { fd: number };
  stdout?: OutputOption;
  stderr?: OutputOption;
  /** Preopened directories, in order (guest fds 3, 4, ...). */
  dirs?: readonly DirOption[];
  /** Call this export instead of `_start` (a reactor's `_initialize` runs first). */
  invoke?: string;
  /** Arguments for `invoke`, converted to the export's parameter types. */
  invokeArgs?: readonly (number | bigint | string)[];
  limits?: RunLimits;
  /** Log each WASI call: true writes lines to the host's stderr, a function receives them. */
  trace?: boolean | ((line: string) => void);
  clocks?: ClockPolicy;
  randomFill?: (buf: Uint8Array) => void;
  /** Reuse linear memories between runs of the module (reset to zero; default true where safe, see src/pool). */
  pool?: boolean;
  /**
   * Pin the module: run it only if its sha256 is this digest (`sha256:HEX` or bare hex). A mismatch ends the
   * run with a 'policy' error naming both digests (exit code 1); a malformed digest is a 'config' error.
   */
  digest?: string;
  /**
   * Run under a policy (src/policy: parsePolicy, loadPolicyFile): the module must pass it (digest pins,
   * signatures, proposals, imports; else the run ends with a 'policy' error, exit code 1, nothing run), and
   * these options are layered under it: dirs and env default to what the policy grants, a directory or
   * variable it does not grant is refused (the run rejects with WardenError 'policy'), and its limits are a
   * ceiling: unset limits take the policy's value, lower ones are kept, higher ones are refused.
   */
  policy?: Policy;
  /** A detached signature for the policy's require-signature (default: the module's embedded signature). */
  signature?: Uint8Array;
}

export interface RunResult {
  /** proc_exit's code; 0 when `_start` (or the invoked export) returns; 134 on a trap or limit; 1 on link/entry errors. */
  exitCode: number;
  /** Guest stdout (empty unless stdout is 'buffer'). */
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
  error?: WardenError;
  /** The values the invoked export returned (with `invoke`). */
  returnValues?: unknown[];
  /** Fuel consumed (deterministic: the same module and input use the same fuel). */
  fuelUsed: number;
  /** Linear memory at its largest, all memories together, in bytes (memory never shrinks: the final size). */
  peakMemoryBytes: number;
}

export const DEFAULT_OUTPUT_CAP = 64 * 1024 * 1024;

/** Exit code for a trap or limit error (as wasmtime's CLI: 128 + SIGABRT). */
export const EXIT_TRAP = 134;
/** Exit code when the module cannot be run at all (invalid, link, no entry). */
export const EXIT_FAILURE = 1;

function bad(message: string): never {
  throw new WardenError('config', message);
}

function checkCString(what: string, s: unknown): string {
  if (typeof s !== 'string') bad(`${what} must be a string, got ${typeof s}`);
  if (s.includes('\0')) bad(`${what} must not contain a NUL character`);
  return s;
}

/** A string without NUL (the common case, checked without building an error message). */
function isCString(s: unknown): s is string {
  return typeof s === 'string' && !s.includes('\0');
}

function checkCap(what: string, v: unknown): number {
  if (v === undefined) return DEFAULT_OUTPUT_CAP;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`${what} must be a non-negative integer`);
  return v;
}

function checkOutput(what: string, v: unknown): OutputOption {
  if (v === undefined) return 'buffer';
  if (v === 'buffer' || v === 'inherit') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { write?: unknown }).write === 'function') {
    return v as OutputOption;
  }
  if (typeof v === 'object' && v !== null && 'fd' in v) {
    const fd = (v as { fd: unknown }).fd;
    if (typeof fd === 'number' && Number.isSafeInteger(fd) && fd >= 0) return { fd };
    bad(`${what}.fd must be a non-negative integer`);
  }
  bad(`${what} must be 'buffer', 'inherit', { fd } or an object with write(chunk)`);
}

export interface CheckedOptions {
  args: string[];
  env: [string, string][];
  stdout: OutputOption;
  stderr: OutputOption;
  stdoutCap: number;
  stderrCap: number;
  fuel: bigint;
  timeoutMs: number;
  memoryBytes: number;
  tableElements: number;
  instances: number;
}

function checkFuel(v: unknown): bigint {
  if (v === undefined) return DEFAULT_LIMITS.fuel;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'bigint' && v >= 0n && v <= MAX_FUEL) return v;
  bad(`limits.fuel must be a non-negative integer (number or bigint) of at most 2^62-1`);
}

function checkLimit(what: string, v: unknown, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) bad(`${what} must be an integer from 0 to ${max}`);
  return v;
}

/** Validates the plain-data parts of RunOptions; throws WardenError('config') on misuse. */
export function checkOptions(o: RunOptions): CheckedOptions {
  if (typeof o !== 'object' || o === null) bad('run options must be an object');
  const argv0 = checkCString('argv0', o.argv0 ?? 'main.wasm');
  if (o.args !== undefined && !Array.isArray(o.args)) bad('args must be an array of strings');
  const args = [argv0];
  if (o.args) for (let i = 0; i < o.args.length; i++) args.push(isCString(o.args[i]) ? o.args[i]! : checkCString(`args[${i}]`, o.args[i]));
  const env: [string, string][] = [];
  if (o.env !== undefined) {
    if (typeof o.env !== 'object' || o.env === null) bad('env must be an object of strings');
    for (const k in o.env) {
      if (!Object.hasOwn(o.env, k)) continue;
      const v = o.env[k];
      // Messages are built only on failure: this runs for every variable of every run.
      if (!isCString(k)) checkCString(`env name ${JSON.stringify(k)}`, k);
      if (k === '' || k.includes('=')) bad(`env name ${JSON.stringify(k)} must be non-empty and contain no '='`);
      env.push([k, isCString(v) ? v : checkCString(`env ${k}`, v)]);
    }
  }
  if (o.stdin !== undefined && typeof o.stdin !== 'string' && !(o.stdin instanceof Uint8Array)) {
    const fd = (o.stdin as { fd?: unknown }).fd;
    if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) bad('stdin must be bytes, a string or { fd }');
  }
  if (o.dirs !== undefined && !Array.isArray(o.dirs)) bad('dirs must be an array');
  for (const [i, d] of (o.dirs ?? []).entries()) {
    if (typeof d !== 'object' || d === null) bad(`dirs[${i}] must be an object`);
    checkCString(`dirs[${i}].guest`, d.guest);
    if (d.guest === '') bad(`dirs[${i}].guest must not be empty`);
    if ((d.host === undefined) === (d.memory === undefined)) bad(`dirs[${i}] needs exactly one of host or memory`);
    if (d.host !== undefined) checkCString(`dirs[${i}].host`, d.host);
  }
  if (o.invoke !== undefined) checkCString('invoke', o.invoke);
  if (o.invokeArgs !== undefined && o.invoke === undefined) bad('invokeArgs needs invoke');
  if (o.trace !== undefined && typeof o.trace !== 'boolean' && typeof o.trace !== 'function') {
    bad('trace must be a boolean or a function');
  }
  if (o.randomFill !== undefined && typeof o.randomFill !== 'function') bad('randomFill must be a function');
  if (o.pool !== undefined && typeof o.pool !== 'boolean') bad('pool must be a boolean');
  return {
    args,
    env,
    stdout: checkOutput('stdout', o.stdout),
    stderr: checkOutput('stderr', o.stderr),
    stdoutCap: checkCap('limits.stdoutBytes', o.limits?.stdoutBytes),
    stderrCap: checkCap('limits.stderrBytes', o.limits?.stderrBytes),
    fuel: checkFuel(o.limits?.fuel),
    timeoutMs: checkLimit('limits.timeoutMs', o.limits?.timeoutMs, DEFAULT_LIMITS.timeoutMs, 2 ** 31 - 1),
    memoryBytes: checkLimit('limits.memoryBytes', o.limits?.memoryBytes, DEFAULT_LIMITS.memoryBytes, Number.MAX_SAFE_INTEGER),
    tableElements: checkLimit('limits.tableElements', o.limits?.tableElements, DEFAULT_LIMITS.tableElements, 2 ** 32 - 1),
    instances: checkLimit('limits.instances', o.limits?.instances, DEFAULT_LIMITS.instances, 2 ** 31 - 1),
  };
}
