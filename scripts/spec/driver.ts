// Calls exported wasm functions and reads globals with exact bits, through small "driver" modules (as the
// spec's own JS harness does): arguments are loaded from a shared memory inside wasm and results stored back,
// so NaN payloads, i64 and v128 values cross without JS number conversions. References pass as JS values.

import type { ValType } from '../../src/binary/module.js';
import { Unsupported, type NumType, type Value } from './values.js';

const NUM: Record<number, NumType | 'v128'> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };
const LOAD: Record<string, number[]> = { i32: [0x28], i64: [0x29], f32: [0x2a], f64: [0x2b], v128: [0xfd, 0x00] };
const STORE: Record<string, number[]> = { i32: [0x36], i64: [0x37], f32: [0x38], f64: [0x39], v128: [0xfd, 0x0b] };
const HEAP_NAMES: Record<number, string> = { 0x70: 'func', 0x6f: 'extern', 0x6e: 'any', 0x6d: 'eq', 0x6c: 'i31', 0x6b: 'struct', 0x6a: 'array', 0x69: 'exn' };
export const RESULTS_AT = 4096;

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
}

/** The bytes of a value type the driver can carry (numbers, v128, abstract references). */
function valTypeBytes(t: ValType): number[] {
  if (typeof t === 'number') return [t];
  if (t.heap >= 0) throw new Unsupported('typed reference (ref $t) in a signature');
  return [t.nullable ? 0x63 : 0x64, -t.heap];
}

const isNum = (t: ValType): boolean => typeof t === 'number' && NUM[t] !== undefined;

/** The heap type name of a reference type, for results. */
export function heapName(t: ValType): string {
  if (typeof t === 'number') return HEAP_NAMES[t] ?? 'any';
  return t.heap < 0 ? (HEAP_NAMES[-t.heap] ?? 'any') : 'any';
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  out.push(...body);
}

function vec(items: number[][]): number[] {
  const out: number[] = [];
  uleb(items.length, out);
  for (const i of items) out.push(...i);
  return out;
}

const name = (s: string): number[] => {
  const b = [...new TextEncoder().encode(s)];
  const out: number[] = [];
  uleb(b.length, out);
  return out.concat(b);
};

const funcType = (params: ValType[], results: ValType[]): number[] => [0x60, ...vec(params.map(valTypeBytes)), ...vec(results.map(valTypeBytes))];

/** Builds the driver for one import (a function of the given type, or a global) and returns its bytes. */
function buildDriver(target: { params: ValType[]; results: ValType[] } | { global: ValType; mutable: boolean }): Uint8Array {
  const out = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  const isFunc = 'params' in target;
  const params = isFunc ? target.params : [];
  const results = isFunc ? target.results : [target.global];
  const refParams = params.filter((t) => !isNum(t));
  const refResults = results.filter((t) => !isNum(t));
  const types = [funcType(refParams, refResults)];
  if (isFunc) types.push(funcType(params, results));
  section(1, vec(types), out);
  const imports = [[...name('t'), ...name('m'), 0x02, 0x00, ...[1]]];
  if (isFunc) imports.push([...name('t'), ...name('f'), 0x00, 1]);
  else imports.push([...name('t'), ...name('g'), 0x03, ...valTypeBytes(target.global), target.mutable ? 1 : 0]);
  section(2, vec(imports), out);
  section(3, vec([[0]]), out);
  const runIndex = isFunc ? 1 : 0;
  section(7, vec([[...name('run'), 0x00, runIndex]]), out);
  const code: number[] = [];
  const k = refParams.length;
  // locals: one per result
  uleb(results.length, code);
  for (const t of results) code.push(1, ...valTypeBytes(t));
  const i32const = (n: number): void => {
    code.push(0x41);
    // signed LEB of a small non-negative number
    do {
      let b = n & 0x7f;
      n >>= 7;
      if (n || b & 0x40) b |= 0x80;
      code.push(b);
      if (!(b & 0x80)) break;
    } while (true);
  };
  if (isFunc) {
    let refIndex = 0;
    params.forEach((t, j) => {
      if (isNum(t)) {
        i32const(16 * j);
        code.push(...LOAD[NUM[t as number]!]!, 0, 0);
      } else {
        code.push(0x20);
        uleb(refIndex++, code);
      }
    });
    code.push(0x10, 0); // call the target (function 0)
  } else code.push(0x23, 0); // global.get 0
  for (let i = results.length - 1; i >= 0; i--) {
    code.push(0x21);
    uleb(k + i, code);
  }
  results.forEach((t, i) => {
    if (!isNum(t)) return;
    i32const(RESULTS_AT + 16 * i);
    code.push(0x20);
    uleb(k + i, code);
    code.push(...STORE[NUM[t as number]!]!, 0, 0);
  });
  results.forEach((t, i) => {
    if (isNum(t)) return;
    code.push(0x20);
    uleb(k + i, code);
  });
  code.push(0x0b);
  const body: number[] = [];
  uleb(code.length, body);
  section(10, vec([[...body, ...code]]), out);
  return Uint8Array.from(out);
}

/** Compiled drivers by signature, and the memory all of them share. */
export class Drivers {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly cache = new Map<string, WebAssembly.Module>();

  private module(key: string, make: () => Uint8Array): WebAssembly.Module {
    let m = this.cache.get(key);
    if (!m) {
      m = new WebAssembly.Module(make());
      this.cache.set(key, m);
    }
    return m;
  }

  /**
   * Calls `fn` (a wasm export of type params -> results) with `args`; returns its results. Throws what the
   * call throws (traps, stack overflow, exceptions). `toJs` / `fromJs` convert reference values.
   */
  call(
    fn: unknown,
    params: ValType[],
    results: ValType[],
    args: Value[],
    toJs: (v: Value) => unknown,
    fromJs: (x: unknown, t: ValType) => Value,
  ): Value[] {
    if (args.length !== params.length) throw new Error(`${args.length} arguments for ${params.length} parameters`);
    const key = `f${JSON.stringify(params)}>${JSON.stringify(results)}`;
    const mod = this.module(key, () => buildDriver({ params, results }));
    const view = new DataView(this.memory.buffer);
    const refArgs: unknown[] = [];
    args.forEach((a, j) => {
      const t = params[j]!;
      const num = isNum(t) ? NUM[t as number]! : null;
      if (num === 'v128') {
        if (a.type !== 'v128') throw new Error(`argument ${j} is not a v128`);
        new Uint8Array(this.memory.buffer, 16 * j, 16).set(a.bytes);
      } else if (num) {
        if (a.type !== num) throw new Error(`argument ${j} is ${a.type}, the parameter ${num}`);
        if (num === 'i32' || num === 'f32') view.setUint32(16 * j, Number(a.bits), true);
        else view.setBigUint64(16 * j, a.bits, true);
      } else refArgs.push(toJs(a));
    });
    const inst = new WebAssembly.Instance(mod, { t: { m: this.memory, f: fn as WebAssembly.ImportValue } });
    const ret = (inst.exports['run'] as (...a: unknown[]) => unknown)(...refArgs);
    return this.read(results, ret, fromJs);
  }

  /** Reads a global's value. */
  get(global: unknown, type: ValType, mutable: boolean, fromJs: (x: unknown, t: ValType) => Value): Value {
    const key = `g${JSON.stringify(type)}${mutable}`;
    const mod = this.module(key, () => buildDriver({ global: type, mutable }));
    const inst = new WebAssembly.Instance(mod, { t: { m: this.memory, g: global as WebAssembly.ImportValue } });
    return this.read([type], (inst.exports['run'] as () => unknown)(), fromJs)[0]!;
  }

  private read(results: ValType[], ret: unknown, fromJs: (x: unknown, t: ValType) => Value): Value[] {
    const view = new DataView(this.memory.buffer);
    const refs = results.filter((t) => !isNum(t));
    const refValues = refs.length === 1 ? [ret] : refs.length > 1 ? [...(ret as Iterable<unknown>)] : [];
    let r = 0;
    return results.map((t, i) => {
      const at = RESULTS_AT + 16 * i;
      const num = isNum(t) ? NUM[t as number]! : null;
      if (num === 'v128') return { type: 'v128', bytes: new Uint8Array(this.memory.buffer.slice(at, at + 16)) };
      if (num === 'i32' || num === 'f32') return { type: num, bits: BigInt(view.getUint32(at, true)) };
      if (num) return { type: num, bits: view.getBigUint64(at, true) };
      return fromJs(refValues[r++], t);
    });
  }
}
