// A WASI preview1 context: the capabilities of one run (args, env, stdio, preopens, clocks,
// randomness) exposed to the guest as the `wasi_snapshot_preview1` import object.
import { randomFillSync } from 'node:crypto';
import { Errno, errnoOf } from './errno.js';
import { FdTable } from './fd-table.js';
import { OutputFd, PreopenFd, StdinFd } from './fds.js';
import { GuestMemory, encodeUtf8 } from './memory.js';
import { HOST_CALLS_PER_CLOCK_CHECK, ProcExit, RunAbort, type RunEnding, type WasiOptions } from './options.js';
import { FUNCTIONS, type EncodedList, type FunctionDef, type WasiState } from './preview1.js';
import { sleepNs, sleepWithin } from './sleep.js';
import { formatErrno, formatOutputs, traceLine } from './trace.js';

/** Names of all 46 wasi_snapshot_preview1 functions. */
export const PREVIEW1_FUNCTIONS: readonly string[] = Object.freeze(FUNCTIONS.map((f) => f.name));

const EMPTY_LIST: EncodedList = { blob: new Uint8Array(0), offsets: [] };

/** The strings NUL-terminated and concatenated (one encode), with each one's offset. */
function encodeList(items: readonly string[]): EncodedList {
  if (items.length === 0) return EMPTY_LIST;
  const blob = encodeUtf8(items.join('\0') + '\0');
  // The items contain no NUL (checked by the caller's options), so each one starts after the previous NUL.
  const offsets: number[] = new Array(items.length);
  let o = 0;
  for (let i = 0; i < items.length; i++) {
    offsets[i] = o;
    o = blob.indexOf(0, o) + 1;
  }
  return { blob, offsets };
}

/** All import names with a placeholder, so each context's import object starts with a fixed shape. */
const NS_TEMPLATE: Record<string, Import | null> = Object.fromEntries(FUNCTIONS.map((f) => [f.name, null]));
const BY_NAME: ReadonlyMap<string, FunctionDef> = new Map(FUNCTIONS.map((f) => [f.name, f]));

const defaultRandomFill = (b: Uint8Array): void => void randomFillSync(b);

/**
 * The state the preview1 handlers share. A class (getters on its prototype), not an object literal with
 * getters: such a literal costs ~2 us and an accessor pair per run.
 */
class ContextState implements WasiState {
  private encodedArgs: EncodedList | undefined;
  private encodedEnv: EncodedList | undefined;
  readonly clockResNs: bigint;
  readonly randomFill: (buf: Uint8Array) => void;
  readonly sleep: (ns: bigint) => void;

  constructor(
    readonly mem: GuestMemory,
    readonly fds: FdTable,
    private readonly opts: WasiOptions,
    readonly flushOutput: () => void,
  ) {
    const res = opts.clocks?.resolutionNs;
    this.clockResNs = res !== undefined && res > 0n ? res : 1000n;
    this.randomFill = opts.randomFill ?? defaultRandomFill;
    const deadline = opts.deadline;
    this.sleep = deadline ? (ns: bigint) => sleepWithin(ns, deadline) : sleepNs;
  }

  // Encoded when the guest first asks (args_*/environ_*): many runs never do.
  get args(): EncodedList {
    return (this.encodedArgs ??= encodeList(this.opts.args));
  }

  get env(): EncodedList {
    return (this.encodedEnv ??= encodeList(this.opts.env.map(([k, v]) => `${k}=${v}`)));
  }
}

export type Import = (a: any, b: any, c: any, d: any, e: any, f: any, g: any, h: any, i: any) => number;

export class WasiContext {
  /** The import object: { wasi_snapshot_preview1: { fd_write: ..., ... } } with every preview1 function. */
  readonly imports: WebAssembly.Imports;
  private readonly state: WasiState;
  private readonly mem = new GuestMemory();
  private readonly fds = new FdTable();
  /** Set once ProcExit or RunAbort has been thrown: every later call re-throws it. */
  private readonly ending: RunEnding;
  /** The run's deadline, read every HOST_CALLS_PER_CLOCK_CHECK calls (and by sleeps and stdin reads). */
  private readonly deadline: WasiOptions['deadline'];
  /** Calls since the deadline was last read. */
  private calls = 0;

  constructor(opts: WasiOptions) {
    this.ending = opts.ending ?? { ended: undefined };
    this.deadline = opts.deadline;
    const flushOutput = (): void => {
      opts.stdout.flush?.();
      opts.stderr.flush?.();
    };
    this.fds.add(new StdinFd(opts.stdin, flushOutput, opts.deadline));
    this.fds.add(new OutputFd(opts.stdout, opts.stdoutCap, 'stdout', opts.stderr));
    this.fds.add(new OutputFd(opts.stderr, opts.stderrCap, 'stderr', opts.stdout));
    for (const p of opts.preopens) this.fds.add(new PreopenFd(p.dir, p.guestPath));
    this.state = new ContextState(this.mem, this.fds, opts, flushOutput);
    const make = (def: FunctionDef): Import => (opts.trace ? this.traced(def, opts.trace) : this.plain(def));
    let ns: Record<string, Import | null>;
    if (opts.only) {
      // Only what the module imports: a run builds a handful of closures, not 46 (this is per sandbox).
      ns = Object.create(null) as Record<string, Import | null>;
      for (const name of opts.only) {
        const def = BY_NAME.get(name);
        if (def) ns[name] = make(def);
      }
    } else {
      ns = { ...NS_TEMPLATE };
      for (const def of FUNCTIONS) ns[def.name] = make(def);
    }
    this.imports = { wasi_snapshot_preview1: ns as Record<string, Import> };
  }

  /** Call after instantiation with the instance's exported "memory". */
  bindMemory(memory: WebAssembly.Memory): void {
    this.mem.bind(memory);
  }

  /** Close every open fd (preopen root DirNodes are owned by the caller and stay open). */
  close(): void {
    this.fds.closeAll();
  }

  /** Every HOST_CALLS_PER_CLOCK_CHECK calls: ends the run if its deadline has passed. */
  private tick(): void {
    if (++this.calls < HOST_CALLS_PER_CLOCK_CHECK) return;
    this.calls = 0;
    const d = this.deadline;
    if (d !== undefined && performance.now() >= d.at) throw (this.ending.ended ??= d.expired());
  }

  /** Turns a thrown value into the errno the guest sees; ProcExit/RunAbort end the run. */
  private fault(err: unknown): number {
    if (err instanceof ProcExit || err instanceof RunAbort) {
      this.ending.ended ??= err;
      throw err;
    }
    return errnoOf(err);
  }

  private plain(def: FunctionDef): Import {
    const h = def.handler;
    const s = this.state;
    const mem = this.mem;
    const ending = this.ending;
    return (a, b, c, d, e, f, g, hh, i) => {
      const ended = ending.ended;
      if (ended !== undefined) throw ended;
      this.tick();
      try {
        mem.refresh();
        return h(s, a, b, c, d, e, f, g, hh, i);
      } catch (err) {
        return this.fault(err);
      }
    };
  }

  private traced(def: FunctionDef, log: (line: string) => void): Import {
    const h = def.handler;
    const s = this.state;
    const mem = this.mem;
    const ending = this.ending;
    return (a, b, c, d, e, f, g, hh, i) => {
      const ended = ending.ended;
      if (ended !== undefined) throw ended;
      this.tick();
      const args = [a, b, c, d, e, f, g, hh, i];
      let result: number;
      try {
        mem.refresh();
        result = h(s, a, b, c, d, e, f, g, hh, i);
      } catch (err) {
        if (err instanceof ProcExit) log(traceLine(def, mem, args, `exit ${err.code}`));
        else if (err instanceof RunAbort) log(traceLine(def, mem, args, `abort: ${err.message}`));
        result = this.fault(err);
      }
      log(traceLine(def, mem, args, formatErrno(result) + (result === Errno.SUCCESS ? formatOutputs(def, mem, args) : '')));
      return result;
    };
  }
}
