// One sandboxed run: preopens + WASI context + link check + fresh instance + `_start` (or an
// invoked export), every guest failure turned into a typed result, everything closed afterwards.
import { accessSync, constants as fsc, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WardenError } from '../errors.js';
import { openPreopen } from '../fs/index.js';
import type { DirNode } from '../fs/types.js';
import { WasiContext } from '../wasi/context.js';
import { ProcExit, RunAbort, type InputSource, type OutputSink, type Preopen, type RunEnding } from '../wasi/options.js';
import type { CompiledModule, ModuleVariant } from './compile.js';
import { LimitMeter } from '../limits/meter.js';
import { FUEL_IMPORT } from '../instrument/index.js';
import { checkImports, linkErrorFromV8 } from './link.js';
import { checkOptions, EXIT_FAILURE, type CheckedOptions, EXIT_TRAP, type DirOption, type RunOptions, type RunResult } from './options.js';
import { makeSink, writeAllSync, type RunSink } from './sinks.js';
import type { FuncSig } from './signatures.js';
import { printable } from './text.js';
import { guestFault } from './traps.js';
import { MEMORY_IMPORT, pooledMemory, readyPool, takeFrom, type PooledMemory } from '../pool/memory-pool.js';

export { writeAllSync } from './sinks.js';

// The import names runCompiled() writes as literals (a mismatch is a type error here).
const _importNames: ['warden', 'fuel', 'warden', 'memory'] = [FUEL_IMPORT.module, FUEL_IMPORT.name, MEMORY_IMPORT.module, MEMORY_IMPORT.name];
void _importNames;

/** @internal (also used by instance.ts) */
export function stdinSource(stdin: RunOptions['stdin']): InputSource {
  if (stdin === undefined) return { kind: 'none' };
  if (typeof stdin === 'string') return { kind: 'bytes', data: Buffer.from(stdin, 'utf8') };
  if (stdin instanceof Uint8Array) return { kind: 'bytes', data: new Uint8Array(stdin) };
  return { kind: 'fd', fd: stdin.fd };
}

const HOST_DIR_ERRORS: Record<string, string> = {
  ENOENT: 'no such directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
};

function hostDirError(d: DirOption, what: string): WardenError {
  return new WardenError('host-dir', `--dir ${d.host}: ${what}`, { host: d.host, guest: d.guest });
}

/** @internal (also used by instance.ts) */
export function openDir(d: DirOption): DirNode {
  const readOnly = d.readOnly === true;
  if (d.host === undefined) return openPreopen({ memory: d.memory, readOnly });
  const host = d.host;
  const reason = (e: unknown): string => {
    const code = (e as { code?: string }).code ?? '';
    return HOST_DIR_ERRORS[code] ?? (e instanceof Error ? e.message : String(e));
  };
  try {
    if (!statSync(host).isDirectory()) throw hostDirError(d, 'not a directory');
    accessSync(host, fsc.R_OK | fsc.X_OK);
  } catch (e) {
    throw e instanceof WardenError ? e : hostDirError(d, reason(e));
  }
  try {
    return openPreopen({ host, readOnly });
  } catch (e) {
    const prefix = `host directory ${JSON.stringify(host)} `;
    const text = e instanceof WardenError && e.message.startsWith(prefix) ? e.message.slice(prefix.length) : `cannot open: ${reason(e)}`;
    throw hostDirError(d, text);
  }
}

/** Writes out what a coalescing sink still holds (the run's result is already decided). */
export function flushQuietly(sink: RunSink): void {
  try {
    sink.flush();
  } catch {
    // e.g. EPIPE on the host's stdout: nothing left to tell the guest
  }
}

/** @internal (also used by instance.ts) */
export function closeQuietly(c: { close(): void } | undefined): void {
  try {
    c?.close();
  } catch {
    // closing is best effort: the run's result is already decided
  }
}

/** Converts `--invoke` arguments to the export's parameter types (strings from the CLI too). */
export function invokeArgs(name: string, sig: FuncSig | undefined, raw: readonly (number | bigint | string)[]): unknown[] {
  if (!sig) return raw.map((a) => (typeof a === 'string' ? Number(a) : a));
  if (sig.params.length !== raw.length) {
    throw new WardenError('config', `--invoke ${name}: takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'} (${sig.params.join(', ')}), got ${raw.length}`);
  }
  return raw.map((a, i) => {
    const type = sig.params[i]!;
    const bad = (): never => {
      throw new WardenError('config', `--invoke ${name}: argument ${i + 1} (${JSON.stringify(String(a))}) is not a valid ${type}`);
    };
    try {
      if (type === 'i64') {
        const v = BigInt(a);
        if (v < -(2n ** 63n) || v >= 2n ** 64n) bad();
        return v;
      }
      if (type === 'i32') {
        const v = typeof a === 'bigint' ? Number(a) : Number(a);
        if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32 || (typeof a === 'string' && a.trim() === '')) bad();
        return v;
      }
      if (type === 'f32' || type === 'f64') {
        const v = typeof a === 'string' && /^[+-]?nan$/i.test(a) ? NaN : Number(a);
        if (Number.isNaN(v) && !(typeof a === 'string' && /nan$/i.test(a))) bad();
        return v;
      }
    } catch (e) {
      if (e instanceof WardenError) throw e;
      bad();
    }
    throw new WardenError('config', `--invoke ${name}: parameter ${i + 1} has type ${type}, which cannot be passed from the host`);
  });
}

/** @internal (also used by instance.ts) */
export function noEntry(cm: CompiledModule, invoke: string | undefined): WardenError {
  const fns = cm.functionExports;
  const list = fns.length ? `: ${fns.map(printable).join(', ')}` : ', but it exports no functions';
  const message =
    invoke === undefined
      ? `module has no _start export (a WASI command); use --invoke NAME to call one of its exports${list}`
      : `module has no exported function "${printable(invoke)}"; its exported functions${fns.length ? list : ': none'}`;
  return new WardenError('no-entry', message, { invoke, exports: fns });
}

/** Per module: the link verdict and the imports to pass (computed on its first run). */
interface LinkPlan {
  error?: WardenError;
  imports: readonly WebAssembly.ModuleImportDescriptor[];
}
const linkPlans = new WeakMap<CompiledModule, LinkPlan>();

function linkPlan(cm: CompiledModule, provided: WebAssembly.Imports): LinkPlan {
  let plan = linkPlans.get(cm);
  if (!plan) {
    plan = { error: checkImports(cm.module, provided, cm.signatures), imports: cm.imports };
    linkPlans.set(cm, plan);
  }
  return plan;
}

/**
 * The import object for one instance: only what the module imports, each WASI function wrapped
 * so that once the guest has exited (proc_exit) or been stopped by a limit, that ending sticks:
 * a guest that catches the host's exception (catch_all) cannot make another call.
 * Returns undefined if the provided imports lack something (then the plan is recomputed).
 */
export function guardImports(
  wanted: readonly WebAssembly.ModuleImportDescriptor[],
  provided: WebAssembly.Imports,
  state: { ended?: ProcExit | RunAbort },
): WebAssembly.Imports | undefined {
  const out: Record<string, Record<string, WebAssembly.ImportValue>> = Object.create(null);
  for (const imp of wanted) {
    const ns = Object.hasOwn(provided, imp.module) ? (provided[imp.module] as Record<string, WebAssembly.ImportValue>) : undefined;
    const value = ns && Object.hasOwn(ns, imp.name) ? ns[imp.name] : undefined;
    if (value === undefined) return undefined;
    let wrapped = value;
    if (typeof value === 'function') {
      // Fixed arity (no rest/spread: this is on every host call): no import takes more than
      // 9 parameters (path_open), and a missing argument is undefined either way.
      const f = value as (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown, i: unknown) => unknown;
      wrapped = (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, g: unknown, h: unknown, i: unknown, j: unknown): unknown => {
        if (state.ended) throw state.ended;
        try {
          return f(a, b, c, d, e, g, h, i, j);
        } catch (e) {
          if (e instanceof ProcExit || e instanceof RunAbort) state.ended = e;
          throw e;
        }
      };
    }
    (out[imp.module] ??= Object.create(null))[imp.name] = wrapped;
  }
  return out;
}

/** A V8 stack with the instrumented module's function indices and offsets turned back into the original's. */
export function originalStack(stack: string, variant: ModuleVariant): string {
  return stack.replace(/wasm-function\[(\d+)\]:0x([0-9a-f]+)/g, (_, f: string, off: string) => {
    const o = variant.original(Number(f), parseInt(off, 16));
    return `wasm-function[${o.funcIndex}]:0x${o.offset.toString(16)}`;
  });
}

/** Fuel used and peak memory of a run, read from the instance (or what the host last saw, if there is none). */
export function usage(meter: LimitMeter, variant: ModuleVariant | undefined, instance: WebAssembly.Instance | undefined): { fuelUsed: number; peakMemoryBytes: number } {
  let counter: bigint | undefined;
  let peak = variant?.requires.initialMemoryBytes ?? 0;
  if (instance && variant) {
    const g = variant.requires.fuel ? instance.exports[variant.requires.fuel.global] : undefined;
    if (g instanceof WebAssembly.Global && typeof g.value === 'bigint') counter = g.value;
    let sum = 0;
    for (const name of variant.requires.memories) {
      const m = instance.exports[name];
      if (m instanceof WebAssembly.Memory) sum += m.buffer.byteLength;
    }
    peak = Math.max(peak, sum);
  }
  return { fuelUsed: Number(meter.used(counter)), peakMemoryBytes: peak };
}

/** Opens the run's preopened directories and builds its WASI context; on failure closes whatever was opened and rethrows. */
export function openContext(
  o: CheckedOptions,
  options: RunOptions,
  stdout: OutputSink,
  stderr: OutputSink,
  trace: ((line: string) => void) | undefined,
  deadline: { at: number; expired(): RunAbort },
  only?: readonly string[],
  ending?: RunEnding,
): { ctx: WasiContext; preopens: Preopen[] } {
  const preopens: Preopen[] = [];
  let ctx: WasiContext | undefined;
  try {
    for (const d of options.dirs ?? []) preopens.push({ guestPath: d.guest, dir: openDir(d) });
    ctx = new WasiContext({
      args: o.args,
      env: o.env,
      preopens,
      stdin: stdinSource(options.stdin),
      stdout,
      stderr,
      stdoutCap: o.stdoutCap,
      stderrCap: o.stderrCap,
      clocks: options.clocks,
      randomFill: options.randomFill,
      trace,
      deadline,
      only,
      ending,
    });
  } catch (e) {
    closeQuietly(ctx);
    for (const p of preopens) closeQuietly(p.dir);
    throw e;
  }
  return { ctx, preopens };
}

/** The preview1 functions a module imports (its WASI context builds only these). */
const wasiNamesOf = new WeakMap<CompiledModule, string[]>();
function wasiNames(cm: CompiledModule): string[] {
  let names = wasiNamesOf.get(cm);
  if (!names) {
    names = cm.imports.filter((i) => i.module === 'wasi_snapshot_preview1' && i.kind === 'function').map((i) => i.name);
    wasiNamesOf.set(cm, names);
  }
  return names;
}

/** The code (and pooled memory) a run uses, or why it cannot have any (a 'memory' error: the module cannot fit). */
type Acquired = { variant: ModuleVariant; pooled: PooledMemory | undefined } | { error: WardenError };

/** What a run under `o` uses if it is ready now (no compile or pool set-up to wait for); undefined otherwise. */
function acquireNow(cm: CompiledModule, options: RunOptions, o: CheckedOptions): Acquired | undefined {
  const profile = { memoryBytes: o.memoryBytes, tableElements: o.tableElements };
  // Memory pooling (src/pool): the same code, its memory imported from a pool of reset memories. A ready pool is
  // taken without an await (the hot path of a server's fresh sandbox per request).
  const ready = options.pool === false ? 'unpoolable' : readyPool(cm, profile);
  if (ready === undefined) return undefined;
  if (ready !== 'unpoolable') {
    const pooled = takeFrom(ready);
    return { variant: pooled.variant, pooled };
  }
  const variant = cm.readyVariant(profile);
  return variant ? { variant, pooled: undefined } : undefined;
}

/** What a run under `o` uses, compiling its variant and setting up its memory pool first if need be. */
async function acquire(cm: CompiledModule, options: RunOptions, o: CheckedOptions): Promise<Acquired> {
  const now = acquireNow(cm, options, o);
  if (now) return now;
  const profile = { memoryBytes: o.memoryBytes, tableElements: o.tableElements };
  let variant: ModuleVariant;
  try {
    variant = cm.readyVariant(profile) ?? (await cm.variant(profile));
  } catch (e) {
    if (e instanceof WardenError && e.kind === 'memory') return { error: e };
    throw e;
  }
  const pooled = options.pool === false ? undefined : await pooledMemory(cm, profile);
  return pooled ? { variant: pooled.variant, pooled } : { variant, pooled: undefined };
}

/** Runs a compiled module once in a fresh sandbox. Rejects only for host misuse ('config', 'host-dir'). */
export async function runCompiled(cm: CompiledModule, options: RunOptions): Promise<RunResult> {
  const o = checkOptions(options);
  return execute(cm, options, o, o.instances < 1 ? undefined : await acquire(cm, options, o));
}

/**
 * runCompiled() without a promise when the module's code and memory pool for these limits are ready (as on
 * every run after the first): the result, or undefined when the run would have to wait (nothing was done).
 * Throws for host misuse where runCompiled() rejects.
 */
export function runCompiledNow(cm: CompiledModule, options: RunOptions): RunResult | undefined {
  const o = checkOptions(options);
  if (o.instances < 1) return execute(cm, options, o, undefined);
  const acquired = acquireNow(cm, options, o);
  return acquired && execute(cm, options, o, acquired);
}

/** The run itself, its code acquired (undefined: limits.instances is 0). */
function execute(cm: CompiledModule, options: RunOptions, o: CheckedOptions, acquired: Acquired | undefined): RunResult {
  // One ending for every host function of the run (WASI and fuel): once proc_exit or a limit ended it, each
  // later host call re-throws that ending, so a guest that catches the exception gets no further.
  const state: RunEnding = { ended: undefined };
  const meter = new LimitMeter(o.fuel, o.timeoutMs, undefined, state);
  const stdout = makeSink(o.stdout, 1);
  const stderr = makeSink(o.stderr, 2);
  const trace =
    options.trace === true
      ? (line: string): void => {
          stdout.flush(); // trace lines keep their place among the guest's own output
          stderr.flush();
          writeAllSync(2, Buffer.from(line + '\n'));
        }
      : typeof options.trace === 'function'
        ? options.trace
        : undefined;

  let opened: ReturnType<typeof openContext>;
  try {
    opened = openContext(o, options, stdout, stderr, trace, { at: meter.deadline, expired: () => meter.timeout() }, wasiNames(cm), state);
  } catch (e) {
    if (acquired && 'variant' in acquired) acquired.pooled?.release(); // taken but never used: back to the pool
    throw e;
  }
  const { ctx, preopens } = opened;

  const started = performance.now();
  let variant: ModuleVariant | undefined;
  let instance: WebAssembly.Instance | undefined;
  let pooled: PooledMemory | undefined;
  const result = (exitCode: number, error?: WardenError, returnValues?: unknown[]): RunResult => {
    const { fuelUsed, peakMemoryBytes } = usage(meter, variant, instance);
    const r: RunResult = { exitCode, stdout: stdout.collected(), stderr: stderr.collected(), durationMs: performance.now() - started, fuelUsed, peakMemoryBytes };
    if (error) r.error = error;
    if (returnValues) r.returnValues = returnValues;
    return r;
  };
  const ending = (e: ProcExit | RunAbort): RunResult =>
    e instanceof ProcExit ? result(e.code) : result(EXIT_TRAP, e.error);
  try {
    if (acquired === undefined) return result(EXIT_TRAP, new WardenError('memory', 'instance limit: a run needs one instance, but limits.instances is 0', { instances: 0 }));
    if ('error' in acquired) return result(EXIT_TRAP, acquired.error);
    variant = acquired.variant;
    pooled = acquired.pooled;
    // Plain literals (no spread, no computed keys: V8 builds those through a slow runtime path, ~4 us per run).
    const warden: Record<string, WebAssembly.ImportValue> = pooled ? { fuel: meter.refill, memory: pooled.memory } : { fuel: meter.refill };
    const provided: WebAssembly.Imports = { wasi_snapshot_preview1: ctx.imports.wasi_snapshot_preview1!, warden };
    // The WASI functions and the meter share the run's ending (above), so they need no guard wrappers here.
    const plan = linkPlan(cm, provided);
    if (plan.error) return result(EXIT_FAILURE, plan.error);
    const exported = cm.functionExports;
    const entry = options.invoke ?? '_start';
    if (!exported.includes(entry)) return result(EXIT_FAILURE, noEntry(cm, options.invoke));
    const args = options.invoke !== undefined ? invokeArgs(entry, cm.signatures?.exports.get(entry), options.invokeArgs ?? []) : [];

    if (variant.requires.gcAllocates) meter.watchHeap(o.memoryBytes); // (GC objects: V8's heap, see LimitMeter.watchHeap)
    instance = pooled ? pooled.instantiate(provided) : new WebAssembly.Instance(variant.module, provided);
    const memory = instance.exports['memory'];
    if (memory instanceof WebAssembly.Memory) ctx.bindMemory(memory);
    const exports = instance.exports;
    const call = (name: string, a: unknown[]): unknown => (exports[name] as (...x: unknown[]) => unknown)(...a);
    if (options.invoke !== undefined && exported.includes('_initialize') && entry !== '_initialize') call('_initialize', []);
    const value = call(entry, args);
    if (state.ended) return ending(state.ended);
    if (options.invoke === undefined) return result(0);
    const nResults = cm.signatures?.exports.get(entry)?.results.length;
    const values = nResults === 0 || value === undefined ? [] : nResults !== 1 && Array.isArray(value) ? value : [value];
    return result(0, undefined, values);
  } catch (e) {
    if (state.ended) return ending(state.ended);
    if (e instanceof ProcExit || e instanceof RunAbort) return ending(e);
    if (e instanceof WebAssembly.LinkError) return result(EXIT_FAILURE, linkErrorFromV8(e));
    if (variant && e instanceof Error && typeof e.stack === 'string') e.stack = originalStack(e.stack, variant);
    const fault = guestFault(e, cm.functionNames);
    if (fault) return result(EXIT_TRAP, fault);
    if (e instanceof WardenError) throw e;
    throw new WardenError('internal', `internal error: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    flushQuietly(stdout);
    flushQuietly(stderr);
    closeQuietly(ctx);
    for (const p of preopens) closeQuietly(p.dir);
    pooled?.release(); // last: nothing may read guest memory once it is zeroed for the next run
  }
}
