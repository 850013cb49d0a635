// Long-lived instances for plugin-style use: instantiate once (WASI context, preopens, one instance),
// then call exports many times, each call with the run's limits afresh (fuel budget refilled, its own
// deadline). A call that traps, hits a limit or exits poisons the instance: later calls fail ('poisoned').
import { performance } from 'node:perf_hooks';
import { WardenError } from '../errors.js';
import { FUEL_IMPORT } from '../instrument/index.js';
import { LimitMeter } from '../limits/meter.js';
import { WasiContext } from '../wasi/context.js';
import { ProcExit, RunAbort, type OutputSink, type Preopen } from '../wasi/options.js';
import type { CompiledModule, ModuleVariant } from './compile.js';
import { checkImports, linkErrorFromV8 } from './link.js';
import { checkOptions, type CheckedOptions, type OutputOption, type RunOptions } from './options.js';
import { closeQuietly, flushQuietly, guardImports, invokeArgs, noEntry, openContext, originalStack, usage } from './run.js';
import { makeSink, type RunSink } from './sinks.js';
import { guestFault } from './traps.js';

/** Options of a long-lived instance: those of a run, without the entry point (each call names its export). */
export type InstanceOptions = Omit<RunOptions, 'invoke' | 'invokeArgs' | 'pool'>;

export interface CallResult {
  /** The values the export returned. */
  values: unknown[];
  /** What the guest wrote during this call (with 'buffer' output; empty otherwise). */
  stdout: Buffer;
  stderr: Buffer;
  /** Fuel this call used (each call has the full limits.fuel budget). */
  fuelUsed: number;
  durationMs: number;
  /** Linear memory now (memory never shrinks). */
  memoryBytes: number;
}

/** 'buffer' output collected per call; the other outputs as in a run. */
function callSink(option: OutputOption, hostFd: number): RunSink & { take(): Buffer } {
  if (option !== 'buffer') {
    const s = makeSink(option, hostFd);
    return Object.assign(s, { take: () => Buffer.alloc(0) });
  }
  let chunks: Buffer[] = [];
  return {
    write: (chunk) => void chunks.push(Buffer.from(chunk)),
    flush() {},
    collected: () => Buffer.concat(chunks),
    take() {
      const b = Buffer.concat(chunks);
      chunks = [];
      return b;
    },
  };
}

export class SandboxInstance {
  private poison: WardenError | undefined;
  private closed = false;
  private busy = false;
  private meter: LimitMeter;
  /** V8's used heap when the instance was created (for guests that allocate GC objects). */
  heapBase = 0;
  private readonly state: { ended?: ProcExit | RunAbort } = {};

  private constructor(
    private readonly cm: CompiledModule,
    private readonly o: CheckedOptions,
    private readonly variant: ModuleVariant,
    private readonly ctx: WasiContext,
    private readonly preopens: Preopen[],
    private readonly stdout: ReturnType<typeof callSink>,
    private readonly stderr: ReturnType<typeof callSink>,
    private readonly deadline: { at: number },
    meter: LimitMeter,
    private instance: WebAssembly.Instance | undefined = undefined,
  ) {
    this.meter = meter;
  }

  /** Builds the sandbox and instantiates (running a reactor's `_initialize` under the limits). Rejects on any failure. */
  static async create(cm: CompiledModule, options: InstanceOptions = {}): Promise<SandboxInstance> {
    const raw = options as RunOptions;
    if (raw.invoke !== undefined || raw.invokeArgs !== undefined) throw new WardenError('config', 'instantiate: pass the export to call() instead of invoke');
    const o = checkOptions(options);
    if (o.instances < 1) throw new WardenError('memory', 'instance limit: an instance needs one, but limits.instances is 0', { instances: 0 });
    const variant = await cm.variant({ memoryBytes: o.memoryBytes, tableElements: o.tableElements });
    const stdout = callSink(o.stdout, 1);
    const stderr = callSink(o.stderr, 2);
    const trace = options.trace === true ? (line: string): void => void process.stderr.write(line + '\n') : typeof options.trace === 'function' ? options.trace : undefined;
    const meter = new LimitMeter(o.fuel, o.timeoutMs);
    const deadline = { at: meter.deadline, expired: (): RunAbort => self.meter.timeout() };
    const { ctx, preopens } = openContext(o, options, stdout as OutputSink, stderr as OutputSink, trace, deadline);
    const self: SandboxInstance = new SandboxInstance(cm, o, variant, ctx, preopens, stdout, stderr, deadline, meter);
    // GC objects (V8's heap): the growth allowed is counted from the instance's creation, over all its calls
    if (variant.requires.gcAllocates) self.heapBase = meter.watchHeap(o.memoryBytes);
    const provided: WebAssembly.Imports = { ...ctx.imports, [FUEL_IMPORT.module]: { [FUEL_IMPORT.name]: (c: bigint) => self.meter.refill(c) } };
    const linkError = checkImports(cm.module, provided, cm.signatures);
    const imports = linkError ? undefined : guardImports(variant.imports, provided, self.state);
    if (linkError || !imports) {
      self.close();
      throw linkError ?? new WardenError('link', 'unsatisfied imports');
    }
    try {
      self.instance = new WebAssembly.Instance(variant.module, imports);
      const memory = self.instance.exports['memory'];
      if (memory instanceof WebAssembly.Memory) ctx.bindMemory(memory);
    } catch (e) {
      self.close();
      throw self.fault(e, 'instantiation');
    }
    if (cm.functionExports.includes('_initialize')) {
      try {
        await self.call('_initialize');
      } catch (e) {
        self.close();
        throw e;
      }
    }
    return self;
  }

  /** The WardenError a failure of `what` is, also poisoning the instance. */
  private fault(e: unknown, what: string): WardenError {
    const ended = this.state.ended ?? (e instanceof ProcExit || e instanceof RunAbort ? e : undefined);
    let error: WardenError;
    if (ended instanceof ProcExit) error = new WardenError('trap', `the guest exited (proc_exit ${ended.code}) during ${what}`, { exitCode: ended.code });
    else if (ended instanceof RunAbort) error = ended.error;
    else if (e instanceof WebAssembly.LinkError) error = linkErrorFromV8(e);
    else {
      if (e instanceof Error && typeof e.stack === 'string') e.stack = originalStack(e.stack, this.variant);
      error = guestFault(e, this.cm.functionNames) ?? (e instanceof WardenError ? e : new WardenError('internal', `internal error: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
    }
    this.poison = error;
    return error;
  }

  /** Calls an exported function with fresh limits; rejects with the guest's failure (and the instance is then poisoned). */
  async call(name: string, ...args: (number | bigint | string)[]): Promise<CallResult> {
    if (this.closed) throw new WardenError('poisoned', 'instance is closed');
    if (this.poison) throw new WardenError('poisoned', `instance unusable: an earlier call failed (${this.poison.kind}: ${this.poison.message})`, { cause: this.poison.toJSON() });
    if (this.busy) throw new WardenError('config', 'instance is busy: calls cannot overlap');
    if (typeof name !== 'string' || !this.cm.functionExports.includes(name)) throw noEntry(this.cm, String(name));
    const sig = this.cm.signatures?.exports.get(name);
    const converted = invokeArgs(name, sig, args);
    const instance = this.instance!;
    const fuelGlobal = this.variant.requires.fuel ? instance.exports[this.variant.requires.fuel.global] : undefined;
    if (fuelGlobal instanceof WebAssembly.Global) fuelGlobal.value = 0n; // leftover fuel of the last call is not carried over
    this.meter = new LimitMeter(this.o.fuel, this.o.timeoutMs);
    if (this.variant.requires.gcAllocates) this.meter.watchHeap(this.o.memoryBytes, this.heapBase);
    this.deadline.at = this.meter.deadline;
    const started = performance.now();
    this.busy = true;
    try {
      const value = (instance.exports[name] as (...a: unknown[]) => unknown)(...converted);
      if (this.state.ended) throw this.state.ended;
      const n = sig?.results.length;
      const values = n === 0 || value === undefined ? [] : n !== 1 && Array.isArray(value) ? value : [value];
      return { values, ...this.after(started) };
    } catch (e) {
      const error = this.fault(e, name);
      this.after(started);
      throw error;
    } finally {
      this.busy = false;
    }
  }

  private after(started: number): Omit<CallResult, 'values'> {
    flushQuietly(this.stdout);
    flushQuietly(this.stderr);
    const u = usage(this.meter, this.variant, this.instance);
    return { stdout: this.stdout.take(), stderr: this.stderr.take(), fuelUsed: u.fuelUsed, durationMs: performance.now() - started, memoryBytes: u.peakMemoryBytes };
  }

  /** The failure that poisoned the instance, if any. */
  get failed(): WardenError | undefined {
    return this.poison;
  }

  /** Releases the WASI context and preopens; later calls fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.instance = undefined;
    flushQuietly(this.stdout);
    flushQuietly(this.stderr);
    closeQuietly(this.ctx);
    for (const p of this.preopens) closeQuietly(p.dir);
  }
}
