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
  /** Read / write the counter: global.get/set G, or local.get/set L. */
  get: Uint8Array;
  set: Uint8Array;
  /** `fuel -= cost` with a 5-byte cost slot at `slot`. */
  plain: Uint8Array;
  slot: number;
  /** The same followed by the check. */
  checked: Uint8Array;
  /** `if (fuel < 0) fuel = host(fuel)`. */
  check: Uint8Array;
  /** A loop header's charge with `br_if 1 (fuel < 0)` to the out-of-line refill (same cost slot). */
  loopChecked: Uint8Array;
  /** The out-of-line refill after a loop's end, split around the loop's 5-byte header cost (see loop below). */
  refillHead: Uint8Array;
  refillTail: Uint8Array;
  /** Store the function's counter to the global (local mode only; empty otherwise). */
  flush: Uint8Array;
  /** Load it back from the global. */
  reload: Uint8Array;
}

const leb = (v: number): number[] => {
  const o: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    o.push(b);
  } while (v !== 0);
  return o;
};

const templateCache = new WeakMap<BodyContext, Map<number, Templates>>();

/** The inserted code pieces, with the counter in the global or (local >= 0) in local `local`. */
function templates(ctx: BodyContext, local: number): Templates {
  let cache = templateCache.get(ctx);
  if (!cache) templateCache.set(ctx, (cache = new Map()));
  const hit = cache.get(local);
  if (hit) return hit;
  const g = leb(ctx.fuelGlobal);
  const f = leb(ctx.fuelFunc);
  const get = local < 0 ? [0x23, ...g] : [0x20, ...leb(local)];
  const set = local < 0 ? [0x24, ...g] : [0x21, ...leb(local)];
  const plain = [...get, 0x42, 0x80, 0x80, 0x80, 0x80, 0x00, 0x7d, ...set];
  // get; i64.const 0; i64.lt_s; if; get; call; set; end
  const check = [...get, 0x42, 0x00, 0x53, 0x04, 0x40, ...get, 0x10, ...f, ...set, 0x0b];
  const t: Templates = {
    get: new Uint8Array(get),
    set: new Uint8Array(set),
    plain: new Uint8Array(plain),
    slot: get.length + 1,
    checked: new Uint8Array([...plain, ...check]),
    check: new Uint8Array(check),
    // br 2 (past it); end; get; call; i64.const <cost>
    loopChecked: new Uint8Array([...plain, ...get, 0x42, 0x00, 0x53, 0x0d, 0x01]),
    refillHead: new Uint8Array([0x0c, 0x02, 0x0b, ...get, 0x10, ...f, 0x42]),
    // i64.add; set; br 0 (the header again); end; end
    refillTail: new Uint8Array([0x7c, ...set, 0x0c, 0x00, 0x0b, 0x0b]),
    flush: new Uint8Array(local < 0 ? [] : [...get, 0x24, ...g]),
    reload: new Uint8Array(local < 0 ? [] : [0x23, ...g, ...set]),
  };
  cache.set(local, t);
  return t;
}

/**
 * Rewrites one function body (c positioned at its locals, c.end = end of body) of type `typeIndex` into `out`.
 * The counter lives in a local of the function (loaded at entry and after calls, stored before calls and
 * exits), so that V8 keeps it in a register; functions with exception handling keep it in the global.
 */
export function rewriteBody(c: Cursor, out: Out, typeIndex: number, ctx: BodyContext): void {
  const start = c.pos;
  const outStart = out.pos;
  const mapN = ctx.map.n;
  if (rewriteWith(c, out, typeIndex, ctx, LOCAL) === DONE) return;
  c.pos = start;
  out.pos = outStart;
  ctx.map.n = mapN;
  rewriteWith(c, out, typeIndex, ctx, GLOBAL);
}

// Modes of rewriteWith: counter in a local; in the global.
const LOCAL = 0;
const GLOBAL = 1;
// Results: written; redo in GLOBAL mode (exception handling).
const DONE = 0;
const RETRY_GLOBAL = 1;

/** One rewrite; in LOCAL mode it may ask for another mode (having written garbage). */
function rewriteWith(c: Cursor, out: Out, typeIndex: number, ctx: BodyContext, mode: number): number {
  const localMode = mode === LOCAL;
  let callsOrLoops = false;
  const buf = c.buf;
  const params = ctx.paramCounts[typeIndex] ?? -1;
  if (params < 0) c.fail(`function type ${typeIndex} is not a function type`);

  // Locals: the declared groups, plus an i32 scratch local (the length operand of bulk operations) and, in
  // local mode, the i64 counter.
  const groups = c.u32();
  const groupsStart = c.pos;
  let locals = params;
  for (let i = 0; i < groups; i++) {
    locals += c.u32();
    c.skipValType();
  }
  if (locals > 50000) c.unsupported(`function with ${locals} locals`, groupsStart);
  const T = locals;
  out.u32(groups + (localMode ? 2 : 1));
  out.bytes(buf, groupsStart, c.pos);
  out.byte(1);
  out.byte(0x7f);
  if (localMode) {
    out.byte(1);
    out.byte(0x7e);
  }

  const { get, set, plain, slot: slotOffset, checked, check, flush, reload, loopChecked, refillHead, refillTail } = templates(ctx, localMode ? T + 1 : -1);
  /** `if (fuel < 0) fuel = host(fuel)`. */
  const writeCheck = (): void => out.bytes(check);

  // Control frames.
  let kinds = new Uint8Array(64);
  let targeted = new Uint8Array(64);
  // Labels inserted around frames 1..k (cumulative), and where a loop's header cost slot is (-1: not wrapped).
  let wrapped = new Int32Array(64);
  let headerSlot = new Int32Array(64);
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
      const w = new Int32Array(wrapped.length * 2);
      w.set(wrapped);
      wrapped = w;
      const h = new Int32Array(headerSlot.length * 2);
      h.set(headerSlot);
      headerSlot = h;
    }
    kinds[sp] = kind;
    targeted[sp] = 0;
    wrapped[sp] = wrapped[sp - 1]!;
    headerSlot[sp] = -1;
  };
  /** The label `l` (relative to the current frame) in the output, past the inserted labels. */
  const relabel = (l: number): number => (l <= sp ? l + wrapped[sp]! - wrapped[sp - l]! : l);
  // Segments suspended by if/else, loop and try frames (5 numbers per frame): the code after such a
  // construct runs exactly when the code before it did (unless it was left by a branch), so unless its end
  // is a branch target, that code is charged with the segment before the construct.
  let saved: number[] = [];

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
  const open = (at: number, check: boolean, template?: Uint8Array): void => {
    flushCopy(at);
    segStart = out.pos;
    out.bytes(template ?? (check ? checked : plain));
    segSlot = segStart + slotOffset;
    segEnd = out.pos;
    segCheck = check;
    cost = 0;
  };
  const save = (): void => {
    const i = sp * 5;
    saved[i] = segStart;
    saved[i + 1] = segSlot;
    saved[i + 2] = segEnd;
    saved[i + 3] = segCheck ? 1 : 0;
    saved[i + 4] = cost;
  };
  const restore = (): void => {
    const i = sp * 5;
    segStart = saved[i]!;
    segSlot = saved[i + 1]!;
    segEnd = saved[i + 2]!;
    segCheck = saved[i + 3] === 1;
    cost = saved[i + 4]!;
  };
  /** At the end of a frame that suspended a segment: continue it, or (end is a branch target) close it and start anew. */
  const resume = (branchTarget: boolean): void => {
    close();
    restore();
    if (branchTarget) {
      close();
      open(c.pos, false);
    }
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
    out.bytes(get);
    out.byte(0x20); // local.get T
    out.u32(T);
    out.byte(0xad); // i64.extend_i32_u
    if (shift > 0) {
      out.byte(0x42);
      out.byte(shift);
      out.byte(left ? 0x86 : 0x88); // i64.shl / i64.shr_u
    }
    out.byte(0x7d);
    out.bytes(set);
    writeCheck();
  };

  /** Local mode: store the counter before `at` (a call or an exit). */
  const flushAt = (at: number): void => {
    if (!localMode) return;
    flushCopy(at);
    out.bytes(flush);
  };
  /** Local mode: reload the counter after the instruction ending at c.pos (a call). */
  const reloadHere = (): void => {
    if (!localMode) return;
    flushCopy(c.pos);
    out.bytes(reload);
  };
  const isExit = (label: number): boolean => label === sp;

  if (localMode) out.bytes(reload);
  open(c.pos, true);
  // A leaf (no calls, no loops) always ends, and its callers' checks see what it used: its entry check is
  // turned into nops at the end.
  const entryCheck = segEnd - check.length;
  const entryCheckEnd = segEnd;
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
      case 0x03: {
        // loop. In local mode a loop without parameters becomes
        //   block (result of the loop) loop (the same) block loop* fuel -= cost; br_if 1 (fuel < 0) ... end br 2 end
        //   fuel = host(fuel) + cost; br 0 end end
        // so the host call (which V8 must plan registers around) is outside the loop itself.
        callsOrLoops = true;
        const bt = c.pos;
        const b = buf[bt]!;
        c.skipBlockType();
        const wrap = localMode && b >= 0x40 && b < 0x80;
        if (wrap) {
          flushCopy(at);
          out.byte(0x02);
          out.bytes(buf, bt, c.pos);
          out.byte(0x03);
          out.bytes(buf, bt, c.pos);
          out.byte(0x02);
          out.byte(0x40);
        }
        push(LOOP);
        save();
        if (wrap) {
          wrapped[sp] = wrapped[sp - 1]! + 3;
          open(c.pos, true, loopChecked);
          headerSlot[sp] = segSlot;
        } else open(c.pos, true);
        cost = 1;
        continue;
      }
      case 0x04: // if
        c.skipBlockType();
        cost++;
        push(IF);
        save();
        open(c.pos, false);
        continue;
      case 0x05: // else
        if (kinds[sp] !== IF) c.fail('else without if', at);
        close();
        open(c.pos, false);
        kinds[sp] = ELSE;
        continue;
      case 0x06: // try
        if (localMode) return RETRY_GLOBAL;
        c.skipBlockType();
        cost++;
        push(TRY);
        save();
        open(c.pos, false);
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
        resume(targeted[sp] === 1);
        sp--;
        continue;
      case 0x1f: {
        // try_table: catch clauses branch to labels of the enclosing context
        if (localMode) return RETRY_GLOBAL;
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
          if (!callsOrLoops) out.buf.fill(0x01, entryCheck, entryCheckEnd);
          close();
          flushAt(at);
          flushCopy(c.pos);
          return DONE;
        }
        if (kind === BLOCK || kind === TRY_TABLE) {
          // reached by falling through, and by branches only if targeted
          if (wasTargeted) {
            close();
            open(c.pos, false);
          }
        } else {
          // a loop's label is its header: its end is only ever reached by falling through
          resume(kind !== LOOP && wasTargeted);
          const hs = headerSlot[sp]!;
          if (hs >= 0) {
            // (the header's segment is closed by now: its cost is in place)
            flushCopy(c.pos);
            out.bytes(refillHead);
            out.bytes(out.buf.slice(hs, hs + 5));
            out.bytes(refillTail);
          }
        }
        sp--;
        continue;
      }
      case 0x0c: // br
      case 0x0d: // br_if
      case 0xd5: // br_on_null
      case 0xd6: {
        // br_on_non_null
        const l = c.u32();
        mark(l);
        if (isExit(l)) flushAt(at);
        cost++;
        const nl = relabel(l);
        if (nl !== l) {
          flushCopy(at);
          out.byte(op);
          out.u32(nl);
          copyFrom = c.pos;
        }
        continue;
      }
      case 0x0e: {
        // br_table
        const n = c.u32();
        let exits = false;
        let moved = false;
        const first = c.pos;
        for (let i = 0; i <= n; i++) {
          const l = c.u32();
          mark(l);
          exits ||= isExit(l);
          moved ||= relabel(l) !== l;
        }
        if (exits) flushAt(at);
        cost++;
        if (moved) {
          flushCopy(at);
          out.byte(op);
          out.u32(n);
          const end = c.pos;
          c.pos = first;
          for (let i = 0; i <= n; i++) out.u32(relabel(c.u32()));
          c.pos = end;
          copyFrom = end;
        }
        continue;
      }
      case 0x0f: // return
      case 0x08: // throw
      case 0x09: // rethrow
      case 0x0a: // throw_ref
        if (op !== 0x0f && op !== 0x0a) c.skipLeb(5);
        flushAt(at);
        cost++;
        continue;
      case 0x11: // call_indirect
      case 0x13: // return_call_indirect
      case 0x14: // call_ref
      case 0x15: // return_call_ref
        callsOrLoops = true;
        flushAt(at);
        c.skipLeb(5);
        if (op === 0x11 || op === 0x13) c.skipLeb(5);
        cost++;
        if (op === 0x11 || op === 0x14) reloadHere();
        continue;
      case 0x10: // call
      case 0x12: // return_call
      case 0xd2: {
        // ref.func
        if (op !== 0xd2) {
          callsOrLoops = true;
          flushAt(at);
        }
        const fi = c.u32();
        cost++;
        if (fi >= ctx.importedFuncs) {
          // written anew (an offset inside it maps to the instruction's start)
          flushCopy(at);
          out.byte(op);
          out.u32(fi + 1);
          copyFrom = c.pos;
        }
        if (op === 0x10) reloadHere();
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
