// Differential testing of the fuel instrumenter (shared by test/instrument-fuzz.test.ts and
// scripts/fuzz-instrument.ts): a module and its instrumented form run with the same recording imports and
// the same calls must give the same transcript (results, traps with their messages, import calls).

import { decode } from '../src/binary/decoder.js';
import { type ValType } from '../src/binary/module.js';
import { instrument } from '../src/instrument/index.js';
import { LimitMeter } from '../src/limits/meter.js';
import { callExports, GeneratorError, recordingImports, seedBytes, ttf } from './binary-fuzz.js';

function argOf(t: ValType, k: number): unknown {
  const ints = [0, 1, -1, 0x7fffffff, -0x80000000, 42, 7, 0xffff];
  if (t === 0x7f) return ints[k % ints.length];
  if (t === 0x7e) return BigInt(ints[k % ints.length]!) * 0x100000001n;
  if (t === 0x7d || t === 0x7c) return [0, -0, 1.5, -1e30, NaN, Infinity][k % 6];
  return null;
}

export interface Transcript {
  lines: string[];
  /** A call overflowed the stack (instrumented frames are larger, so the depth reached may differ). */
  stackOverflow: boolean;
}

/**
 * Runs every exported function of `original`'s shape from `bytes` (the original or its instrumented form:
 * same exports and imports besides the fuel import, which `meter` serves) with a few argument sets.
 */
export function transcript(original: Uint8Array, bytes: Uint8Array, meter?: LimitMeter, rounds = 2): Transcript {
  const m = decode(original);
  const lines: string[] = [];
  const imports = recordingImports(m, lines);
  if (meter) (imports['warden'] ??= {})['fuel'] = meter.refill;
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports as WebAssembly.Imports);
  } catch (e) {
    return { lines: [`instantiate: ${(e as Error).constructor.name}: ${(e as Error).message}`, ...lines], stackOverflow: false };
  }
  callExports(m, instance, lines, rounds, argOf);
  const stackOverflow = lines.some((l) => l.startsWith('call ') && l.endsWith(' -> RangeError: stack'));
  return { lines, stackOverflow };
}

export interface DiffResult {
  /** wasm-opt could not make a module from this seed, or V8 here does not run it. */
  skipped: boolean;
  failure: string | null;
  fuelUsed: bigint;
}

/** One differential case: generate, instrument, run both, compare. */
export async function diffCase(index: number, features?: readonly string[]): Promise<DiffResult> {
  let module: Uint8Array;
  try {
    module = await ttf(seedBytes(index, 1024 + (index % 8) * 1024), features);
  } catch (e) {
    if (e instanceof GeneratorError) return { skipped: true, failure: null, fuelUsed: 0n };
    throw e;
  }
  if (!WebAssembly.validate(module)) return { skipped: true, failure: null, fuelUsed: 0n };
  let rewritten: Uint8Array;
  try {
    rewritten = instrument(module, {}).bytes;
  } catch (e) {
    return { skipped: false, failure: `instrument threw: ${(e as Error).message}`, fuelUsed: 0n };
  }
  try {
    new WebAssembly.Module(rewritten);
  } catch (e) {
    return { skipped: false, failure: `instrumented module invalid: ${(e as Error).message}`, fuelUsed: 0n };
  }
  const a = transcript(module, module);
  const meter = new LimitMeter(1n << 60n, 1e9);
  const b = transcript(module, rewritten, meter);
  if (a.stackOverflow || b.stackOverflow) {
    // Larger frames overflow earlier: compare only up to the first call that overflowed in either.
    const cut = (t: Transcript): number => {
      const i = t.lines.findIndex((l) => l.endsWith('RangeError: stack'));
      return i < 0 ? t.lines.length : i;
    };
    const n = Math.min(cut(a), cut(b));
    a.lines.length = Math.min(a.lines.length, n);
    b.lines.length = Math.min(b.lines.length, n);
    // the lines of the overflowing call itself (its imports) can differ: drop back to the last call line
    while (a.lines.length && !a.lines[a.lines.length - 1]!.startsWith('call ')) a.lines.pop();
    b.lines.length = a.lines.length;
  }
  const diff = a.lines.findIndex((line, i) => line !== b.lines[i]);
  if (diff >= 0 || a.lines.length !== b.lines.length) {
    const at = diff >= 0 ? diff : Math.min(a.lines.length, b.lines.length);
    return { skipped: false, failure: `transcripts differ at line ${at}: ${a.lines[at]} / ${b.lines[at]}`, fuelUsed: meter.used() };
  }
  return { skipped: false, failure: null, fuelUsed: meter.used() };
}
