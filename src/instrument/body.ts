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
  /** Index of the imported host function called when the counter goes negative: (i64) -> i64. */
  readonly fuelFunc: number;
  /** Parameter count of each type index (-1 if not a function type). */
  readonly paramCounts: readonly number[];
  /** Set when memory.grow must check the total of all memories inline (several or imported memories). */
  readonly growCheck: { readonly memories: number; readonly capPages: number } | null;
  /** Where copied code went: (output offset, input offset, length) triples, in output order. */
  readonly map: OffsetMap;
}

/** Output -> input offsets of the code copied unchanged (for trap locations in terms of the original module). */
export class OffsetMap {
  data = new Float64Array(3 * 1024);
  n = 0;

  add(outPos: number, inPos: number, len: number): void {
    if (this.n * 3 + 3 > this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    const i = this.n++ * 3;
    this.data[i] = outPos;
    this.data[i + 1] = inPos;
    this.data[i + 2] = len;
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

/** Skips the immediates of an instruction of the given kind (not the structural ones handled by the caller). */
function skipImm(c: Cursor, info: OpInfo, at: number): void {
  switch (info.imm) {
    case Imm.None:
      return;
    case Imm.U32:
    case Imm.I32:
    case Imm.Heap:
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
      for (let i = 0; i < n; i++) c.skipValType();
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
 * Copies a constant expression (global/elem/data/table initialiser) up to and including its `end`,
 * renumbering function indices of ref.func.
 */
export function copyConstExpr(c: Cursor, out: Out, importedFuncs: number): void {
  let from = c.pos;
  for (;;) {
    const at = c.pos;
    const op = c.byte();
    if (op === 0x0b) break;
    if (op === 0xd2) {
      const f = c.u32();
      if (f >= importedFuncs) {
        out.bytes(c.buf, from, at + 1);
        out.u32(f + 1);
        from = c.pos;
      }
      continue;
    }
    const info = lookup(c, op, at);
    if (info.nest !== 0 || info.imm === Imm.BrTable || info.imm === Imm.TryTable) c.unsupported(`${info.name} in a constant expression`, at);
    skipImm(c, info, at);
  }
  out.bytes(c.buf, from, c.pos);
}

interface Templates {
  g: Uint8Array;
  f: Uint8Array;
  /** `fuel -= cost` with a 5-byte cost slot. */
  plain: Uint8Array;
  /** The same followed by the check. */
  checked: Uint8Array;
  /** `if (fuel < 0) fuel = host(fuel)`. */
  check: Uint8Array;
}
const templateCache = new WeakMap<BodyContext, Templates>();

function templates(ctx: BodyContext): Templates {
  let t = templateCache.get(ctx);
  if (t) return t;
  const leb = (v: number): Uint8Array => {
    const o = new Out(8);
    o.u32(v);
    return o.result();
  };
  const g = leb(ctx.fuelGlobal);
  const f = leb(ctx.fuelFunc);
  const plain = new Uint8Array([0x23, ...g, 0x42, 0x80, 0x80, 0x80, 0x80, 0x00, 0x7d, 0x24, ...g]);
  // global.get; i64.const 0; i64.lt_s; if; global.get; call; global.set; end
  const check = new Uint8Array([0x23, ...g, 0x42, 0x00, 0x53, 0x04, 0x40, 0x23, ...g, 0x10, ...f, 0x24, ...g, 0x0b]);
  t = { g, f, plain, checked: new Uint8Array([...plain, ...check]), check };
  templateCache.set(ctx, t);
  return t;
}

/** Rewrites one function body (c positioned at its locals, c.end = end of body) of type `typeIndex` into `out`. */
export function rewriteBody(c: Cursor, out: Out, typeIndex: number, ctx: BodyContext): void {
  const buf = c.buf;
  const params = ctx.paramCounts[typeIndex] ?? -1;
  if (params < 0) c.fail(`function type ${typeIndex} is not a function type`);
  const G = ctx.fuelGlobal;
  const F = ctx.fuelFunc;

  // Locals: the declared groups, plus one i32 scratch local (the length operand of bulk operations).
  const groups = c.u32();
  const groupsStart = c.pos;
  let locals = params;
  for (let i = 0; i < groups; i++) {
    locals += c.u32();
    c.skipValType();
  }
  if (locals > 50000) c.unsupported(`function with ${locals} locals`, groupsStart);
  const T = locals;
  out.u32(groups + 1);
  out.bytes(buf, groupsStart, c.pos);
  out.byte(1);
  out.byte(0x7f);

  const { g, f, plain, checked, check } = templates(ctx);
  const slotOffset = 2 + g.length;
  /** `if (fuel < 0) fuel = host(fuel)`. */
  const writeCheck = (): void => out.bytes(check);

  // Control frames.
  let kinds = new Uint8Array(64);
  let targeted = new Uint8Array(64);
  let sp = 0;
  kinds[0] = FUNC;
  targeted[0] = 0;
  const mark = (label: number): void => {
    if (label <= sp) targeted[sp - label] = 1;
  };
  const push = (kind: number): void => {
    if (++sp >= kinds.length) {
      const k = new Uint8Array(kinds.length * 2);
      k.set(kinds);
      kinds = k;
      const tg = new Uint8Array(targeted.length * 2);
      tg.set(targeted);
      targeted = tg;
    }
    kinds[sp] = kind;
    targeted[sp] = 0;
  };

  // The open segment: its charge template in `out` and the cost counted so far.
  let copyFrom = c.pos;
  let segStart = 0; // where its template starts in out
  let segSlot = 0; // where the 5-byte cost LEB is
  let segEnd = 0; // where the template ends
  let segCheck = false;
  let cost = 0;

  const map = ctx.map;
  const flushCopy = (to: number): void => {
    if (to > copyFrom) {
      map.add(out.pos, copyFrom, to - copyFrom);
      out.bytes(buf, copyFrom, to);
    }
    copyFrom = to;
  };
  const open = (at: number, check: boolean): void => {
    flushCopy(at);
    segStart = out.pos;
    out.bytes(check ? checked : plain);
    segSlot = segStart + slotOffset;
    segEnd = out.pos;
    segCheck = check;
    cost = 0;
  };
  const close = (): void => {
    if (segCheck && cost === 0) cost = 1;
    if (cost > 0) {
      out.patch5(segSlot, cost);
    } else if (out.pos === segEnd) {
      out.pos = segStart; // nothing was written after the template: drop it
    } else {
      out.buf.fill(0x01, segStart, segEnd); // nops
    }
  };
  /** Charges the run-time cost of a bulk operation whose length is the i32 on top of the stack. */
  const bulkCharge = (at: number, shift: number, left: boolean): void => {
    flushCopy(at);
    out.byte(0x22); // local.tee T
    out.u32(T);
    out.byte(0x23);
    out.bytes(g);
    out.byte(0x20); // local.get T
    out.u32(T);
    out.byte(0xad); // i64.extend_i32_u
    if (shift > 0) {
      out.byte(0x42);
      out.byte(shift);
      out.byte(left ? 0x86 : 0x88); // i64.shl / i64.shr_u
    }
    out.byte(0x7d);
    out.byte(0x24);
    out.bytes(g);
    writeCheck();
  };

  open(c.pos, true);
  for (;;) {
    const at = c.pos;
    if (at >= c.end) c.fail('function body without end', at);
    const op = buf[c.pos++]!;
    switch (op) {
      case 0x02: // block
        c.skipBlockType();
        cost++;
        push(BLOCK);
        continue;
      case 0x03: // loop
        c.skipBlockType();
        close();
        open(c.pos, true);
        cost = 1;
        push(LOOP);
        continue;
      case 0x04: // if
        c.skipBlockType();
        cost++;
        close();
        open(c.pos, false);
        push(IF);
        continue;
      case 0x05: // else
        if (kinds[sp] !== IF) c.fail('else without if', at);
        close();
        open(c.pos, false);
        kinds[sp] = ELSE;
        continue;
      case 0x06: // try
        c.skipBlockType();
        cost++;
        push(TRY);
        continue;
      case 0x07: // catch
      case 0x19: // catch_all
        if (kinds[sp] !== TRY && kinds[sp] !== CATCH) c.fail('catch outside try', at);
        if (op === 0x07) c.skipLeb(5);
        close();
        open(c.pos, false);
        kinds[sp] = CATCH;
        continue;
      case 0x18: // delegate
        if (kinds[sp] !== TRY) c.fail('delegate outside try', at);
        c.skipLeb(5);
        sp--;
        close();
        open(c.pos, false);
        continue;
      case 0x1f: {
        // try_table: catch clauses branch to labels of the enclosing context
        c.skipBlockType();
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
        push(TRY_TABLE);
        for (const l of labels) {
          mark(l);
          mark(l + 1);
        }
        continue;
      }
      case 0x0b: {
        // end
        const kind = kinds[sp]!;
        const wasTargeted = targeted[sp] === 1;
        if (sp === 0) {
          if (c.pos !== c.end) c.fail('operators after the end of the function', c.pos);
          close();
          flushCopy(c.pos);
          return;
        }
        sp--;
        if (wasTargeted || (kind !== BLOCK && kind !== TRY_TABLE)) {
          close();
          open(c.pos, false);
        }
        continue;
      }
      case 0x0c: // br
      case 0x0d: // br_if
      case 0xd5: // br_on_null
      case 0xd6: // br_on_non_null
        mark(c.u32());
        cost++;
        continue;
      case 0x0e: {
        // br_table
        const n = c.u32();
        for (let i = 0; i <= n; i++) mark(c.u32());
        cost++;
        continue;
      }
      case 0x10: // call
      case 0x12: // return_call
      case 0xd2: {
        // ref.func
        const fi = c.u32();
        cost++;
        if (fi >= ctx.importedFuncs) {
          flushCopy(at + 1);
          out.u32(fi + 1);
          copyFrom = c.pos;
        }
        continue;
      }
      case 0x40: {
        // memory.grow
        const mem = c.u32();
        cost++;
        bulkCharge(at, GROW_SHIFT, true);
        const gc = ctx.growCheck;
        if (gc) {
          // if (sum of all memory sizes + n > cap) -1 else memory.grow
          out.byte(0x21); // local.set T
          out.u32(T);
          for (let i = 0; i < gc.memories; i++) {
            out.byte(0x3f);
            out.u32(i);
            out.byte(0xad);
            if (i > 0) out.byte(0x7c); // i64.add
          }
          out.byte(0x20);
          out.u32(T);
          out.byte(0xad);
          out.byte(0x7c);
          out.byte(0x42);
          out.s64(gc.capPages);
          out.byte(0x56); // i64.gt_u
          out.byte(0x04);
          out.byte(0x7f); // if (result i32)
          out.byte(0x41);
          out.byte(0x7f); // i32.const -1
          out.byte(0x05);
          out.byte(0x20);
          out.u32(T);
          out.byte(0x40);
          out.u32(mem);
          out.byte(0x0b);
          copyFrom = c.pos;
        }
        continue;
      }
      case PREFIX_MISC: {
        const sub = c.u32();
        const bulk = BULK_COST.get(sub);
        const info = PREFIXED[PREFIX_MISC]![sub];
        if (!info) c.unsupported(`opcode 0xfc ${hex(sub)}`, at);
        skipImm(c, info, at);
        cost++;
        if (bulk) bulkCharge(at, bulk.shift, bulk.left);
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
        skipImm(c, info, at);
        cost++;
      }
    }
  }
}
