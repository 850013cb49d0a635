// Runs one .wast script's commands against V8, either with the modules as they are ('plain') or after Warden's
// rewriter ('instrumented': instrument() with fuel metering, served by a `warden.fuel` import that always
// refills), and counts every command as passed, failed or skipped (with the reason it could not be expressed).

import wabtInit from 'wabt';
import { decode } from '../../src/binary/decoder.js';
import { typeList, type Module, type ValType } from '../../src/binary/module.js';
import { WardenError } from '../../src/errors.js';
import { instrument, FUEL_IMPORT, type InstrumentOptions } from '../../src/instrument/index.js';
import { Drivers, heapName } from './driver.js';
import { atom, head, parseScript, str, type SExpr, type SList } from './sexpr.js';
import { describeExpected, describeValue, isNan, matches, parseConst, parseExpected, Unsupported, type Expected, type Value } from './values.js';

export type Mode = 'plain' | 'instrumented';

export interface Outcome {
  pass: number;
  fail: number;
  skip: number;
  /** "line: message" of each failure. */
  failures: string[];
  /** Skip reason -> count. */
  skips: Record<string, number>;
}

export interface ScriptOptions {
  /** Fuel put in the counter at each refill (default 2^60: never runs out). */
  fuelSlice?: bigint;
}

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
type Binaryen = typeof import('binaryen').default;
/** binaryen (a large module) is loaded only for scripts with text wabt cannot assemble. */
let binaryen: Binaryen | undefined;
let wabtPromise: Promise<Wabt> | undefined;
const FEATURES = {
  exceptions: true,
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  simd: true,
  threads: true,
  function_references: true,
  multi_value: true,
  tail_call: true,
  bulk_memory: true,
  reference_types: true,
  annotations: true,
  code_metadata: true,
  gc: true,
  memory64: true,
  multi_memory: true,
  extended_const: true,
  relaxed_simd: true,
};

/** A module of the script as bytes, or why it has none. */
type Prepared = { bytes: Uint8Array; name?: string } | { skip: string; name?: string };

/** A skipped command: counted with its reason, never passed. */
class Skip extends Error {}
/** A failed command. */
class Fail extends Error {}

/** Result of compiling + instantiating a module in one mode. */
type Instantiated =
  | { ok: true; instance: WebAssembly.Instance; decoded: Module | string }
  | { ok: false; stage: 'rewrite' | 'compile' | 'link' | 'start'; error: unknown };

interface Held {
  instance: WebAssembly.Instance;
  /** The decoded original module (for export signatures), or why our decoder refused it. */
  decoded: Module | string;
}

const errText = (e: unknown): string => (e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e));
const short = (s: string, n = 90): string => (s.length > n ? s.slice(0, n) + '...' : s);

function spectest(): Record<string, unknown> {
  const print = (): void => {};
  return {
    print,
    print_i32: print,
    print_i64: print,
    print_f32: print,
    print_f64: print,
    print_i32_f32: print,
    print_f64_f64: print,
    global_i32: new WebAssembly.Global({ value: 'i32' }, 666),
    global_i64: new WebAssembly.Global({ value: 'i64' }, 666n),
    global_f32: new WebAssembly.Global({ value: 'f32' }, 666.6),
    global_f64: new WebAssembly.Global({ value: 'f64' }, 666.6),
    table: new WebAssembly.Table({ initial: 10, maximum: 20, element: 'anyfunc' }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
  };
}

/** The parsed script and the modules shared by the modes (text converted once). */
export class Script {
  readonly commands: SList[];
  readonly prepared = new Map<SList, Prepared>();
  private readonly rewritten = new Map<Uint8Array, Uint8Array | Error>();

  constructor(
    readonly file: string,
    readonly source: string,
    private readonly wabt: Wabt,
  ) {
    this.commands = parseScript(source);
  }

  static async load(file: string, source: string): Promise<Script> {
    wabtPromise ??= wabtInit();
    const script = new Script(file, source, await wabtPromise);
    // Assemble every module now; if wabt cannot do some valid one, load binaryen and assemble again.
    const modules: [SList, boolean][] = [];
    for (const cmd of script.commands) {
      const h = head(cmd);
      if (h === 'module') modules.push([cmd, true]);
      else if (head(cmd.items[1]) === 'module') modules.push([cmd.items[1] as SList, h !== 'assert_invalid' && h !== 'assert_malformed']);
    }
    const needBinaryen = (): boolean => modules.some(([m, valid]) => valid && script.wabtFailed.has(m));
    for (const [m, valid] of modules) script.prepare(m, valid);
    if (!binaryen && needBinaryen()) {
      binaryen = (await import('binaryen')).default;
      for (const [m, valid] of modules) if (valid && script.wabtFailed.has(m)) script.prepared.delete(m);
      for (const [m, valid] of modules) script.prepare(m, valid);
    }
    return script;
  }

  /** Modules wabt could not assemble. */
  private readonly wabtFailed = new Set<SList>();

  /**
   * The bytes of a (module ...) form. Text goes through wabt; a module that should be valid (`valid`) and
   * that wabt cannot assemble (newer syntax such as `(ref null $t)`) goes through binaryen's text parser.
   */
  prepare(m: SList, valid = true): Prepared {
    let p = this.prepared.get(m);
    if (!p) {
      p = this.prepareUncached(m, valid);
      this.prepared.set(m, p);
    }
    return p;
  }

  private prepareUncached(m: SList, valid: boolean): Prepared {
    let i = 1;
    const modName = atom(m.items[1])?.startsWith('$') ? atom(m.items[1]) : undefined;
    if (modName) i++;
    const kw = atom(m.items[i]);
    if (kw === 'definition' || kw === 'instance') return { skip: `module ${kw}`, name: modName };
    if (kw === 'binary') {
      const parts = m.items.slice(i + 1).map((e) => (e.kind === 'string' ? e.bytes : new Uint8Array()));
      const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of parts) {
        bytes.set(p, at);
        at += p.length;
      }
      return { bytes, name: modName };
    }
    let text: string;
    if (kw === 'quote') {
      text = `(module ${m.items
        .slice(i + 1)
        .map((e) => str(e) ?? '')
        .join(' ')})`;
    } else text = this.source.slice(m.start, m.end);
    try {
      const mod = this.wabt.parseWat(`${this.file}:${m.line}`, text, FEATURES);
      try {
        mod.resolveNames();
        return { bytes: new Uint8Array(mod.toBinary({}).buffer), name: modName };
      } finally {
        mod.destroy();
      }
    } catch {
      this.wabtFailed.add(m);
      if (!valid) return { skip: 'wabt cannot assemble the text', name: modName };
    }
    if (!binaryen) return { skip: 'wabt cannot assemble the text', name: modName };
    try {
      const mod = binaryen.parseText(text);
      try {
        const F = binaryen.Features;
        mod.setFeatures(F.All & ~F.Strings & ~F.SharedEverything & ~F.StackSwitching & ~(1 << 21));
        return { bytes: mod.emitBinary(), name: modName };
      } finally {
        mod.dispose();
      }
    } catch {
      return { skip: 'neither wabt nor binaryen can assemble the text', name: modName };
    }
  }

  /** What instrument() is asked for besides fuel (the spec-run --caps option: Warden's default caps). */
  instrumentOptions: InstrumentOptions = {};

  /** Warden's rewrite of a module (cached: every mode run sees the same bytes). */
  rewrite(bytes: Uint8Array): Uint8Array | Error {
    let r = this.rewritten.get(bytes);
    if (!r) {
      try {
        r = instrument(bytes, this.instrumentOptions).bytes;
      } catch (e) {
        r = e instanceof Error ? e : new Error(String(e));
      }
      this.rewritten.set(bytes, r);
    }
    return r;
  }

  /** Runs every command in one mode. */
  run(mode: Mode, options: ScriptOptions = {}): Outcome {
    return new Execution(this, mode, options).run();
  }
}

class Execution {
  private readonly out: Outcome = { pass: 0, fail: 0, skip: 0, failures: [], skips: {} };
  private readonly registry = new Map<string, Record<string, unknown>>();
  private readonly named = new Map<string, Held | string>();
  /** The last module defined: its instance, or why it is unavailable (a skip or failure reason). */
  private current: Held | string | null = null;
  private readonly externs = new Map<number, object>();
  private readonly externIds = new Map<object, number>();
  private readonly drivers = new Drivers();
  /** Fuel put in the counter at each refill. */
  private readonly slice: bigint;

  constructor(
    private readonly script: Script,
    private readonly mode: Mode,
    options: ScriptOptions,
  ) {
    this.slice = options.fuelSlice ?? 1n << 60n;
    this.registry.set('spectest', spectest());
  }

  run(): Outcome {
    for (const cmd of this.script.commands) {
      try {
        this.command(cmd);
        this.out.pass++;
      } catch (e) {
        if (e instanceof Skip) {
          this.out.skip++;
          this.out.skips[e.message] = (this.out.skips[e.message] ?? 0) + 1;
        } else {
          this.out.fail++;
          this.out.failures.push(`${cmd.line}: ${head(cmd)}: ${e instanceof Fail ? e.message : 'runner error: ' + errText(e)}`);
        }
      }
    }
    return this.out;
  }

  private externRef(n: number): object {
    let o = this.externs.get(n);
    if (!o) {
      o = { extern: n };
      this.externs.set(n, o);
      this.externIds.set(o, n);
    }
    return o;
  }

  private readonly toJs = (v: Value): unknown => {
    if (v.type !== 'ref') throw new Error('not a reference');
    if (v.null) return null;
    if (v.extern !== undefined) return this.externRef(v.extern);
    throw new Skip('reference argument other than ref.null / ref.extern');
  };

  private readonly fromJs = (x: unknown, t: ValType): Value => {
    const heap = heapName(t);
    if (x === null) return { type: 'ref', heap, null: true };
    if (typeof x === 'object' && this.externIds.has(x as object)) return { type: 'ref', heap: 'extern', null: false, extern: this.externIds.get(x as object) };
    return { type: 'ref', heap: typeof x === 'function' ? 'func' : heap, null: false };
  };

  /** Compiles and instantiates a prepared module in this mode. */
  private instantiate(bytes: Uint8Array): Instantiated {
    let wasm = bytes;
    if (this.mode === 'instrumented') {
      const r = this.script.rewrite(bytes);
      if (r instanceof Error) return { ok: false, stage: 'rewrite', error: r };
      wasm = r;
    }
    let mod: WebAssembly.Module;
    try {
      mod = new WebAssembly.Module(wasm);
    } catch (e) {
      return { ok: false, stage: 'compile', error: e };
    }
    const imports: Record<string, Record<string, unknown>> = {};
    for (const imp of WebAssembly.Module.imports(mod)) {
      if (this.mode === 'instrumented' && imp.module === FUEL_IMPORT.module && imp.name === FUEL_IMPORT.name) {
        const slice = this.slice;
        (imports[imp.module] ??= {})[imp.name] = (): bigint => slice;
        continue;
      }
      const from = this.registry.get(imp.module);
      if (from && imp.name in from) (imports[imp.module] ??= {})[imp.name] = from[imp.name];
    }
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(mod, imports as WebAssembly.Imports);
    } catch (e) {
      const stage = e instanceof WebAssembly.LinkError || e instanceof TypeError ? 'link' : 'start';
      return { ok: false, stage, error: e };
    }
    let decoded: Module | string;
    try {
      decoded = decode(bytes);
    } catch (e) {
      decoded = `our decoder refuses the module: ${short(errText(e), 60)}`;
    }
    return { ok: true, instance, decoded };
  }

  /** Why a module that should be valid has no instance: a Skip if it cannot be run here, else a Fail. */
  private moduleProblem(r: Exclude<Instantiated, { ok: true }>, plainOk: () => boolean): Error {
    const msg = errText(r.error);
    if (r.stage === 'rewrite') {
      if (r.error instanceof WardenError && r.error.kind === 'memory') return new Skip(`above the caps: ${short(r.error.message, 60)}`);
      if (r.error instanceof WardenError && r.error.kind === 'invalid-module' && r.error.message.startsWith('unsupported:')) {
        return new Skip(`rewriter refuses: ${short(r.error.message.replace(/ at offset 0x[0-9a-f]+$/, ''), 60)}`);
      }
      return new Fail(`rewriter failed on a valid module: ${msg}`);
    }
    if (r.stage === 'compile') {
      if (this.mode === 'plain' || !plainOk()) return new Skip(`V8 refuses the module: ${short(msg.replace(/@\+\d+/, ''), 70)}`);
      return new Fail(`V8 refuses the rewritten module (the original compiles): ${msg}`);
    }
    return new Fail(`module did not instantiate: ${msg}`);
  }

  private plainCompiles(bytes: Uint8Array): boolean {
    try {
      new WebAssembly.Module(bytes);
      return true;
    } catch {
      return false;
    }
  }

  private defineModule(m: SList): void {
    const p = this.script.prepare(m);
    const setCurrent = (h: Held | string): void => {
      this.current = h;
      if (p.name) this.named.set(p.name, h);
    };
    if ('skip' in p) {
      setCurrent(`module skipped: ${p.skip}`);
      throw new Skip(p.skip);
    }
    const r = this.instantiate(p.bytes);
    if (!r.ok) {
      const problem = this.moduleProblem(r, () => this.plainCompiles(p.bytes));
      setCurrent(problem instanceof Skip ? `module skipped: ${problem.message}` : `module failed at line ${m.line}`);
      throw problem;
    }
    setCurrent({ instance: r.instance, decoded: r.decoded });
  }

  private command(cmd: SList): void {
    const h = head(cmd);
    const items = cmd.items;
    switch (h) {
      case 'module':
        return this.defineModule(cmd);
      case 'register': {
        const as = str(items[1]);
        const target = this.held(atom(items[2]));
        if (as === undefined) throw new Error('register without a name');
        this.registry.set(as, target.instance.exports as Record<string, unknown>);
        return;
      }
      case 'invoke':
      case 'get':
        this.action(cmd);
        return;
      case 'assert_return': {
        const expected = items.slice(2).map((e) => this.expected(e));
        const got = this.action(items[1] as SList);
        if (got.length !== expected.length) throw new Fail(`${got.length} results, expected ${expected.length}`);
        got.forEach((v, i) => {
          if (!matches(v, expected[i]!)) throw new Fail(`result ${i}: got ${describeValue(v)}, expected ${describeExpected(expected[i]!)}`);
        });
        return;
      }
      case 'assert_return_canonical_nan':
      case 'assert_return_arithmetic_nan': {
        const got = this.action(items[1] as SList);
        const v = got[0];
        if (got.length !== 1 || !v || (v.type !== 'f32' && v.type !== 'f64') || !isNan(v.bits, v.type, h.includes('canonical'))) {
          throw new Fail(`got ${got.map(describeValue).join(', ')}, expected a ${h.includes('canonical') ? 'canonical' : 'arithmetic'} NaN`);
        }
        return;
      }
      case 'assert_trap':
      case 'assert_uninstantiable': {
        const what = items[1] as SList;
        if (head(what) === 'module') return this.expectModuleFailure(what, 'start');
        return this.expectThrow(what, 'trap');
      }
      case 'assert_exhaustion':
        return this.expectThrow(items[1] as SList, 'exhaustion');
      case 'assert_exception':
        return this.expectThrow(items[1] as SList, 'exception');
      case 'assert_unlinkable':
        return this.expectModuleFailure(items[1] as SList, 'link');
      case 'assert_invalid':
      case 'assert_malformed':
        return this.expectRefused(items[1] as SList, h);
      default:
        throw new Skip(`command ${h}`);
    }
  }

  private expected(e: SExpr): Expected {
    try {
      return parseExpected(e);
    } catch (err) {
      if (err instanceof Unsupported) throw new Skip(err.message);
      throw err;
    }
  }

  private held(name: string | undefined): Held {
    const h = name ? this.named.get(name) : this.current;
    if (h === undefined || h === null) throw new Error(`no module ${name ?? ''}`);
    if (typeof h === 'string') {
      if (h.startsWith('module skipped: ')) throw new Skip(h.slice('module skipped: '.length));
      throw new Skip(`depends on a module that failed`);
    }
    return h;
  }

  /** Runs an (invoke ...) or (get ...) action; returns its results. */
  private action(a: SList): Value[] {
    const h = head(a);
    let i = 1;
    const modName = atom(a.items[1])?.startsWith('$') ? atom(a.items[1]) : undefined;
    if (modName) i++;
    const target = this.held(modName);
    const field = str(a.items[i]);
    if (field === undefined) throw new Error(`${h} without a name`);
    const exported = (target.instance.exports as Record<string, unknown>)[field];
    if (exported === undefined) throw new Fail(`no export "${field}"`);
    if (typeof target.decoded === 'string') throw new Skip(target.decoded);
    const m = target.decoded;
    const exp = m.exports.find((e) => e.name === field);
    if (!exp) throw new Fail(`no export "${field}" in the decoded module`);
    try {
      if (h === 'get') {
        if (exp.kind !== 'global') throw new Fail(`"${field}" is not a global`);
        const gi = m.imports.filter((x) => x.desc.kind === 'global');
        const gt = exp.index < gi.length ? (gi[exp.index]!.desc as { global: { type: ValType; mutable: boolean } }).global : m.globals[exp.index - gi.length]!.type;
        return [this.drivers.get(exported, gt.type, gt.mutable, this.fromJs)];
      }
      if (h !== 'invoke') throw new Skip(`action ${h}`);
      if (exp.kind !== 'func') throw new Fail(`"${field}" is not a function`);
      const fi = m.imports.filter((x) => x.desc.kind === 'func');
      const typeIndex = exp.index < fi.length ? (fi[exp.index]!.desc as { type: number }).type : m.funcs[exp.index - fi.length]!;
      const comp = typeList(m)[typeIndex]!.comp;
      if (comp.kind !== 'func') throw new Fail('export type is not a function type');
      let args: Value[];
      try {
        args = a.items.slice(i + 1).map(parseConst);
      } catch (e) {
        if (e instanceof Unsupported) throw new Skip(e.message);
        throw e;
      }
      return this.drivers.call(exported, comp.params, comp.results, args, this.toJs, this.fromJs);
    } catch (e) {
      if (e instanceof Unsupported) throw new Skip(e.message);
      throw e;
    }
  }

  private expectThrow(a: SList, want: 'trap' | 'exhaustion' | 'exception'): void {
    let got: Value[];
    try {
      got = this.action(a);
    } catch (e) {
      if (e instanceof Skip || e instanceof Fail) throw e;
      const kind =
        e instanceof WebAssembly.RuntimeError
          ? 'trap'
          : e instanceof RangeError && /call stack/i.test(e.message)
            ? 'exhaustion'
            : (WebAssembly as unknown as { Exception?: new () => object }).Exception && e instanceof (WebAssembly as unknown as { Exception: new () => object }).Exception
              ? 'exception'
              : 'other';
      if (kind === want) return;
      throw new Fail(`expected ${want}, got ${errText(e)}`);
    }
    throw new Fail(`expected ${want}, returned ${got.map(describeValue).join(', ') || 'nothing'}`);
  }

  private expectModuleFailure(m: SList, stage: 'link' | 'start'): void {
    const p = this.script.prepare(m);
    if ('skip' in p) throw new Skip(p.skip);
    const r = this.instantiate(p.bytes);
    if (r.ok) throw new Fail(`module instantiated; expected ${stage === 'link' ? 'a link error' : 'a trap'}`);
    if (r.stage === stage) return;
    if (r.stage === 'rewrite' || r.stage === 'compile') throw this.moduleProblem(r, () => this.plainCompiles(p.bytes));
    throw new Fail(`expected ${stage === 'link' ? 'a link error' : 'a trap'}, got ${errText(r.error)}`);
  }

  /** assert_invalid / assert_malformed: V8 must refuse the module, and the rewriter must never make it valid. */
  private expectRefused(m: SList, h: string): void {
    const kw = atom(m.items[1])?.startsWith('$') ? atom(m.items[2]) : atom(m.items[1]);
    if (kw === 'quote' && h === 'assert_malformed') throw new Skip('malformed text (quote)');
    const p = this.script.prepare(m, false);
    if ('skip' in p) throw new Skip(p.skip);
    if (this.mode === 'plain') {
      if (this.plainCompiles(p.bytes)) throw new Fail('V8 accepted the module');
      return;
    }
    const r = this.script.rewrite(p.bytes);
    if (r instanceof Error) {
      if (r instanceof WardenError && r.kind === 'invalid-module') return;
      throw new Fail(`rewriter crashed: ${errText(r)}`);
    }
    if (this.plainCompiles(r)) {
      throw new Fail(this.plainCompiles(p.bytes) ? 'V8 accepts the module (as it is, too)' : 'the rewriter turned an invalid module into one V8 accepts');
    }
  }
}
