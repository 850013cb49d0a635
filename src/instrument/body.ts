// The fuel rewriter of one function body, in a single pass over its bytes: unchanged instruction ranges are
// copied, a charge of each basic block's cost is put where the block starts, and calls, loop headers and bulk
// operations are metered (see index.ts for the scheme). Anything it does not know is refused with its offset.

import { Imm, PREFIXED, PREFIX_ATOMIC, PREFIX_GC, PREFIX_MISC, PREFIX_SIMD, SINGLE, type OpInfo } from '../binary/opcodes.js';
import { Cursor, Out } from './bytes.js';

/** What every body of one module is rewritten with. */
export interface BodyContext {
  /** Number of imported functions in the input: defined function indices from here shift by one. */
  readonly importedFuncs: number;
  /** Index of the fuel counter global (i64, mutable). */
  readonly fuelGlobal: number;
  /** Index of the function called when the counter goes negative: (i64) -> i64 (the refill function, see index.ts, or the fuel import). */
  readonly fuelFunc: number;
  /** Parameter count of each type index (-1 if not a function type). */
  readonly paramCounts: readonly number[];
  /** Set when memory.grow must check the total of all memories inline (several or imported memories). */
  readonly growCheck: { readonly memories: number; readonly capPages: number } | null;
  /** Set when table.grow of an imported table (whose maximum the module does not set) must check the cap inline. */
  readonly tableGrowCheck: { readonly imported: number; readonly cap: number } | null;
  /** Whether each memory / table (imported ones first) is 64-bit: its sizes and lengths are i64 (memory64, table64). */
  readonly memories64?: readonly boolean[];
  readonly tables64?: readonly boolean[];
  /** Field count of each type index that is a struct type (-1 otherwise): struct.new's static cost. */
  readonly structFields?: readonly number[];
  /** Where copied code went: (output offset, input offset, length) triples, in output order. */
  readonly map: OffsetMap;
  /**
   * Register variants (see index.ts): per defined function (input numbering, imports excluded) PUBLIC, PENDING,
   * VARIANT or PLAIN; absent: no variants. Bodies read and update it: a function is rewritten as a variant when
   * it is PENDING then, and a ref.func, a return_call or a call from a global-mode function makes a PENDING one
   * PUBLIC.
   */
  readonly variants?: Uint8Array;
  /** Call sites of local-mode functions to PENDING functions (3 numbers each: callee, flush position, reload position). */
  readonly sites?: { data: number[] };
  /** Result count of each type index (-1 if not a function type); needed with variants. */
  readonly resultCounts?: readonly number[];
  /** Type index of each defined function; needed with variants. */
  readonly funcTypes?: readonly number[];
}

/** States of a defined function for register variants: may be reached from outside the module's direct calls. */
export const PUBLIC = 0;
/** Private (only called directly), not rewritten yet. */
export const PENDING = 1;
/** Rewritten as a register variant: the counter is its last parameter and its last result. */
export const VARIANT = 2;
/** Private, rewritten as usual (it calls, or has exits a variant cannot have). */
export const PLAIN = 3;

/** Output -> input offsets of the code copied unchanged (for trap locations in terms of the original module). */
export class OffsetMap {
  data = new Int32Array(3 * 1024);
  n = 0;

  add(outPos: number, inPos: number, len: number): void {
    if (this.n * 3 + 3 > this.data.length) {
      const next = new Int32Array(Math.max(3 * 1024, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    const i = this.n++ * 3;
    this.data[i] = outPos;
    this.data[i + 1] = inPos;
    this.data[i + 2] = len;
  }

  /** Drops the unused capacity (the map lives as long as the compiled module). */
  trim(): void {
    this.data = this.data.slice(0, this.n * 3);
  }

  /** The input offset of output offset `x` (inserted code maps to the original instruction after it), or -1. */
  lookup(x: number): number {
    const d = this.data;
    let lo = 0;
    let hi = this.n - 1;
    if (hi < 0 || x < d[0]!) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (d[mid * 3]! <= x) lo = mid;
      else hi = mid - 1;
    }
    const i = lo * 3;
    return d[i + 1]! + Math.min(x - d[i]!, d[i + 2]!);
  }
}

/** Run-time cost of the bulk operations, from their length operand n (always the i32 on top of the stack). */
const BULK_COST: ReadonlyMap<number, { readonly shift: number; readonly left: boolean; readonly name: string }> = new Map([
  // bytes / 16 for memory.init, memory.copy, memory.fill
  [8, { shift: 4, left: false, name: 'memory.init' }],
  [10, { shift: 4, left: false, name: 'memory.copy' }],
  [11, { shift: 4, left: false, name: 'memory.fill' }],
  // one unit per element for table.init, table.copy, table.grow, table.fill
  [12, { shift: 0, left: false, name: 'table.init' }],
  [14, { shift: 0, left: false, name: 'table.copy' }],
  [15, { shift: 0, left: false, name: 'table.grow' }],
  [17, { shift: 0, left: false, name: 'table.fill' }],
]);
/** memory.grow: 4096 units per 64 KiB page (the same rate as the byte operations). */
const GROW_SHIFT = 12;

// GC (0xfb prefix). The GC heap is V8's, not linear memory: no memory cap applies to it. What bounds it is
// fuel: every allocation and bulk array operation is charged one unit per element, from its i32 length
// operand (on top of the stack for all of them) at run time, or statically for array.new_fixed (its count)
// and struct.new/struct.new_default (the struct's field count), on top of the 1 every instruction costs:
// a run allocates at most as many fields and elements (of at most 16 bytes each: v128) as its fuel budget.
// Constant expressions allocate at instantiation, before any charge: their objects are added up instead
// (ConstAlloc) and held against the memory cap with the initial linear memory (index.ts).
// The host also watches V8's heap at fuel refills for code that allocates (requires.gcAllocates,
// LimitMeter.watchHeap); runs in a worker pool with resourceLimits (src/workers) have V8's heap limit there;
// a policy can deny the `gc` feature altogether (src/policy).
/** array.new, array.new_default, array.new_data, array.new_elem, array.fill, array.copy, array.init_data, array.init_elem. */
const GC_BULK = new Set([6, 7, 9, 10, 16, 17, 18, 19]);
/** struct.new, struct.new_default, array.new, array.new_default, array.new_fixed, array.new_data, array.new_elem. */
const GC_ALLOCATING = new Set([0, 1, 6, 7, 8, 9, 10]);
/** array.new, array.new_default, array.new_data, array.new_elem: allocations of a length taken from the stack. */
const GC_ARRAY_NEW = new Set([6, 7, 9, 10]);
const GC_ARRAY_NEW_FIXED = 8;
const GC_STRUCT_NEW = 0;
const GC_STRUCT_NEW_DEFAULT = 1;
const GC_ARRAY_COPY = 17;
/** The most elements V8 takes in one array.new_fixed (a larger count is refused, not charged). */
const MAX_NEW_FIXED = 10000;
/** Static GC costs (array.new_fixed counts, struct field counts) one function may add: keeps block costs far below 2^31. */
const MAX_STATIC_GC_COST = 1 << 29;
/**
 * Loops one function may have. V8's optimising tier takes time and memory growing with the square of the loops in
 * one function (plain V8: 10,000 loops ~5 s and 0.5 GB, 40,000 ~80 s and many GB, in the background after the run
 * ends), so a module could make the host compile for minutes. The largest real function seen has ~350 loops
 * (binaryen's wasm-opt.wasm, 10 MB).
 */
export const MAX_LOOPS_PER_FUNCTION = 2048;
/**
 * The module-wide sum of the squares of each function's loop count (the optimising compiler's work, above): one
 * function at MAX_LOOPS_PER_FUNCTION uses half of it, so a module cannot multiply that cost by having many such
 * functions. binaryen's wasm-opt.wasm (17,492 loops in 12,353 functions) sums to 545,252.
 */
export const MAX_LOOP_WORK = 1 << 23;
/**
 * Loops of one function that get the two-loop form (the host call outside the loop, see case 0x03); later ones
 * charge inside the loop. Real functions have fewer (wasm-opt.wasm: 343 at most), so their code is unchanged.
 */
const WRAPPED_LOOPS = 256;
/** V8's limit on the locals of one function (parameters included). */
const MAX_LOCALS = 50000;

/** Bodies up to this many bytes may become register variants. */
const MAX_VARIANT_BODY = 2048;

/** Numbers saved per control frame for a suspended segment. */
const SAVED = 7;
const NO_BRANCH = 0x7fffffff;

// Control frame kinds.
const FUNC = 0;
const BLOCK = 1;
const LOOP = 2;
const IF = 3;
const ELSE = 4;
const TRY = 5;
const CATCH = 6;
const TRY_TABLE = 7;

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * Skips the immediates of an instruction of the given kind (not the structural ones handled by the caller);
 * type indices (of heap types, typed select) must be below `types`.
 */
function skipImm(c: Cursor, info: OpInfo, at: number, types = Infinity): void {
  switch (info.imm) {
    case Imm.None:
      return;
    case Imm.Heap:
      c.skipHeapType(types);
      return;
    case Imm.U32:
    case Imm.I32:
      c.skipLeb(5);
      return;
    case Imm.U32x2:
      c.skipLeb(5);
      c.skipLeb(5);
      return;
    case Imm.Block:
      c.skipBlockType();
      return;
    case Imm.MemArg:
    case Imm.MemArgLane: {
      const align = c.u32();
      if (align & 0x40) c.skipLeb(5);
      c.skipLeb(10);
      if (info.imm === Imm.MemArgLane) c.skip(1);
      return;
    }
    case Imm.I64:
      c.skipLeb(10);
      return;
    case Imm.F32:
      c.skip(4);
      return;
    case Imm.F64:
      c.skip(8);
      return;
    case Imm.V128:
    case Imm.Shuffle:
      c.skip(16);
      return;
    case Imm.Lane:
    case Imm.Zero:
      c.skip(1);
      return;
    case Imm.SelectT: {
      const n = c.u32();
      for (let i = 0; i < n; i++) c.skipValType(types);
      return;
    }
    default:
      c.unsupported(`instruction ${info.name}`, at);
  }
}

/** The table entry of the instruction at c.pos - 1 (opcode byte `op` already read), prefix read if any. */
function lookup(c: Cursor, op: number, at: number): OpInfo {
  if (op === PREFIX_GC) c.unsupported('gc instruction (0xfb prefix)', at);
  if (op === PREFIX_MISC || op === PREFIX_SIMD || op === PREFIX_ATOMIC) {
    const sub = c.u32();
    const info = PREFIXED[op]![sub];
    if (!info) c.unsupported(`opcode ${hex(op)} ${hex(sub)}`, at);
    return info;
  }
  const info = SINGLE[op];
  if (!info) c.unsupported(`opcode ${hex(op)}`, at);
  return info;
}

/**
 * GC objects the constant expressions create: they are allocated at instantiation, before any guest code
 * (and so any fuel charge) runs, so the rewrite adds up their size to hold it against the memory cap.
 */
export interface ConstAlloc {
  /** Bytes of one struct of each type index, or of one element of each array type. */
  readonly typeBytes: readonly number[];
  /** Bytes allocated by the expressions read so far (object headers not counted). */
  bytes: number;
}

/**
 * Copies a constant expression (global/elem/data/table initialiser) up to and including its `end`,
 * renumbering function indices of ref.func; type indices (GC allocations, heap types) must be below `types`.
 * With `alloc`, adds up the GC objects it creates: an array's length must then be an i32.const right
 * before the allocation (anything else is refused: its size would not be known before instantiation).
 * With `variants`, a defined function it references becomes PUBLIC there.
 */
/**
 * Checks a function index read from the input when variants are on: the module then gets a refill function
 * after its own (index.ts), so an index at or past their count would name it.
 */
export function checkFuncIndex(c: Cursor, f: number, at: number, importedFuncs: number, variants: Uint8Array | undefined): void {
  if (variants && f >= importedFuncs + variants.length) c.fail('unknown function', at);
}

/** A function referenced other than by a direct call (ref.func, export, start, element): checked, and PUBLIC from now on. */
export function referenceFunc(c: Cursor, f: number, at: number, importedFuncs: number, variants: Uint8Array | undefined): void {
  checkFuncIndex(c, f, at, importedFuncs, variants);
  if (variants && f >= importedFuncs) variants[f - importedFuncs] = PUBLIC;
}

export function copyConstExpr(c: Cursor, out: Out, importedFuncs: number, types = Infinity, alloc?: ConstAlloc, variants?: Uint8Array): void {
  let from = c.pos;
  // the value of an i32.const ending at lastConstEnd
  let lastConst = 0;
  let lastConstEnd = -1;
  for (;;) {
    const at = c.pos;
    const op = c.byte();
    if (op === 0x0b) break;
    if (op === 0x41 && alloc) {
      lastConst = c.sleb() >>> 0;
      lastConstEnd = c.pos;
      continue;
    }
    if (op === PREFIX_GC) {
      // struct.new, array.new_fixed, ref.i31, any.convert_extern, ...: run once, at instantiation
      const info = gcInstruction(c, at, types);
      if (info.imm === Imm.BrOnCast) c.unsupported(`${info.name} in a constant expression`, at);
      const sub = info.code % 0x10000;
      if (alloc && (sub === GC_STRUCT_NEW || sub === GC_STRUCT_NEW_DEFAULT || sub === GC_ARRAY_NEW_FIXED || GC_ARRAY_NEW.has(sub))) {
        let n = 1;
        if (sub === GC_ARRAY_NEW_FIXED) n = gcSecond;
        else if (sub !== GC_STRUCT_NEW && sub !== GC_STRUCT_NEW_DEFAULT) {
          if (lastConstEnd !== at) c.unsupported(`${info.name} in a constant expression with a length other than an i32.const`, at);
          n = lastConst;
        }
        alloc.bytes += n * (alloc.typeBytes[gcFirst] ?? 0);
      }
      continue;
    }
    if (op === 0xd2) {
      const f = c.u32();
      referenceFunc(c, f, at, importedFuncs, variants);
      if (f >= importedFuncs) {
        out.bytes(c.buf, from, at + 1);
        out.u32(f + 1);
        from = c.pos;
      }
      continue;
    }
    const info = lookup(c, op, at);
    if (info.nest !== 0 || info.imm === Imm.BrTable || info.imm === Imm.TryTable) c.unsupported(`${info.name} in a constant expression`, at);
    skipImm(c, info, at, types);
  }
  out.bytes(c.buf, from, c.pos);
}

/** The first and second immediates of the last GC instruction read by gcInstruction (its type index, array.new_fixed's count). */
let gcFirst = 0;
let gcSecond = 0;

/**
 * Reads a GC instruction (0xfb prefix read) and its immediates but those of br_on_cast/br_on_cast_fail
 * (left to the caller); checks its type indices against `types` (the rewrite appends a type).
 */
function gcInstruction(c: Cursor, at: number, types: number): OpInfo {
  const sub = c.u32();
  const info = PREFIXED[PREFIX_GC]![sub];
  if (!info) c.unsupported(`opcode 0xfb ${hex(sub)}`, at);
  if (info.imm === Imm.U32 || info.imm === Imm.U32x2) {
    // the first immediate is a type index (struct/array type); array.copy has two
    gcFirst = c.u32();
    if (gcFirst >= types) c.fail('unknown type', at);
    if (sub === GC_ARRAY_COPY) {
      if (c.u32() >= types) c.fail('unknown type', at);
    } else if (info.imm === Imm.U32x2) gcSecond = c.u32();
  } else if (info.imm !== Imm.BrOnCast) skipImm(c, info, at, types);
  return info;
}

/**
 * The inserted code pieces for one place of the counter (the global, or a local), back to back in one array
 * (`b`), each as a [start, end) range. `plain` is followed by `check`, so `plain` + `check` (a checked charge)
 * is one range too.
 */
interface Templates {
  b: Uint8Array;
  /** Offset of the 5-byte cost slot from the start of a charge (plain, checked or loopChecked). */
  slot: number;
  /** `fuel -= cost` (counter read/write: global.get/set G, or local.get/set L). */
  plainS: number;
  /** `if (fuel < 0) fuel = host(fuel)`: from plainE to checkE. */
  plainE: number;
  checkE: number;
  /** `fuel += cost` (local mode only; empty otherwise): a refund of merged cost a branch skips (same cost slot offset). */
  refundS: number;
  refundE: number;
  /** A loop header's charge with `br_if 1 (fuel < 0)` to the out-of-line refill (same cost slot). */
  loopS: number;
  loopE: number;
  /** The out-of-line refill after a loop's end, split around the loop's 5-byte header cost (see the loop case). */
  headS: number;
  headE: number;
  tailS: number;
  tailE: number;
  /** Store the function's counter to the global (local mode only; empty otherwise); load it back. */
  flushS: number;
  flushE: number;
  reloadS: number;
  reloadE: number;
  /** Read / write the counter. */
  getS: number;
  getE: number;
  setS: number;
  setE: number;
  /**
   * Views of the pieces written most (Out.put writes a view with one set(), cheaper than copying a range of
   * `b`): plain, plain + check, check, loopChecked, refund, flush, reload.
   */
  plain: Uint8Array;
  checked: Uint8Array;
  check: Uint8Array;
  loop: Uint8Array;
  refund: Uint8Array;
  flush: Uint8Array;
  reload: Uint8Array;
}

/** Writes `v` as an unsigned LEB128 into `b` at `p`; returns the position after it. */
function putLeb(b: Uint8Array, p: number, v: number): number {
  do {
    let x = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) x |= 0x80;
    b[p++] = x;
  } while (v !== 0);
  return p;
}

/** Copies b[from, to) to b at p; returns the position after it. */
function putCopy(b: Uint8Array, p: number, from: number, to: number): number {
  for (let i = from; i < to; i++) b[p++] = b[i]!;
  return p;
}

const COST_SLOT = [0x42, 0x80, 0x80, 0x80, 0x80, 0x00]; // i64.const <5-byte cost>

const EMPTY = new Uint8Array(0);

/** Empty templates (filled by fillTemplates). */
function newTemplates(): Templates {
  return {
    b: new Uint8Array(160),
    slot: 0,
    plainS: 0,
    plainE: 0,
    checkE: 0,
    refundS: 0,
    refundE: 0,
    loopS: 0,
    loopE: 0,
    headS: 0,
    headE: 0,
    tailS: 0,
    tailE: 0,
    flushS: 0,
    flushE: 0,
    reloadS: 0,
    reloadE: 0,
    getS: 0,
    getE: 0,
    setS: 0,
    setE: 0,
    plain: EMPTY,
    checked: EMPTY,
    check: EMPTY,
    loop: EMPTY,
    refund: EMPTY,
    flush: EMPTY,
    reload: EMPTY,
  };
}

/**
 * Writes the inserted code pieces into `t`, with the counter in the global or (local >= 0) in local `local`
 * (in place, without allocating: local mode refills them for every function whose counter local differs).
 */
function fillTemplates(t: Templates, fuelGlobal: number, fuelFunc: number, local: number): void {
  const b = t.b;
  let p = 0;
  // get, set
  t.getS = p;
  b[p++] = local < 0 ? 0x23 : 0x20;
  p = putLeb(b, p, local < 0 ? fuelGlobal : local);
  const getS = t.getS;
  const getE = (t.getE = t.setS = p);
  b[p++] = local < 0 ? 0x24 : 0x21;
  p = putLeb(b, p, local < 0 ? fuelGlobal : local);
  const setS = t.setS;
  const setE = (t.setE = p);
  t.slot = getE - getS + 1;
  // plain: get; i64.const <cost>; i64.sub; set
  t.plainS = p;
  p = putCopy(b, p, getS, getE);
  for (const x of COST_SLOT) b[p++] = x;
  b[p++] = 0x7d;
  p = putCopy(b, p, setS, setE);
  const plainS = t.plainS;
  const plainE = (t.plainE = p);
  // check: get; i64.const 0; i64.lt_s; if; get; call; set; end
  p = putCopy(b, p, getS, getE);
  b[p++] = 0x42;
  b[p++] = 0x00;
  b[p++] = 0x53;
  b[p++] = 0x04;
  b[p++] = 0x40;
  p = putCopy(b, p, getS, getE);
  b[p++] = 0x10;
  p = putLeb(b, p, fuelFunc);
  p = putCopy(b, p, setS, setE);
  b[p++] = 0x0b;
  t.checkE = p;
  // loopChecked: plain; get; i64.const 0; i64.lt_s; br_if 1
  t.loopS = p;
  p = putCopy(b, p, plainS, plainE);
  p = putCopy(b, p, getS, getE);
  b[p++] = 0x42;
  b[p++] = 0x00;
  b[p++] = 0x53;
  b[p++] = 0x0d;
  b[p++] = 0x01;
  t.loopE = p;
  // refund: get; i64.const <cost>; i64.add; set (local mode only)
  t.refundS = p;
  if (local >= 0) {
    p = putCopy(b, p, getS, getE);
    for (const x of COST_SLOT) b[p++] = x;
    b[p++] = 0x7c;
    p = putCopy(b, p, setS, setE);
  }
  t.refundE = p;
  // refill head: br 2 (past it); end; get; call; i64.const <cost>
  t.headS = p;
  b[p++] = 0x0c;
  b[p++] = 0x02;
  b[p++] = 0x0b;
  p = putCopy(b, p, getS, getE);
  b[p++] = 0x10;
  p = putLeb(b, p, fuelFunc);
  b[p++] = 0x42;
  t.headE = p;
  // refill tail: i64.add; set; br 0 (the header again); end; end
  t.tailS = p;
  b[p++] = 0x7c;
  p = putCopy(b, p, setS, setE);
  b[p++] = 0x0c;
  b[p++] = 0x00;
  b[p++] = 0x0b;
  b[p++] = 0x0b;
  t.tailE = p;
  // flush: get; global.set G (local mode only)
  t.flushS = p;
  if (local >= 0) {
    p = putCopy(b, p, getS, getE);
    b[p++] = 0x24;
    p = putLeb(b, p, fuelGlobal);
  }
  t.flushE = p;
  // reload: global.get G; set (local mode only)
  t.reloadS = p;
  if (local >= 0) {
    b[p++] = 0x23;
    p = putLeb(b, p, fuelGlobal);
    p = putCopy(b, p, setS, setE);
  }
  t.reloadE = p;
  t.plain = b.subarray(t.plainS, t.plainE);
  t.checked = b.subarray(t.plainS, t.checkE);
  t.check = b.subarray(t.plainE, t.checkE);
  t.loop = b.subarray(t.loopS, t.loopE);
  t.refund = b.subarray(t.refundS, t.refundE);
  t.flush = b.subarray(t.flushS, t.flushE);
  t.reload = b.subarray(t.reloadS, t.reloadE);
}

// What the main loop does with a single-byte opcode without special handling: skip immediates of one kind
// and count it. SLOW: everything else (the switch below: control, calls, bulk operations, prefixes, and
// anything unknown or refused, which the default case reports).
const SLOW = 0;
const F_NONE = 1;
const F_LEB5 = 2;
const F_LEB5X2 = 3;
const F_MEMARG = 4;
const F_LEB10 = 5;
const F_SKIP4 = 6;
const F_SKIP8 = 7;
// Indices the rewrite must check, since the locals, global and type it adds would make one past the end valid.
const F_LOCAL = 8;
const F_GLOBAL = 9;
const F_HEAP = 10;
const SWITCHED = [0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x18, 0x19, 0x1f, 0x40, 0xd2, 0xd5, 0xd6];
const FAST = new Uint8Array(256);
for (let op = 0; op < 256; op++) {
  const info = SINGLE[op];
  if (!info || info.nest !== 0 || SWITCHED.includes(op) || op === PREFIX_GC || op === PREFIX_MISC || op === PREFIX_SIMD || op === PREFIX_ATOMIC) continue;
  const kind: Partial<Record<Imm, number>> = {
    [Imm.None]: F_NONE,
    [Imm.U32]: F_LEB5,
    [Imm.I32]: F_LEB5,
    [Imm.Heap]: F_HEAP,
    [Imm.U32x2]: F_LEB5X2,
    [Imm.MemArg]: F_MEMARG,
    [Imm.I64]: F_LEB10,
    [Imm.F32]: F_SKIP4,
    [Imm.F64]: F_SKIP8,
  };
  FAST[op] = op >= 0x20 && op <= 0x22 ? F_LOCAL : op === 0x23 || op === 0x24 ? F_GLOBAL : (kind[info.imm] ?? SLOW);
}

// The hot path of the main loop (rewriteWith) passes over runs of plain instructions (of those FAST handles,
// the common form) in a small, nearly branch-free loop on locals, so V8 makes it fast. By opcode: how many
// immediate bytes follow (LEBs of one byte each, a memarg's included; f32/f64.const's 4 or 8) and the limit of
// the first one and second one (256: none; 0x80: a one-byte LEB; 0x40: a memarg's alignment without a memory
// index). 0 for the rest: the run stops at them (FIRST_LIMIT 0). It also stops at a local or global index out
// of range (FIRST_LIMIT is then patched with the function's bounds: SCAN_LIMITS), the moved local, and the
// last 16 bytes: the main loop's switch handles those with its checks and messages, so the run only passes
// over what the main loop would pass over.
const SCAN_LEN = new Uint8Array(256);
const FIRST_LIMIT = new Uint16Array(256);
const SECOND_LIMIT = new Uint16Array(256);
for (let op = 0; op < 256; op++) {
  const f = FAST[op];
  const [len, first, second] =
    f === F_NONE ? [0, 256, 256]
    : f === F_LEB5 || f === F_LEB10 || f === F_LOCAL || f === F_GLOBAL ? [1, 0x80, 256]
    : f === F_LEB5X2 ? [2, 0x80, 0x80]
    : f === F_MEMARG ? [2, 0x40, 0x80]
    : f === F_SKIP4 ? [4, 256, 256]
    : f === F_SKIP8 ? [8, 256, 256]
    : [0, 0, 0];
  SCAN_LEN[op] = len;
  FIRST_LIMIT[op] = first;
  SECOND_LIMIT[op] = second;
}

/** FIRST_LIMIT with the bounds of the function being rewritten for local and global indices (see SCAN_LEN). */
const SCAN_LIMITS = FIRST_LIMIT.slice();

/**
 * Local-mode templates by the counter's local index (below 256), shared by all rewriters (allocated once):
 * filled for the module of the rewriter whose stamp TEMPLATE_STAMPS holds (one module is rewritten at a time).
 */
const LOCAL_TEMPLATES: Templates[] = [];
const TEMPLATE_STAMPS = new Int32Array(256);
let stamps = 0;

// Modes of one rewrite: counter in a local; in the global.
const LOCAL = 0;
const GLOBAL = 1;
// Results: written; redo in GLOBAL mode (exception handling).
const DONE = 0;
const RETRY_GLOBAL = 1;

/**
 * Rewrites the function bodies of one module, one at a time (its frame stacks and templates are reused from
 * body to body: nothing is allocated per instruction, little per function).
 */
/** A copy of `a` twice as long: how the rewriter's work arrays grow (rarely: they start large enough for most functions). */
function doubled<A extends Uint8Array | Int32Array>(a: A): A {
  const next = new (a.constructor as new (n: number) => A)(a.length * 2);
  next.set(a);
  return next;
}

/** Whether some element of `a` is true (a loop: includes() on arrays of varying elements kinds made V8 deoptimise). */
function anyTrue(a: readonly boolean[] | undefined): boolean {
  if (a) for (let i = 0; i < a.length; i++) if (a[i]) return true;
  return false;
}

/** A released rewriter, for the next module (see BodyRewriter.for). */
let spare: BodyRewriter | undefined;

export class BodyRewriter {
  private readonly globalTemplates = newTemplates();
  /** This rewriter's mark in LOCAL_TEMPLATES (whose entries other rewriters filled for their module are refilled). */
  private stamp = 0;
  /** Local-mode templates for a counter local from 256 on, for the counter in local `otherFor`. */
  private readonly otherTemplates = newTemplates();
  private otherFor = -1;
  /** Global-mode pieces around a call to a register variant: the counter from the global into the call, and back. */
  private toGlobal: Uint8Array;
  private fromGlobal: Uint8Array;

  // Control frames: kind, whether a branch targets its label, labels inserted around frames 1..k (cumulative),
  // where a loop's header cost slot is (-1: not wrapped), the segment each suspended (6 numbers per frame), and
  // for if/else frames the cost of the arm's code folded so far (armAcc) and of the finished then-arm (thenCost).
  private kinds = new Uint8Array(64);
  private targeted = new Uint8Array(64);
  private wrapped = new Int32Array(64);
  private headerSlot = new Int32Array(64);
  private saved = new Int32Array(64 * SAVED);
  private armAcc = new Int32Array(64);
  private thenCost = new Int32Array(64);
  private sp = 0;

  // The function being rewritten.
  private c: Cursor = new Cursor(new Uint8Array(0));
  private out: Out = new Out(64);
  private t: Templates;
  private localMode = false;
  /** The i32 scratch local (length operand of bulk operations). */
  private T = 0;
  /** The i64 scratch local (lengths on 64-bit memories and tables), -1 when the module has none of those. */
  private W = -1;
  /** Whether the module has a 64-bit memory or table (so functions get the i64 scratch local). */
  private wide = false;
  /** Static GC costs added in the function so far (see MAX_STATIC_GC_COST). */
  private staticGc = 0;
  /** Some body rewritten so far allocates GC objects (struct.new*, array.new*). */
  allocates = false;
  private calls = false;
  /** Loops met so far in the function (at most MAX_LOOPS_PER_FUNCTION). */
  private loops = 0;
  /** Sum over the module's functions so far of (loops in the function)^2 (at most MAX_LOOP_WORK). */
  private loopWork = 0;
  /** The type index of the function being rewritten. */
  private typeIndex = 0;
  /** The function has exits a register variant cannot have (a conditional branch out, a throw). */
  private noVariant = false;
  // A PENDING function in local mode, written so that it can become a register variant in place (see toVariant):
  // where its locals start, where the counter's local group ends, its local group count, the counter's reload
  // at entry, and where the global.set of each flush is.
  private pending = false;
  private headerAt = 0;
  private counterGroupEnd = 0;
  private groupCount = 0;
  private reloadAt = 0;
  private reloadEnd = 0;
  private flushes = new Int32Array(16);
  private nFlush = 0;
  /** Input bytes not yet copied start here. */
  private copyFrom = 0;
  // The open segment: its charge template in `out` and the cost counted so far. An if/else arm's segment is
  // virtual (segStart -1, no template): its cost is added to the segment the if is in (see the if case).
  private segStart = 0; // where its template starts in out
  private segSlot = 0; // where the 5-byte cost LEB is
  private segEnd = 0; // where the template ends
  private segCheck = false;
  private cost = 0;
  /** For a virtual segment: the if/else frame it is an arm of. */
  private segOwner = 0;

  // Merged segments (local mode). Segments are numbered in the order they open; a virtual arm has the number of
  // the segment that pays for it. The code after a targeted block end is charged with the segment open there
  // (a later "part" of it) when every way to that end went through that segment's charge, so a loop body with
  // early exits pays one charge per iteration instead of one per part. A branch that leaves a segment's region
  // skips its later parts: an unconditional one refunds them (`fuel += cost`, patched when the segment closes,
  // so every path is charged exactly what separate segments would charge); any other stops further merging.
  private segId = 0;
  private nextSeg = 0;
  /**
   * Per segment (3 numbers): the frame whose end bounds its region; its first refund slot; 1 once a branch left
   * its region without a refund (no later part may be merged).
   */
  private segs = new Int32Array(64 * 3);
  /** Per frame (2 numbers): the lowest and highest segment a branch to its label came from (NO_BRANCH, -1: none). */
  private from = new Int32Array(64 * 2);
  /** Frames that suspended a segment (loop, if, try), outermost first: what a branch out may leave. */
  private savers = new Int32Array(64);
  private nSavers = 0;
  /** Refund slots (3 numbers): output position of the 5-byte cost, segment, cost at the end of its part (-1: not yet). */
  private refs = new Int32Array(64 * 3);
  private nRef = 0;

  private constructor(private ctx: BodyContext) {
    this.t = this.globalTemplates;
    this.fromGlobal = this.toGlobal = this.t.b;
    this.reset(ctx);
  }

  /**
   * The rewriter for the bodies of the module of `ctx`: the one of the previous module if it finished (its
   * work arrays have grown to what functions need), else a new one. Call release() when the module is done.
   */
  static for(ctx: BodyContext): BodyRewriter {
    const r = spare;
    spare = undefined;
    if (!r) return new BodyRewriter(ctx);
    r.reset(ctx);
    return r;
  }

  /** The module is done: the next one may reuse this rewriter (a module refused midway does not release its own). */
  release(): void {
    // (not holding on to the module's bytes and output buffer meanwhile)
    this.c = new Cursor(new Uint8Array(0));
    this.out = new Out(64);
    spare = this;
  }

  /** Starts on the module of `ctx` (what lasts from body to body; the rest is set for each body). */
  private reset(ctx: BodyContext): void {
    this.ctx = ctx;
    this.stamp = ++stamps;
    this.otherFor = -1;
    this.allocates = false;
    this.loopWork = 0;
    const g = this.globalTemplates;
    fillTemplates(g, ctx.fuelGlobal, ctx.fuelFunc, -1);
    this.fromGlobal = g.b.slice(g.getS, g.getE);
    this.toGlobal = g.b.slice(g.setS, g.setE);
    this.wide = anyTrue(ctx.memories64) || anyTrue(ctx.tables64);
  }

  /**
   * Rewrites one function body (c positioned at its locals, c.end = end of body) of type `typeIndex` into `out`.
   * The counter lives in a local of the function (loaded at entry and after calls, stored before calls and
   * exits), so that V8 keeps it in a register; functions with exception handling keep it in the global.
   * A function that is PENDING in ctx.variants (`func`: its defined index) and turns out to have no calls (nor
   * exits a variant cannot have) becomes a register variant (VARIANT), its counter a parameter: its type index
   * is then ctx's variant of its type.
   */
  rewrite(c: Cursor, out: Out, typeIndex: number, func = -1): void {
    const start = c.pos;
    const outStart = out.pos;
    const map = this.ctx.map;
    const mapN = map.n;
    const sites = this.ctx.sites?.data;
    const nSites = sites?.length ?? 0;
    this.c = c;
    this.out = out;
    const variants = this.ctx.variants;
    this.pending = variants !== undefined && func >= 0 && variants[func] === PENDING;
    if (this.pending && c.end - start > MAX_VARIANT_BODY) {
      // (a large function does enough per call that the counter's store and load around it matter little;
      // a PENDING one pays for its moved local whether or not it becomes a variant)
      variants![func] = PLAIN;
      this.pending = false;
    }
    if (this.rewriteWith(typeIndex, LOCAL) === DONE) {
      // (a ref.func of itself made it PUBLIC meanwhile)
      if (this.pending && variants![func] === PENDING) {
        if (!this.calls && !this.noVariant) {
          this.toVariant(mapN);
          variants![func] = VARIANT;
        } else variants![func] = PLAIN;
      } else if (variants && func >= 0 && variants[func] === PENDING) variants[func] = PLAIN;
      return;
    }
    c.pos = start;
    out.pos = outStart;
    map.n = mapN;
    if (sites) sites.length = nSites;
    if (this.pending) variants![func] = PLAIN;
    this.pending = false;
    this.rewriteWith(typeIndex, GLOBAL);
  }

  /**
   * Turns the PENDING function just written (in local mode, without calls) into its register variant: the
   * counter's local becomes the parameter after the others (the local group that declared it is dropped, the
   * code after it moved back), its reload from the global at entry and the global.set of each flush become
   * nops: each exit leaves the counter on the stack, the last result.
   */
  private toVariant(mapN: number): void {
    const out = this.out;
    const b = out.buf;
    b.fill(0x01, this.reloadAt, this.reloadEnd);
    const g = this.toGlobal.length;
    for (let i = 0; i < this.nFlush; i++) b.fill(0x01, this.flushes[i]!, this.flushes[i]! + g);
    const at = this.headerAt;
    const n = this.groupCount - 1;
    let len = 1;
    for (let v = n; v >= 128; v = Math.floor(v / 128)) len++;
    const delta = this.counterGroupEnd - at - len;
    b.copyWithin(at + len, this.counterGroupEnd, out.pos);
    putLeb(b, at, n);
    out.pos -= delta;
    const map = this.ctx.map;
    for (let i = mapN; i < map.n; i++) map.data[3 * i] -= delta;
  }

  private templatesFor(local: number): Templates {
    if (local < 0) return this.globalTemplates;
    if (local < 256) {
      const t = (LOCAL_TEMPLATES[local] ??= newTemplates());
      if (TEMPLATE_STAMPS[local] !== this.stamp) {
        fillTemplates(t, this.ctx.fuelGlobal, this.ctx.fuelFunc, local);
        TEMPLATE_STAMPS[local] = this.stamp;
      }
      return t;
    }
    const t = this.otherTemplates;
    if (this.otherFor !== local) {
      fillTemplates(t, this.ctx.fuelGlobal, this.ctx.fuelFunc, local);
      this.otherFor = local;
    }
    return t;
  }

  /** A branch to `label` (`escapes` false: the caller calls escape() itself). */
  private mark(label: number, refunded = false, escapes = true): void {
    const sp = this.sp;
    if (label > sp) return;
    const t = sp - label;
    this.targeted[t] = 1;
    const id = this.segId;
    const from = this.from;
    if (from[2 * t]! > id) from[2 * t] = id;
    if (from[2 * t + 1]! < id) from[2 * t + 1] = id;
    if (escapes) this.escape(t, refunded);
  }

  /**
   * A branch to frame t (0: out of the function) leaves the region of every segment bounded by frame t or a
   * deeper one: no later part may be merged into them, but for the open one if `refunded`.
   */
  private escape(t: number, refunded: boolean): void {
    const id = this.segId;
    const segs = this.segs;
    if (!refunded && segs[3 * id]! >= t) segs[3 * id + 2] = 1;
    // suspended segments, innermost first; their homes only decrease outwards
    for (let i = this.nSavers - 1; i >= 0; i--) {
      const k = this.savers[i]!;
      if (k <= t) break;
      const sid = this.saved[k * SAVED + 6]!;
      if (segs[3 * sid]! < t) break;
      if (sid !== id || !refunded) segs[3 * sid + 2] = 1;
    }
  }

  /**
   * Before an unconditional branch at `at` to frame t: if it leaves the open segment's region, writes a refund
   * of the parts of that segment still to be merged after this one (patched when the segment closes).
   */
  private refundAt(at: number, t: number): boolean {
    const id = this.segId;
    if (!this.localMode || this.segs[3 * id]! < t || this.segs[3 * id + 2] === 1) return false;
    this.flushCopy(at);
    const out = this.out;
    const t0 = this.t;
    const n = this.nRef++;
    if (3 * n + 3 > this.refs.length) this.refs = doubled(this.refs);
    const refs = this.refs;
    refs[3 * n] = out.pos + t0.slot;
    refs[3 * n + 1] = id;
    refs[3 * n + 2] = -1;
    out.put(t0.refund);
    return true;
  }

  /** At the targeted end of block frame f: whether the code after it can be a part of the open segment. */
  private canMerge(f: number): boolean {
    if (!this.localMode || this.segStart < 0) return false;
    const id = this.segId;
    const home = this.segs[3 * id]!;
    const from = this.from;
    if (this.segs[3 * id + 2] === 1 || home >= f || from[2 * f]! < id) return false;
    // a branch to an enclosing end in the region would skip the new part
    for (let g = home + 1; g < f; g++) if (from[2 * g + 1]! >= id) return false;
    return true;
  }

  /** A new part of the open segment starts, the segment's cost so far being `cost`. */
  private newPart(cost: number): void {
    const id = this.segId;
    const refs = this.refs;
    for (let i = this.segs[3 * id + 1]!; i < this.nRef; i++) if (refs[3 * i + 1] === id && refs[3 * i + 2] === -1) refs[3 * i + 2] = cost;
  }

  private push(kind: number): void {
    const sp = ++this.sp;
    if (sp >= this.kinds.length) {
      this.kinds = doubled(this.kinds);
      this.targeted = doubled(this.targeted);
      this.wrapped = doubled(this.wrapped);
      this.headerSlot = doubled(this.headerSlot);
      this.saved = doubled(this.saved);
      this.from = doubled(this.from);
      this.armAcc = doubled(this.armAcc);
      this.thenCost = doubled(this.thenCost);
    }
    this.kinds[sp] = kind;
    this.targeted[sp] = 0;
    this.wrapped[sp] = this.wrapped[sp - 1]!;
    this.headerSlot[sp] = -1;
    this.from[2 * sp] = NO_BRANCH;
    this.from[2 * sp + 1] = -1;
  }

  /** The label `l` (relative to the current frame) in the output, past the inserted labels. */
  private relabel(l: number): number {
    const sp = this.sp;
    return l <= sp ? l + this.wrapped[sp]! - this.wrapped[sp - l]! : l;
  }

  /** Copies the input from copyFrom up to `to` unchanged. */
  private flushCopy(to: number): void {
    const from = this.copyFrom;
    if (to > from) {
      this.ctx.map.add(this.out.pos, from, to - from);
      this.out.bytes(this.c.buf, from, to);
    }
    this.copyFrom = to;
  }

  /**
   * Opens a segment at input offset `at`: a charge (plain, checked, or `charge`: a piece of the templates),
   * its region bounded by the end of frame `home`.
   */
  private open(at: number, check: boolean, charge: Uint8Array | null = null, home = this.sp): void {
    this.flushCopy(at);
    const id = this.nextSeg++;
    if (3 * id + 3 > this.segs.length) this.segs = doubled(this.segs);
    const segs = this.segs;
    segs[3 * id] = home;
    segs[3 * id + 1] = this.nRef;
    segs[3 * id + 2] = 0;
    this.segId = id;
    const out = this.out;
    const t = this.t;
    const segStart = out.pos;
    out.put(charge ?? (check ? t.checked : t.plain));
    this.segStart = segStart;
    this.segSlot = segStart + t.slot;
    this.segEnd = out.pos;
    this.segCheck = check;
    this.cost = 0;
  }

  /** Opens the virtual segment of an arm of the if/else frame `owner` (nothing is written). */
  private openArm(owner: number): void {
    this.segStart = -1;
    this.segSlot = -1;
    this.segEnd = -1;
    this.segCheck = false;
    this.cost = 0;
    this.segOwner = owner;
    this.segId = this.saved[owner * SAVED + 6]!; // paid for by the segment the if is in
  }

  /** Suspends the open segment in the current frame. */
  private save(): void {
    if (this.nSavers === this.savers.length) this.savers = doubled(this.savers);
    this.savers[this.nSavers++] = this.sp;
    const s = this.saved;
    const i = this.sp * SAVED;
    s[i] = this.segStart;
    s[i + 1] = this.segSlot;
    s[i + 2] = this.segEnd;
    s[i + 3] = this.segCheck ? 1 : 0;
    s[i + 4] = this.cost;
    s[i + 5] = this.segOwner;
    s[i + 6] = this.segId;
  }

  private restore(): void {
    const s = this.saved;
    const i = this.sp * SAVED;
    this.segStart = s[i]!;
    this.segSlot = s[i + 1]!;
    this.segEnd = s[i + 2]!;
    this.segCheck = s[i + 3] === 1;
    this.cost = s[i + 4]!;
    this.segOwner = s[i + 5]!;
    this.segId = s[i + 6]!;
  }

  /** At the end of a frame that suspended a segment: continue it, or (end is a branch target) close it and start anew. */
  private resume(branchTarget: boolean): void {
    this.close();
    this.restore();
    if (branchTarget) {
      this.close();
      this.open(this.c.pos, false, null, this.sp - 1);
    }
  }

  private close(): void {
    if (this.segStart < 0) {
      this.armAcc[this.segOwner] += this.cost; // a virtual segment: charged with its if
      return;
    }
    if (this.segCheck && this.cost === 0) this.cost = 1;
    const out = this.out;
    const id = this.segId;
    const from = this.segs[3 * id + 1]!;
    if (this.nRef > from) {
      // the refunds of this segment's unconditional exits: the parts merged after each
      const t = this.t;
      for (let i = from; i < this.nRef; i++) {
        const refs = this.refs;
        if (refs[3 * i + 1] !== id) continue;
        const base = refs[3 * i + 2]!;
        const pos = refs[3 * i]!;
        if (base >= 0 && this.cost > base) out.patch5(pos, this.cost - base);
        else out.buf.fill(0x01, pos - t.slot, pos - t.slot + t.refundE - t.refundS); // nothing to refund: nops
      }
      this.nRef = from;
    }
    if (this.cost > 0) {
      out.patch5(this.segSlot, this.cost);
    } else if (out.pos === this.segEnd) {
      out.pos = this.segStart; // nothing was written after the template: drop it
    } else {
      out.buf.fill(0x01, this.segStart, this.segEnd); // nops
    }
  }

  /**
   * Charges the run-time cost of a bulk operation whose length is the i32 on top of the stack (with `wide`, the
   * i64 of a 64-bit memory or table: taken as unsigned and clamped to 2^62 (before a left shift: 2^(62 - shift)),
   * so a huge length never wraps the charge nor makes it negative; it exhausts any budget, which is at most 2^62).
   */
  /**
   * With the current size (an i64) on the stack: emits `size + n > cap` (n in local N, an i32 extended to
   * i64 unless wide), and for a wide (i64) n also `n > cap` alone, or-ed in (the sum could wrap).
   */
  private overCap(N: number, wide: boolean, cap: number): void {
    const out = this.out;
    out.byte(0x20); // local.get N
    out.u32(N);
    if (!wide) out.byte(0xad); // i64.extend_i32_u
    out.byte(0x7c); // i64.add
    out.byte(0x42);
    out.s64(cap);
    out.byte(0x56); // i64.gt_u
    if (wide) {
      out.byte(0x20);
      out.u32(N);
      out.byte(0x42);
      out.s64(cap);
      out.byte(0x56);
      out.byte(0x72); // i32.or
    }
  }

  private bulkCharge(at: number, shift: number, left: boolean, wide = false): void {
    this.flushCopy(at);
    const out = this.out;
    const t = this.t;
    if (wide) {
      const W = this.W;
      const limit = 2 ** (62 - (left ? shift : 0));
      out.byte(0x22); // local.tee W
      out.u32(W);
      out.bytes(t.b, t.getS, t.getE);
      out.byte(0x20); // select(n, limit, n <u limit)
      out.u32(W);
      out.byte(0x42);
      out.s64(limit);
      out.byte(0x20);
      out.u32(W);
      out.byte(0x42);
      out.s64(limit);
      out.byte(0x54); // i64.lt_u
      out.byte(0x1b); // select
      this.chargeScaled(shift, left);
      return;
    }
    out.byte(0x22); // local.tee T
    out.u32(this.T);
    out.bytes(t.b, t.getS, t.getE);
    out.byte(0x20); // local.get T
    out.u32(this.T);
    out.byte(0xad); // i64.extend_i32_u
    this.chargeScaled(shift, left);
  }

  /** With the counter and the length (an i64) on the stack: counter -= length scaled by `shift`, stored, then checked. */
  private chargeScaled(shift: number, left: boolean): void {
    const out = this.out;
    const t = this.t;
    if (shift > 0) {
      out.byte(0x42);
      out.byte(shift);
      out.byte(left ? 0x86 : 0x88); // i64.shl / i64.shr_u
    }
    out.byte(0x7d);
    out.bytes(t.b, t.setS, t.setE);
    out.put(t.check); // if (fuel < 0) fuel = host(fuel)
  }

  /** Local mode: store the counter before `at` (a call or an exit). */
  private flushAt(at: number): void {
    if (!this.localMode) return;
    this.flushCopy(at);
    const t = this.t;
    if (this.pending) {
      // (where the global.set is: toVariant turns it into nops)
      if (this.nFlush === this.flushes.length) this.flushes = doubled(this.flushes);
      this.flushes[this.nFlush++] = this.out.pos + t.getE - t.getS;
    }
    this.out.put(t.flush);
  }

  /** Local mode: reload the counter after the instruction ending at c.pos (a call). */
  private reloadHere(): void {
    if (!this.localMode) return;
    this.flushCopy(this.c.pos);
    this.out.put(this.t.reload);
  }

  /**
   * The locals of a PENDING function (c past its local groups, `groups` of them from `groupsStart`): the i64
   * counter right after the parameters, the declared locals but the first (`move`: there is one), the first,
   * the i32 scratch local (the i64 one is written by the caller).
   */
  private pendingLocals(groups: number, groupsStart: number, move: boolean): void {
    const out = this.out;
    const c = this.c;
    const buf = c.buf;
    let count = groups + 2 + (this.wide ? 1 : 0);
    if (move && buf[groupsStart] !== 1) count++; // (the first group keeps the others)
    this.headerAt = out.pos;
    this.groupCount = count;
    out.u32(count);
    out.byte(1);
    out.byte(0x7e);
    this.counterGroupEnd = out.pos;
    if (move) {
      const g = new Cursor(buf, groupsStart);
      const n1 = g.u32();
      const first = g.pos;
      g.skipValType(this.ctx.paramCounts.length);
      const firstEnd = g.pos;
      if (n1 > 1) {
        out.u32(n1 - 1);
        out.bytes(buf, first, firstEnd);
      }
      out.bytes(buf, firstEnd, c.pos);
      out.byte(1);
      out.bytes(buf, first, firstEnd);
    } else out.bytes(buf, groupsStart, c.pos);
    out.byte(1);
    out.byte(0x7f);
  }

  /** A PENDING function's local.get/set/tee (`op`) of its first declared local, which moved to index `to`. */
  private moveLocal(at: number, op: number, to: number): void {
    this.flushCopy(at);
    this.out.byte(op);
    this.out.u32(to);
    this.copyFrom = this.c.pos;
  }

  /** call, return_call or ref.func (`op` at `at`, c past it). */
  private callOp(at: number, op: number): void {
    const c = this.c;
    const ctx = this.ctx;
    const fi = c.u32();
    checkFuncIndex(c, fi, at, ctx.importedFuncs, ctx.variants);
    if (ctx.variants && fi >= ctx.importedFuncs && this.variantCall(at, op, fi)) return;
    if (op !== 0xd2) {
      this.calls = true;
      if (op === 0x12) this.escape(0, this.refundAt(at, 0)); // return_call: an exit
      this.flushAt(at);
    }
    if (fi >= ctx.importedFuncs) {
      // written anew (an offset inside it maps to the instruction's start)
      this.flushCopy(at);
      this.out.byte(op);
      this.out.u32(fi + 1);
      this.copyFrom = c.pos;
    }
    if (op === 0x10) this.reloadHere();
  }

  /**
   * call, return_call or ref.func (`op`, at `at`, c past it) of the defined function fi when the module has
   * register variants: writes a call of a variant and returns true; otherwise (the caller writes the
   * instruction as usual) makes a PENDING function referenced, tail-called or called from a global-mode
   * function PUBLIC.
   */
  private variantCall(at: number, op: number, fi: number): boolean {
    const c = this.c;
    const ctx = this.ctx;
    const variants = ctx.variants!;
    const d = fi - ctx.importedFuncs;
    const state = d < variants.length ? variants[d]! : PUBLIC;
    if (state !== VARIANT && state !== PENDING) return false;
    if (op === 0x10 && this.localMode) {
      this.calls = true;
      this.callSite(at, fi, state === PENDING ? d : -1);
      return true;
    }
    if (state === PENDING) {
      variants[d] = PUBLIC;
      return false;
    }
    // (a declared reference is PUBLIC: one to a variant is to a function the module does not declare)
    if (op === 0xd2) c.fail('undeclared function reference', at);
    this.calls = true;
    if (op === 0x12) {
      // return_call checks that the callee's results match the caller's; call + return checks their types
      // too (the last ones on the stack), but would take more results, or fewer over other values
      if (ctx.resultCounts![this.typeIndex] !== ctx.resultCounts![ctx.funcTypes![d]!]) c.fail('type mismatch: return_call of a function with another number of results', at);
      this.escape(0, this.refundAt(at, 0));
      this.flushAt(at);
    }
    this.callGlobal(at, fi, op === 0x12);
    return true;
  }

  /**
   * Local mode: `call fi` (at `at`, c past it) of a register variant: the counter goes in as the last
   * argument and comes back as the last result. For a callee not rewritten yet (defined index `pending`), the
   * usual flush and reload are written and noted in ctx.sites: if it becomes a variant, the global.set before
   * the call and the global.get after it are turned into nops (index.ts), leaving the same code.
   */
  private callSite(at: number, fi: number, pending: number): void {
    const out = this.out;
    const t = this.t;
    this.flushCopy(at);
    out.bytes(t.b, t.getS, t.getE);
    const flushAt = out.pos;
    if (pending >= 0) out.bytes(this.toGlobal);
    out.byte(0x10);
    out.u32(fi + 1);
    const reloadAt = out.pos;
    if (pending >= 0) out.bytes(this.fromGlobal);
    out.bytes(t.b, t.setS, t.setE);
    this.copyFrom = this.c.pos;
    if (pending >= 0) this.ctx.sites!.data.push(pending, flushAt, reloadAt);
  }

  /**
   * Global mode, or a tail call (`ret`, the counter already flushed): a call (at `at`, c past it) of the
   * register variant fi takes the counter from the global and puts it back (then returns, for a tail call).
   */
  private callGlobal(at: number, fi: number, ret: boolean): void {
    const out = this.out;
    this.flushCopy(at);
    out.bytes(this.fromGlobal);
    out.byte(0x10);
    out.u32(fi + 1);
    out.bytes(this.toGlobal);
    if (ret) out.byte(0x0f);
    this.copyFrom = this.c.pos;
  }

  /** One rewrite; in LOCAL mode it may ask for another mode (having written garbage). */
  private rewriteWith(typeIndex: number, mode: number): number {
    const c: Cursor = this.c;
    const out = this.out;
    const ctx = this.ctx;
    const localMode = mode === LOCAL;
    this.localMode = localMode;
    this.calls = false;
    this.loops = 0;
    this.noVariant = false;
    this.nFlush = 0;
    this.typeIndex = typeIndex;
    const buf = c.buf;
    const params = ctx.paramCounts[typeIndex] ?? -1;
    if (params < 0) c.fail(`function type ${typeIndex} is not a function type`);

    // Locals: the declared groups, plus an i32 scratch local (the length operand of bulk operations) and, in
    // local mode, the i64 counter.
    const groups = c.u32();
    const groupsStart = c.pos;
    let locals = params;
    const types = ctx.paramCounts.length;
    for (let i = 0; i < groups; i++) {
      locals += c.u32();
      c.skipValType(types);
    }
    const added = (localMode ? 2 : 1) + (this.wide ? 1 : 0);
    if (locals + added > MAX_LOCALS) c.unsupported(`function with ${locals} locals (metering adds ${added}, and V8 takes at most ${MAX_LOCALS})`, groupsStart);
    // A PENDING function (local mode) has its counter right after the parameters, where a register variant
    // has it (toVariant): its first declared local moves to the end (index `locals`; `moved`: its old index).
    let moved = -1;
    let T = locals;
    let counter = locals + 1;
    this.staticGc = 0;
    this.W = -1;
    if (localMode && this.pending) {
      if (groups > 0 && buf[groupsStart] === 0) this.pending = false; // (an empty first group: no variant)
      else {
        counter = params;
        T = locals + 1;
        if (locals > params) moved = params;
        this.pendingLocals(groups, groupsStart, moved >= 0);
      }
    }
    if (!this.pending || !localMode) {
      out.u32(groups + (localMode ? 2 : 1) + (this.wide ? 1 : 0));
      out.bytes(buf, groupsStart, c.pos);
      out.byte(1);
      out.byte(0x7f);
      if (localMode) {
        out.byte(1);
        out.byte(0x7e);
      }
    }
    this.T = T;
    if (this.wide) {
      // the i64 scratch local (after the counter local in local mode)
      this.W = localMode ? Math.max(T, counter) + 1 : T + 1;
      out.byte(1);
      out.byte(0x7e);
    }

    const t = this.templatesFor(localMode ? counter : -1);
    this.t = t;
    this.sp = 0;
    this.kinds[0] = FUNC;
    this.targeted[0] = 0;
    this.wrapped[0] = 0;
    this.headerSlot[0] = -1;
    this.from[0] = NO_BRANCH;
    this.from[1] = -1;
    this.nSavers = 0;
    this.nextSeg = 0;
    this.nRef = 0;
    this.copyFrom = c.pos;

    this.reloadAt = out.pos;
    if (localMode) out.put(t.reload);
    this.reloadEnd = out.pos;
    this.open(c.pos, true);
    // The open segment's cost, kept in a local in the loop (this.cost is synced around the segment methods).
    let cost = 0;
    // A function without calls cannot recurse: what it charges before its first loop header (each of which
    // checks) is bounded by its size, and its callers' checks see it. Its entry check is turned into nops at
    // the end (no host call at entry, around which V8 would spill the parameters on every call).
    const entryCheckEnd = this.segEnd;
    const entryCheck = entryCheckEnd - (t.checkE - t.plainE);
    const limits = SCAN_LIMITS;
    limits[0x20] = limits[0x21] = limits[0x22] = Math.min(locals, 0x80); // local.get/set/tee
    limits[0x23] = limits[0x24] = Math.min(ctx.fuelGlobal, 0x80); // global.get/set
    const end = c.end;
    const last = end - 16;
    for (;;) {
      // The hot path (see SCAN_LEN): the run of plain instructions from here, in a small loop on locals.
      let at = c.pos;
      while (at < last) {
        const op = buf[at]!;
        const a = buf[at + 1]!;
        if (a >= limits[op]! || buf[at + 2]! >= SECOND_LIMIT[op]! || (a === moved && op >= 0x20 && op <= 0x22)) break;
        at += 1 + SCAN_LEN[op]!;
        cost++;
      }
      if (at >= end) c.fail('function body without end', at);
      const op = buf[at]!;
      c.pos = at + 1;
      switch (FAST[op]) {
        case F_NONE:
          cost++;
          continue;
        case F_LEB5:
          c.skipLeb(5);
          cost++;
          continue;
        case F_MEMARG:
          if (c.u32() & 0x40) c.skipLeb(5);
          c.skipLeb(10);
          cost++;
          continue;
        case F_LEB10:
          c.skipLeb(10);
          cost++;
          continue;
        case F_LEB5X2:
          c.skipLeb(5);
          c.skipLeb(5);
          cost++;
          continue;
        case F_SKIP4:
          c.skip(4);
          cost++;
          continue;
        case F_SKIP8:
          c.skip(8);
          cost++;
          continue;
        case F_LOCAL: {
          const x = c.u32();
          if (x >= locals) c.fail('unknown local', at);
          if (x === moved) this.moveLocal(at, op, locals);
          cost++;
          continue;
        }
        case F_GLOBAL:
          if (c.u32() >= ctx.fuelGlobal) c.fail('unknown global', at);
          cost++;
          continue;
        case F_HEAP:
          c.skipHeapType(types);
          cost++;
          continue;
      }
      switch (op) {
        case 0x02: // block
          c.skipBlockType(types);
          cost++;
          this.push(BLOCK);
          continue;
        case 0x03: {
          // loop. In local mode a loop without parameters becomes
          //   block (result of the loop) loop (the same) block loop* fuel -= cost; br_if 1 (fuel < 0) ... end br 2 end
          //   fuel = host(fuel) + cost; br 0 end end
          // so the host call (which V8 must plan registers around) is outside the loop itself.
          if (++this.loops > MAX_LOOPS_PER_FUNCTION) c.unsupported(`function with more than ${MAX_LOOPS_PER_FUNCTION} loops (V8's compile time grows with their square)`, at);
          // the k-th loop of a function adds k^2 - (k-1)^2 to the sum of squares
          if ((this.loopWork += 2 * this.loops - 1) > MAX_LOOP_WORK) c.unsupported(`module with too many loops for their functions (the sum of each function's loop count squared passes ${MAX_LOOP_WORK}; V8's compile time grows with it)`, at);
          const bt = c.pos;
          const b = buf[bt]!;
          c.skipBlockType(types);
          // Only a function's first WRAPPED_LOOPS loops take the two-loop form: it doubles the loops V8's optimiser
          // sees, whose work grows with their square.
          const wrap = localMode && b >= 0x40 && b < 0x80 && this.loops <= WRAPPED_LOOPS;
          if (wrap) {
            this.flushCopy(at);
            out.byte(0x02);
            out.bytes(buf, bt, c.pos);
            out.byte(0x03);
            out.bytes(buf, bt, c.pos);
            out.byte(0x02);
            out.byte(0x40);
          }
          this.push(LOOP);
          this.cost = cost;
          this.save();
          if (wrap) {
            const sp = this.sp;
            this.wrapped[sp] = this.wrapped[sp - 1]! + 3;
            this.open(c.pos, true, t.loop);
            this.headerSlot[sp] = this.segSlot;
          } else this.open(c.pos, true);
          cost = 1;
          continue;
        }
        case 0x04: // if
          // The arms are not charged where they start: the larger arm's cost is added to the segment the
          // if is in (an arm runs at most once each time that segment's charge is paid, as only loop
          // headers are branched back to; loops inside an arm have their own charge).
          c.skipBlockType(types);
          cost++;
          this.push(IF);
          this.cost = cost;
          this.save();
          this.openArm(this.sp);
          this.armAcc[this.sp] = 0;
          cost = 0;
          continue;
        case 0x05: {
          // else
          const sp = this.sp;
          if (this.kinds[sp] !== IF) c.fail('else without if', at);
          this.cost = cost;
          this.close();
          this.thenCost[sp] = this.armAcc[sp]!;
          this.armAcc[sp] = 0;
          this.openArm(sp);
          cost = 0;
          this.kinds[sp] = ELSE;
          continue;
        }
        case 0x06: // try
          if (localMode) return RETRY_GLOBAL;
          c.skipBlockType(types);
          cost++;
          this.push(TRY);
          this.cost = cost;
          this.save();
          this.open(c.pos, false);
          cost = 0;
          continue;
        case 0x07: // catch
        case 0x19: {
          // catch_all
          const k = this.kinds[this.sp];
          if (k !== TRY && k !== CATCH) c.fail('catch outside try', at);
          if (op === 0x07) c.skipLeb(5);
          this.cost = cost;
          this.close();
          this.open(c.pos, false);
          cost = 0;
          this.kinds[this.sp] = CATCH;
          continue;
        }
        case 0x18: // delegate
          if (this.kinds[this.sp] !== TRY) c.fail('delegate outside try', at);
          c.skipLeb(5);
          this.cost = cost;
          this.resume(this.targeted[this.sp] === 1);
          cost = this.cost;
          if (this.nSavers > 0 && this.savers[this.nSavers - 1] === this.sp) this.nSavers--;
          this.sp--;
          continue;
        case 0x1f: {
          // try_table: catch clauses branch to labels of the enclosing context
          if (localMode) return RETRY_GLOBAL;
          c.skipBlockType(types);
          // (marked both as seen from outside and from inside the try_table: a spurious mark only splits a block)
          const n = c.u32();
          const labels: number[] = [];
          for (let i = 0; i < n; i++) {
            const kind = c.byte();
            if (kind > 3) c.fail(`bad catch kind ${kind}`, c.pos - 1);
            if (kind < 2) c.skipLeb(5);
            labels.push(c.u32());
          }
          cost++;
          this.push(TRY_TABLE);
          for (const l of labels) {
            this.mark(l);
            this.mark(l + 1);
          }
          continue;
        }
        case 0x0b: {
          // end
          const sp = this.sp;
          const kind = this.kinds[sp]!;
          const wasTargeted = this.targeted[sp] === 1;
          if (sp === 0) {
            if (c.pos !== c.end) c.fail('operators after the end of the function', c.pos);
            if (!this.calls) out.buf.fill(0x01, entryCheck, entryCheckEnd);
            this.cost = cost;
            this.close();
            this.flushAt(at);
            this.flushCopy(c.pos);
            return DONE;
          }
          if (kind === BLOCK || kind === TRY_TABLE) {
            // reached by falling through, and by branches only if targeted: then a new part of the open
            // segment, or a new segment
            if (wasTargeted) {
              if (this.canMerge(sp)) this.newPart(cost);
              else {
                this.cost = cost;
                this.close();
                this.open(c.pos, false, null, sp - 1);
                cost = 0;
              }
            }
          } else if (kind === IF || kind === ELSE) {
            // the segment the if is in goes on, charged with the larger arm (every way to the end, branches
            // to it included, went through that segment's charge)
            this.cost = cost;
            this.close();
            const arms = kind === ELSE ? Math.max(this.thenCost[sp]!, this.armAcc[sp]!) : this.armAcc[sp]!;
            this.restore();
            cost = this.cost + arms;
          } else {
            // a loop's label is its header: its end is only ever reached by falling through
            this.cost = cost;
            this.resume(kind !== LOOP && wasTargeted);
            cost = this.cost;
            const hs = this.headerSlot[sp]!;
            if (hs >= 0) {
              // (the header's segment is closed by now: its cost is in place)
              this.flushCopy(c.pos);
              out.bytes(t.b, t.headS, t.headE);
              out.ensure(5);
              const ob = out.buf;
              const p = out.pos;
              for (let i = 0; i < 5; i++) ob[p + i] = ob[hs + i]!;
              out.pos = p + 5;
              out.bytes(t.b, t.tailS, t.tailE);
            }
          }
          if (this.nSavers > 0 && this.savers[this.nSavers - 1] === sp) this.nSavers--;
          this.sp = sp - 1;
          continue;
        }
        case 0x0c: // br
        case 0x0d: // br_if
        case 0xd5: // br_on_null
        case 0xd6: {
          // br_on_non_null
          const l = c.u32();
          if (l > this.sp) c.fail('unknown label', at);
          if (l === this.sp && op !== 0x0c) this.noVariant = true; // a conditional exit
          this.mark(l, op === 0x0c && this.refundAt(at, this.sp - l));
          if (l === this.sp) this.flushAt(at); // an exit
          cost++;
          const nl = this.relabel(l);
          if (nl !== l) {
            this.flushCopy(at);
            out.byte(op);
            out.u32(nl);
            this.copyFrom = c.pos;
          }
          continue;
        }
        case 0x0e: {
          // br_table
          const n = c.u32();
          let exits = false;
          let moved = false;
          const first = c.pos;
          let outermost = this.sp;
          for (let i = 0; i <= n; i++) {
            const l = c.u32();
            if (l > this.sp) c.fail('unknown label', at);
            this.mark(l, false, false);
            if (this.sp - l < outermost) outermost = this.sp - l;
            exits ||= l === this.sp;
            moved ||= this.relabel(l) !== l;
          }
          this.escape(outermost, false);
          if (exits) this.noVariant = true;
          if (exits) this.flushAt(at);
          cost++;
          if (moved) {
            this.flushCopy(at);
            out.byte(op);
            out.u32(n);
            const end = c.pos;
            c.pos = first;
            for (let i = 0; i <= n; i++) out.u32(this.relabel(c.u32()));
            c.pos = end;
            this.copyFrom = end;
          }
          continue;
        }
        case 0x0f: // return
        case 0x08: // throw
        case 0x09: // rethrow
        case 0x0a: // throw_ref
          if (op !== 0x0f && op !== 0x0a) c.skipLeb(5);
          if (op !== 0x0f) this.noVariant = true; // a throw leaves without the counter
          this.escape(0, this.refundAt(at, 0));
          this.flushAt(at);
          cost++;
          continue;
        case 0x11: // call_indirect
        case 0x13: // return_call_indirect
        case 0x14: // call_ref
        case 0x15: // return_call_ref
          this.calls = true;
          if (op === 0x13 || op === 0x15) this.escape(0, this.refundAt(at, 0)); // return_call_*: an exit
          this.flushAt(at);
          if (c.u32() >= types) c.fail('unknown type', at);
          if (op === 0x11 || op === 0x13) c.skipLeb(5);
          cost++;
          if (op === 0x11 || op === 0x14) this.reloadHere();
          continue;
        case 0x10: // call
        case 0x12: // return_call
        case 0xd2: // ref.func
          this.callOp(at, op);
          cost++;
          continue;
        case 0x40: {
          // memory.grow
          const mem = c.u32();
          cost++;
          // (a 64-bit memory: n and the result are i64, n kept in W)
          const m64 = ctx.memories64?.[mem] === true;
          const N = m64 ? this.W : T;
          this.bulkCharge(at, GROW_SHIFT, true, m64);
          const gc = ctx.growCheck;
          if (gc) {
            // if (sum of all memory sizes + n > cap) -1 else memory.grow
            out.byte(0x21); // local.set T
            out.u32(N);
            for (let i = 0; i < gc.memories; i++) {
              out.byte(0x3f);
              out.u32(i);
              if (ctx.memories64?.[i] !== true) out.byte(0xad);
              if (i > 0) out.byte(0x7c); // i64.add
            }
            this.overCap(N, m64, gc.capPages);
            out.byte(0x04);
            out.byte(m64 ? 0x7e : 0x7f); // if (result i32 / i64)
            out.byte(m64 ? 0x42 : 0x41);
            out.byte(0x7f); // i32.const -1 / i64.const -1
            out.byte(0x05);
            out.byte(0x20);
            out.u32(N);
            out.byte(0x40);
            out.u32(mem);
            out.byte(0x0b);
            this.copyFrom = c.pos;
          }
          continue;
        }
        case PREFIX_MISC: {
          const sub = c.u32();
          const bulk = BULK_COST.get(sub);
          const info = PREFIXED[PREFIX_MISC]![sub];
          if (!info) c.unsupported(`opcode 0xfc ${hex(sub)}`, at);
          let table = -1;
          if (sub === 15) {
            const save = c.pos;
            table = c.u32(); // table.grow's table
            c.pos = save;
          }
          // Whether the length is an i64: fill/grow on a 64-bit memory or table, copy between two 64-bit ones
          // (the smaller address type of the two); init's length is always an i32 (a segment's).
          let wide = false;
          if (bulk && this.wide) {
            const save = c.pos;
            const m64 = ctx.memories64 ?? [];
            const t64 = ctx.tables64 ?? [];
            if (sub === 11) wide = m64[c.u32()] === true;
            else if (sub === 10) wide = m64[c.u32()] === true && m64[c.u32()] === true;
            else if (sub === 15 || sub === 17) wide = t64[c.u32()] === true;
            else if (sub === 14) wide = t64[c.u32()] === true && t64[c.u32()] === true;
            c.pos = save;
          }
          skipImm(c, info, at);
          cost++;
          if (bulk) this.bulkCharge(at, bulk.shift, bulk.left, wide);
          const tg = ctx.tableGrowCheck;
          if (tg && table >= 0 && table < tg.imported) {
            // An imported table (the module cannot lower its maximum): before the table.grow (copied after this),
            // with n in T: if (table.size + n > cap) n = 0xffffffff (a grow that always fails, giving -1).
            // (A 64-bit table: n is the i64 in W, also checked alone against the cap, and set to 2^64 - 1.)
            const N = wide ? this.W : T;
            out.byte(0x1a); // drop n
            out.byte(0xfc);
            out.u32(16); // table.size
            out.u32(table);
            if (!wide) out.byte(0xad); // i64.extend_i32_u
            this.overCap(N, wide, tg.cap);
            out.byte(0x04);
            out.byte(0x40); // if
            out.byte(wide ? 0x42 : 0x41);
            out.byte(0x7f); // i32.const -1 / i64.const -1
            out.byte(0x21);
            out.u32(N);
            out.byte(0x0b);
            out.byte(0x20);
            out.u32(N);
          }
          continue;
        }
        case PREFIX_GC: {
          const info = gcInstruction(c, at, types);
          const sub = info.code % 0x10000;
          cost++;
          if (GC_ALLOCATING.has(sub)) this.allocates = true;
          if (info.imm === Imm.BrOnCast) {
            // br_on_cast / br_on_cast_fail: a conditional branch, as br_if
            const flags = c.byte();
            if (flags > 3) c.fail(`bad br_on_cast flags ${flags}`, c.pos - 1);
            const labelAt = c.pos;
            const l = c.u32();
            if (l > this.sp) c.fail('unknown label', at);
            const labelEnd = c.pos;
            c.skipHeapType(types);
            c.skipHeapType(types);
            if (l === this.sp) this.noVariant = true;
            this.mark(l);
            if (l === this.sp) this.flushAt(at); // an exit
            const nl = this.relabel(l);
            if (nl !== l) {
              this.flushCopy(labelAt);
              out.u32(nl);
              this.copyFrom = labelEnd;
            }
          } else if (sub === GC_ARRAY_NEW_FIXED || sub === GC_STRUCT_NEW || sub === GC_STRUCT_NEW_DEFAULT) {
            // array.new_fixed $t N: N elements; struct.new(_default) $t: its fields. A static cost.
            const n = sub === GC_ARRAY_NEW_FIXED ? gcSecond : Math.max(0, ctx.structFields?.[gcFirst] ?? 0);
            if (n > MAX_NEW_FIXED) c.unsupported(`${info.name} of ${n} ${sub === GC_ARRAY_NEW_FIXED ? 'elements' : 'fields'}`, at);
            this.staticGc += n;
            if (this.staticGc > MAX_STATIC_GC_COST) c.unsupported('function allocating more than 2^29 fields and elements statically', at);
            cost += n;
          } else if (GC_BULK.has(sub)) this.bulkCharge(at, 0, false);
          continue;
        }
        default: {
          if (op === PREFIX_ATOMIC) {
            const save = c.pos;
            const sub = c.u32();
            if (sub === 1 || sub === 2) c.unsupported('memory.atomic.wait (it can block past the deadline)', at);
            c.pos = save;
          }
          const info = lookup(c, op, at);
          if (info.nest !== 0 || info.imm === Imm.BrTable || info.imm === Imm.TryTable || info.imm === Imm.BrOnCast) {
            c.unsupported(`instruction ${info.name}`, at);
          }
          skipImm(c, info, at, types);
          cost++;
        }
      }
    }
  }
}
