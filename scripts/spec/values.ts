// Constants of .wast scripts as exact bit patterns: integer and float literals (decimal, hex floats, inf,
// nan:0x..., correctly rounded), v128 lanes, references, and the result patterns assert_return compares with.

import { atom, head, type SExpr, type SList } from './sexpr.js';

export type NumType = 'i32' | 'i64' | 'f32' | 'f64';

/** A value passed to or expected from wasm. Numbers as bits (BigInt), v128 as 16 bytes. */
export type Value =
  | { type: NumType; bits: bigint }
  | { type: 'v128'; bytes: Uint8Array }
  | { type: 'ref'; heap: string; null: boolean; extern?: number };

/** A pattern a result must match. */
export type Expected =
  | { kind: 'value'; value: Value }
  | { kind: 'nan'; type: 'f32' | 'f64'; canonical: boolean }
  | { kind: 'v128'; shape: string; lanes: (bigint | 'canonical' | 'arithmetic')[] }
  | { kind: 'ref'; heap: string; null: boolean; extern?: number }
  | { kind: 'either'; alts: Expected[] };

export class Unsupported extends Error {}

const WIDTH: Record<NumType, number> = { i32: 32, i64: 64, f32: 32, f64: 64 };

/** Parses an integer literal (sign, decimal or 0x hex, underscores) to its `width`-bit pattern. */
export function parseInt(text: string, width: number): bigint {
  let t = text.replace(/_/g, '');
  let neg = false;
  if (t[0] === '-' || t[0] === '+') {
    neg = t[0] === '-';
    t = t.slice(1);
  }
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(t)) throw new Unsupported(`integer literal syntax ${text}`);
  const v = BigInt(t);
  return BigInt.asUintN(width, neg ? -v : v);
}

interface FloatFormat {
  p: number; // mantissa bits incl. the implicit one
  emin: number;
  emax: number;
  bias: number;
  width: number;
}
const F32: FloatFormat = { p: 24, emin: -126, emax: 127, bias: 127, width: 32 };
const F64: FloatFormat = { p: 53, emin: -1022, emax: 1023, bias: 1023, width: 64 };

const bitlen = (n: bigint): number => n.toString(2).length;

/** The correctly rounded (ties to even) float nearest to num/den (both > 0), as bits without sign. */
function roundRational(num: bigint, den: bigint, f: FloatFormat): bigint {
  let e = bitlen(num) - bitlen(den);
  // make 2^e <= num/den < 2^(e+1)
  if (e >= 0 ? num < den << BigInt(e) : num << BigInt(-e) < den) e--;
  if (e < f.emin) e = f.emin;
  const shift = f.p - 1 - e;
  let n = num;
  let d = den;
  if (shift >= 0) n <<= BigInt(shift);
  else d <<= BigInt(-shift);
  let m = n / d;
  const r2 = (n % d) * 2n;
  if (r2 > d || (r2 === d && (m & 1n) === 1n)) m++;
  if (m === 1n << BigInt(f.p)) {
    m >>= 1n;
    e++;
  }
  if (e > f.emax) return BigInt(2 ** (f.width - 1 - (f.p - 1)) - 1) << BigInt(f.p - 1); // infinity
  if (m < 1n << BigInt(f.p - 1)) return m; // subnormal (or zero)
  return (BigInt(e + f.bias) << BigInt(f.p - 1)) | (m - (1n << BigInt(f.p - 1)));
}

/** Parses a float literal to its bit pattern. */
export function parseFloat(text: string, type: 'f32' | 'f64'): bigint {
  const f = type === 'f32' ? F32 : F64;
  let t = text.replace(/_/g, '');
  let neg = false;
  if (t[0] === '-' || t[0] === '+') {
    neg = t[0] === '-';
    t = t.slice(1);
  }
  const sign = neg ? 1n << BigInt(f.width - 1) : 0n;
  const expAll = BigInt((1 << (f.width - f.p)) - 1) << BigInt(f.p - 1);
  if (t === 'inf') return sign | expAll;
  if (t === 'nan') return sign | expAll | (1n << BigInt(f.p - 2));
  if (t.startsWith('nan:0x')) {
    const payload = BigInt(t.slice(4));
    if (payload === 0n || payload >= 1n << BigInt(f.p - 1)) throw new Unsupported(`nan payload ${text}`);
    return sign | expAll | payload;
  }
  let num: bigint;
  let den = 1n;
  let m: RegExpMatchArray | null;
  if ((m = /^0x([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?$/.exec(t)) && (m[1] || m[2])) {
    const frac = m[2] ?? '';
    num = BigInt('0x' + (m[1] || '0') + frac);
    let exp = Number(m[3] ?? '0') - 4 * frac.length;
    exp = Math.max(-20000, Math.min(20000, exp));
    if (exp >= 0) num <<= BigInt(exp);
    else den = 1n << BigInt(-exp);
  } else if ((m = /^([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(t)) && (m[1] || m[2])) {
    const frac = m[2] ?? '';
    num = BigInt((m[1] || '0') + frac);
    let exp = Number(m[3] ?? '0') - frac.length;
    exp = Math.max(-20000, Math.min(20000, exp));
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den = 10n ** BigInt(-exp);
  } else throw new Unsupported(`float literal syntax ${text}`);
  if (num === 0n) return sign;
  return sign | roundRational(num, den, f);
}

const LANES: Record<string, { n: number; type: NumType; bytes: number }> = {
  i8x16: { n: 16, type: 'i32', bytes: 1 },
  i16x8: { n: 8, type: 'i32', bytes: 2 },
  i32x4: { n: 4, type: 'i32', bytes: 4 },
  i64x2: { n: 2, type: 'i64', bytes: 8 },
  f32x4: { n: 4, type: 'f32', bytes: 4 },
  f64x2: { n: 2, type: 'f64', bytes: 8 },
};

function laneBits(text: string, shape: string): bigint {
  const l = LANES[shape]!;
  if (l.type === 'f32' || l.type === 'f64') return parseFloat(text, l.type);
  return parseInt(text, l.bytes * 8);
}

function v128Bytes(shape: string, lanes: bigint[]): Uint8Array {
  const l = LANES[shape]!;
  const out = new Uint8Array(16);
  lanes.forEach((v, i) => {
    for (let b = 0; b < l.bytes; b++) out[i * l.bytes + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  });
  return out;
}

function v128Lanes(list: SList): { shape: string; texts: string[] } {
  const shape = atom(list.items[1]) ?? '';
  const l = LANES[shape];
  if (!l) throw new Unsupported(`v128 shape ${shape}`);
  const texts = list.items.slice(2).map((e) => atom(e) ?? '');
  if (texts.length !== l.n) throw new Unsupported(`v128.const ${shape} with other than ${l.n} lanes`);
  return { shape, texts };
}

const REF_HEAPS = new Set(['func', 'extern', 'any', 'eq', 'i31', 'struct', 'array', 'exn', 'none', 'nofunc', 'noextern', 'noexn', 'host']);

/** An argument constant: (i32.const 1), (v128.const i32x4 ...), (ref.null func), (ref.extern 3). */
export function parseConst(e: SExpr): Value {
  const h = head(e);
  const list = e as SList;
  const arg = atom(list.items?.[1]);
  const m = /^(i32|i64|f32|f64)\.const$/.exec(h);
  if (m) {
    const type = m[1] as NumType;
    if (arg === undefined) throw new Error(`${h} without a value`);
    return { type, bits: type[0] === 'i' ? parseInt(arg, WIDTH[type]) : parseFloat(arg, type as 'f32' | 'f64') };
  }
  if (h === 'v128.const') {
    const { shape, texts } = v128Lanes(list);
    return { type: 'v128', bytes: v128Bytes(shape, texts.map((t) => laneBits(t, shape))) };
  }
  if (h === 'ref.null') return { type: 'ref', heap: arg ?? 'any', null: true };
  if (h === 'ref.extern' || h === 'ref.host') {
    if (arg === undefined) throw new Unsupported(`${h} without a number as an argument`);
    return { type: 'ref', heap: 'extern', null: false, extern: Number(arg) };
  }
  throw new Unsupported(`argument ${h || '?'}`);
}

/** A result pattern of assert_return. */
export function parseExpected(e: SExpr): Expected {
  const h = head(e);
  const list = e as SList;
  const arg = atom(list.items?.[1]);
  if (h === 'either') return { kind: 'either', alts: list.items.slice(1).map(parseExpected) };
  if ((h === 'f32.const' || h === 'f64.const') && (arg === 'nan:canonical' || arg === 'nan:arithmetic')) {
    return { kind: 'nan', type: h.slice(0, 3) as 'f32' | 'f64', canonical: arg === 'nan:canonical' };
  }
  if (h === 'v128.const') {
    const { shape, texts } = v128Lanes(list);
    return {
      kind: 'v128',
      shape,
      lanes: texts.map((t) => (t === 'nan:canonical' ? 'canonical' : t === 'nan:arithmetic' ? 'arithmetic' : laneBits(t, shape))),
    };
  }
  const r = /^ref\.(\w+)$/.exec(h);
  if (r && h !== 'ref.null') {
    const heap = r[1] === 'host' ? 'extern' : r[1]!;
    if (!REF_HEAPS.has(heap)) throw new Unsupported(`result ${h}`);
    return { kind: 'ref', heap, null: false, extern: heap === 'extern' && arg !== undefined ? Number(arg) : undefined };
  }
  if (h === 'ref.null') return { kind: 'ref', heap: arg ?? 'any', null: true };
  return { kind: 'value', value: parseConst(e) };
}

/** Whether float bits are a canonical (or, if !canonical, arithmetic) NaN. */
export function isNan(bits: bigint, type: 'f32' | 'f64', canonical: boolean): boolean {
  const f = type === 'f32' ? F32 : F64;
  const expAll = BigInt((1 << (f.width - f.p)) - 1) << BigInt(f.p - 1);
  const quiet = 1n << BigInt(f.p - 2);
  const mag = bits & ((1n << BigInt(f.width - 1)) - 1n);
  if (canonical) return mag === (expAll | quiet);
  return (mag & (expAll | quiet)) === (expAll | quiet);
}

export function describeValue(v: Value): string {
  if (v.type === 'v128') return `v128 ${[...v.bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  if (v.type === 'ref') return v.null ? `ref.null ${v.heap}` : v.extern !== undefined ? `ref.extern ${v.extern}` : `ref.${v.heap}`;
  return `${v.type}:0x${v.bits.toString(16)}`;
}

export function describeExpected(e: Expected): string {
  switch (e.kind) {
    case 'value':
      return describeValue(e.value);
    case 'nan':
      return `${e.type} nan:${e.canonical ? 'canonical' : 'arithmetic'}`;
    case 'v128':
      return `v128 ${e.shape} ${e.lanes.map((l) => (typeof l === 'bigint' ? '0x' + l.toString(16) : 'nan:' + l)).join(' ')}`;
    case 'ref':
      return e.null ? `ref.null ${e.heap}` : `ref.${e.heap}${e.extern !== undefined ? ' ' + e.extern : ''}`;
    case 'either':
      return `either(${e.alts.map(describeExpected).join(', ')})`;
  }
}

/** Whether a result matches a pattern. */
export function matches(actual: Value, e: Expected): boolean {
  switch (e.kind) {
    case 'either':
      return e.alts.some((a) => matches(actual, a));
    case 'nan':
      return actual.type === e.type && isNan(actual.bits, e.type, e.canonical);
    case 'value': {
      const v = e.value;
      if (v.type === 'v128') return actual.type === 'v128' && actual.bytes.every((b, i) => b === v.bytes[i]);
      if (v.type === 'ref') return matches(actual, { kind: 'ref', heap: v.heap, null: v.null, extern: v.extern });
      return actual.type === v.type && actual.bits === v.bits;
    }
    case 'v128': {
      if (actual.type !== 'v128') return false;
      const l = LANES[e.shape]!;
      return e.lanes.every((want, i) => {
        let bits = 0n;
        for (let b = l.bytes - 1; b >= 0; b--) bits = (bits << 8n) | BigInt(actual.bytes[i * l.bytes + b]!);
        if (typeof want === 'bigint') return bits === want;
        return isNan(bits, l.type as 'f32' | 'f64', want === 'canonical');
      });
    }
    case 'ref': {
      if (actual.type !== 'ref') return false;
      if (e.null) return actual.null;
      if (actual.null) return false;
      if (e.extern !== undefined) return actual.extern === e.extern;
      return true;
    }
  }
}
