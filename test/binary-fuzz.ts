// Round-trip fuzzing support (shared by test/binary-fuzz.test.ts and bench/fuzz-roundtrip.ts): binaryen's
// `wasm-opt -ttf` run in-process to turn random bytes into valid modules, and a differential runner.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { decode } from '../src/binary/decoder.js';
import { encode } from '../src/binary/encoder.js';
import { typeList, type Module, type ValType } from '../src/binary/module.js';

const require = createRequire(import.meta.url);

/** wasm-opt feature flags for what V8 in this Node runs by default. */
export const NODE_FEATURES = [
  '--enable-sign-ext',
  '--enable-mutable-globals',
  '--enable-nontrapping-float-to-int',
  '--enable-simd',
  '--enable-bulk-memory',
  '--enable-reference-types',
  '--enable-multivalue',
  '--enable-tail-call',
];

type Main = (args: string[]) => number;
let wasmOpt: Promise<Main> | undefined;

/** binaryen's wasm-opt (an Emscripten program shipped in the npm package), loaded once into this process. */
export function loadWasmOpt(): Promise<Main> {
  wasmOpt ??= new Promise<Main>((resolve, reject) => {
    const path = join(dirname(require.resolve('binaryen')), 'bin', 'wasm-opt');
    const head = 'var Module=typeof Module!="undefined"?Module:{};';
    let code = readFileSync(path, 'utf8').replace(/^#!.*\n/, '');
    if (!code.includes(head)) {
      reject(new Error('unrecognised wasm-opt launcher'));
      return;
    }
    const M: Record<string, unknown> = {
      noInitialRun: true,
      noExitRuntime: true,
      print: () => {},
      printErr: () => {},
      onRuntimeInitialized: () => resolve((args) => (M['callMain'] as Main)(args)),
    };
    code = code.replace(head, 'var Module=__warden_module;') + '\n;Module.callMain=callMain;';
    const fn = new Function('require', '__filename', '__dirname', 'process', '__warden_module', code);
    fn(require, path, dirname(path), process, M);
  });
  return wasmOpt;
}

let scratch: string | undefined;
let uses = 0;

/** The module generator failed (not a failure of the code under test). */
export class GeneratorError extends Error {}

/** A valid random module made by `wasm-opt -ttf` from `seed` bytes. */
export async function ttf(seed: Uint8Array, features: readonly string[] = NODE_FEATURES): Promise<Uint8Array> {
  // One wasm-opt instance degrades after many runs (its heap fills): start a fresh one now and then.
  if (++uses % 300 === 0) wasmOpt = undefined;
  const main = await loadWasmOpt();
  scratch ??= mkdtempSync(join(tmpdir(), 'warden-ttf-'));
  const inp = join(scratch, 'in.bin');
  const out = join(scratch, 'out.wasm');
  rmSync(out, { force: true });
  writeFileSync(inp, seed);
  const exitCode = process.exitCode;
  try {
    const status = main(['-ttf', inp, '-o', out, '-q', ...features]);
    process.exitCode = exitCode; // the Emscripten runtime may set it on the way out
    if (status !== 0 || !existsSync(out) || statSync(out).size < 8) throw new Error(`exit status ${status}, no module written`);
  } catch (e) {
    // wasm-opt itself crashed on this seed (it happens): start a fresh copy for the next case.
    process.exitCode = exitCode;
    wasmOpt = undefined;
    throw new GeneratorError(`wasm-opt -ttf failed: ${(e as Error)?.message ?? String(e)}`);
  }
  return new Uint8Array(readFileSync(out));
}

export interface RoundTrip {
  output: Uint8Array;
  identical: boolean;
  /** Second round trip reproduced the first byte for byte. */
  stable: boolean;
}

/** decode -> encode with every instruction decoded and re-encoded (not copied), and once more on the output. */
export function roundTrip(bytes: Uint8Array): RoundTrip {
  const output = encode(decode(bytes, { lazy: false }), { sizeHint: bytes.length });
  const again = encode(decode(output, { lazy: false }), { sizeHint: output.length });
  return { output, identical: equalBytes(bytes, output), stable: equalBytes(output, again) };
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function zeroOf(t: ValType): unknown {
  if (t === 0x7e) return 0n;
  if (typeof t === 'number' && t >= 0x7b) return 0;
  return null;
}

/** An argument value for a parameter of type `t`, varied by `k`. */
function argOf(t: ValType, k: number): unknown {
  const ints = [0, 1, -1, 0x7fffffff, -0x80000000, 42, 1 << 16];
  if (t === 0x7f) return ints[k % ints.length];
  if (t === 0x7e) return BigInt(ints[k % ints.length]!) * (k % 2 ? 0x100000001n : 1n);
  if (t === 0x7d || t === 0x7c) return [0, -0.5, 1.5, NaN, Infinity, -1e10][k % 6];
  return zeroOf(t);
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  if (typeof v === 'function') return 'funcref';
  if (v === null || v === undefined) return String(v);
  return typeof v;
}

/**
 * Calls every exported function of `m` (decoded from the module `instance` was made from) `rounds` times with
 * arguments from `args`, appending "call NAME -> result" (or the error, a stack overflow as "RangeError: stack")
 * to `log`. `hangLimitInitializer` (wasm-opt -ttf's loop limiter) is called before each call, not itself.
 */
export function callExports(m: Module, instance: WebAssembly.Instance, log: string[], rounds: number, args = argOf): void {
  const types = typeList(m);
  const nImportedFuncs = m.imports.filter((i) => i.desc.kind === 'func').length;
  const ex = instance.exports as Record<string, unknown>;
  const reset = ex['hangLimitInitializer'];
  for (let round = 0; round < rounds; round++) {
    for (const e of m.exports) {
      if (e.kind !== 'func' || e.name === 'hangLimitInitializer') continue;
      const f = ex[e.name] as (...a: unknown[]) => unknown;
      const typeIdx = e.index < nImportedFuncs ? undefined : m.funcs[e.index - nImportedFuncs];
      const comp = typeIdx === undefined ? undefined : types[typeIdx]!.comp;
      const params = comp && comp.kind === 'func' ? comp.params : [];
      const values = params.map((t, i) => args(t, round * 7 + i));
      if (typeof reset === 'function') (reset as () => void)();
      try {
        log.push(`call ${e.name} -> ${show(f(...values))}`);
      } catch (err) {
        const ctor = (err as Error)?.constructor?.name ?? 'thrown';
        const msg = err instanceof Error ? err.message : show(err);
        log.push(`call ${e.name} -> ${ctor}: ${ctor === 'RangeError' && /stack/.test(msg) ? 'stack' : msg}`);
      }
    }
  }
}

/**
 * An import object for `m` (shared by the fuzz harnesses): every imported function appends
 * "import MOD.NAME(args)" to `log` and returns zeros; memories, tables and globals are fresh zeroed ones.
 */
export function recordingImports(m: Module, log: string[]): Record<string, Record<string, unknown>> {
  const types = typeList(m);
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of m.imports) {
    const ns = (imports[imp.module] ??= {});
    const d = imp.desc;
    if (d.kind === 'func') {
      const t = types[d.type]!.comp;
      const results = t.kind === 'func' ? t.results : [];
      ns[imp.name] = (...args: unknown[]) => {
        log.push(`import ${imp.module}.${imp.name}(${args.map(show).join(',')})`);
        if (results.length === 0) return undefined;
        if (results.length === 1) return zeroOf(results[0]!);
        return results.map(zeroOf);
      };
    } else if (d.kind === 'memory') {
      ns[imp.name] = new WebAssembly.Memory({
        initial: d.limits.min,
        maximum: d.limits.max ?? undefined,
        shared: (d.limits.flags & 2) !== 0,
      } as WebAssembly.MemoryDescriptor);
    } else if (d.kind === 'table') {
      ns[imp.name] = new WebAssembly.Table({
        element: d.table.ref === 0x6f ? 'externref' : 'anyfunc',
        initial: d.table.limits.min,
        maximum: d.table.limits.max ?? undefined,
      });
    } else if (d.kind === 'global') {
      const t = d.global.type;
      const value = t === 0x7f ? 'i32' : t === 0x7e ? 'i64' : t === 0x7d ? 'f32' : t === 0x7c ? 'f64' : 'externref';
      ns[imp.name] = new WebAssembly.Global({ value, mutable: d.global.mutable } as WebAssembly.GlobalDescriptor, zeroOf(t) as number);
    } else {
      ns[imp.name] = undefined;
    }
  }
  return imports;
}

/**
 * Instantiate `bytes` with logging stub imports and call every exported function with a few argument sets;
 * returns a transcript (results, traps, import calls) to compare between two modules.
 */
export function transcript(bytes: Uint8Array, rounds = 2): string[] {
  const m: Module = decode(bytes);
  const log: string[] = [];
  const imports = recordingImports(m, log);
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports as WebAssembly.Imports);
  } catch (e) {
    return [`instantiate: ${(e as Error).constructor.name}: ${(e as Error).message}`, ...log];
  }
  callExports(m, instance, log, rounds);
  return log;
}

/** The WebAssembly module inside binaryen's wasm-opt launcher (a large real-world Emscripten build, ~10 MB). */
export function binaryenWasm(): Uint8Array {
  const path = join(dirname(require.resolve('binaryen')), 'bin', 'wasm-opt');
  const code = readFileSync(path, 'latin1');
  const key = 'function findWasmBinary(){return binaryDecode(';
  const at = code.indexOf(key);
  if (at < 0) throw new Error('no embedded module in wasm-opt');
  const start = at + key.length;
  const quote = code[start]!;
  let end = start + 1;
  while (code[end] !== quote) end += code[end] === '\\' ? 2 : 1;
  // The launcher is UTF-8 text: re-read the literal as UTF-8 and decode it as the launcher does.
  const literal = Buffer.from(code.slice(start, end + 1), 'latin1').toString('utf8');
  const bin = new Function(`return ${literal}`)() as string;
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    const c = bin.charCodeAt(i);
    out[i] = ~c >> 8 & c;
  }
  return out;
}

/** Deep equality of two decoded modules, ignoring byte offsets (which move when LEB sizes change). */
export function sameAst(a: unknown, b: unknown, path = '$'): string | null {
  if (a === b) return null;
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return equalBytes(a, b) ? null : `${path}: bytes differ`;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = sameAst(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && 'locals' in a && 'body' in a && 'locals' in b && 'body' in b) {
    // Function bodies: compare what they contain, not how they are held (raw bytes or instructions).
    const ca = a as { locals: unknown; body: unknown };
    const cb = b as { locals: unknown; body: unknown };
    return sameAst(ca.locals, cb.locals, `${path}.locals`) ?? sameAst(ca.body, cb.body, `${path}.body`);
  }
  if (a && b && typeof a === 'object') {
    const ka = Object.keys(a).filter((k) => k !== 'offset');
    const kb = Object.keys(b as object).filter((k) => k !== 'offset');
    if (ka.join() !== kb.join()) return `${path}: keys ${ka.join()} vs ${kb.join()}`;
    for (const k of ka) {
      const d = sameAst((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return `${path}: ${String(a)} vs ${String(b)}`;
}

/** Every proposal binaryen generates that V8 in Node 20 or 24 knows (GC, exnref, memory64, ...). */
export const ALL_V8_FEATURES = [
  ...NODE_FEATURES,
  '--enable-threads',
  '--enable-relaxed-simd',
  '--enable-exception-handling',
  '--enable-gc',
  '--enable-memory64',
  '--enable-multimemory',
  '--enable-extended-const',
  '--enable-bulk-memory-opt',
];

/** Deterministic seed bytes for fuzz case `index` (so every failure can be reproduced by its number). */
export function seedBytes(index: number, size = 4096): Uint8Array {
  const out = new Uint8Array(size);
  for (let k = 0; k * 32 < size; k++) {
    out.set(createHash('sha256').update(`warden-ttf:${index}:${k}`).digest().subarray(0, Math.min(32, size - k * 32)), k * 32);
  }
  return out;
}

export interface FuzzResult {
  module: Uint8Array;
  /** wasm-opt could not generate a module from this seed (the case was skipped). */
  skipped?: boolean;
  identical: boolean;
  stable: boolean;
  /** V8 here accepts the generated module (so it was also run). */
  runnable: boolean;
  /** Why the case failed, or null. */
  failure: string | null;
}

/**
 * One fuzz case: generate a module, round-trip it instruction by instruction, and when V8 runs it,
 * validate the output and compare transcripts of original and round-tripped modules.
 */
export async function fuzzCase(index: number, features: readonly string[]): Promise<FuzzResult> {
  let module: Uint8Array;
  try {
    module = await ttf(seedBytes(index, 1024 + (index % 8) * 1024), features);
  } catch (e) {
    if (!(e instanceof GeneratorError)) throw e;
    return { module: new Uint8Array(0), skipped: true, identical: false, stable: false, runnable: false, failure: null };
  }
  let rt: RoundTrip;
  try {
    rt = roundTrip(module);
  } catch (e) {
    return { module, identical: false, stable: false, runnable: false, failure: `round trip threw: ${(e as Error).message}` };
  }
  const result: FuzzResult = { module, identical: rt.identical, stable: rt.stable, runnable: false, failure: null };
  if (!rt.identical) result.failure = 'output differs from input';
  else if (!rt.stable) result.failure = 'second round trip differs';
  if (result.failure) return result;
  result.runnable = WebAssembly.validate(module);
  if (!result.runnable) return result;
  if (!WebAssembly.validate(rt.output)) return { ...result, failure: 'output does not validate' };
  const a = transcript(module);
  const b = transcript(rt.output);
  const diff = a.findIndex((line, i) => line !== b[i]);
  if (diff >= 0 || a.length !== b.length) {
    return { ...result, failure: `transcripts differ at line ${diff}: ${a[diff]} / ${b[diff]}` };
  }
  return result;
}
