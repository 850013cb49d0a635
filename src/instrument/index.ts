// instrument(): rewrites a module's bytecode so a host can bound it: fuel metering (a deterministic instruction
// budget counted in a module-defined i64 global, refilled by an imported host function when it goes negative)
// and caps on linear memory and table sizes. Byte-level: sections and bodies are copied except where rewritten.
//
// Fuel scheme: every instruction costs 1 (end/else/catch cost 0); bulk operations also cost n/16 per byte
// (memory.fill/copy/init), 1 per element (table.fill/copy/init/grow) and 4096 per page (memory.grow), taken
// from their length operand at run time (an i64 one on 64-bit memories and tables, clamped to 2^62 units);
// GC allocations 1 per element or field (array.new*, array.fill/copy/init_*: at run time; array.new_fixed,
// struct.new: statically, see body.ts). A basic block's cost is charged where it starts: at function entry,
// after loop/catch, and after an `end` that control can reach other than by falling through; an if's arms are
// charged with the block the if is in (the larger arm: an arm runs at most once per run of that block, since
// only loop headers are branched back to). Entries of functions that call, loop headers and bulk operations
// then check `fuel < 0` and call the host, so any unbounded execution keeps calling the host (at loop headers
// through a `br_if` to a refill placed after the loop, which re-enters it: no call inside the loop itself, so V8
// need not plan around one). The inserted code calls the import through a refill function appended to the
// module's own (a direct call: nothing of the import's for V8 to load and keep around loops). Branches out of a block, and the smaller arm of an if, may leave cost charged but
// not run (deterministic: the same execution is always charged the same; never less than what ran). In local
// mode a block's code after a targeted end may be charged in advance with the segment before it (body.ts,
// "merged segments"), an unconditional branch that skips it refunding it: every path pays what it would pay
// with the code charged where it starts, in fewer counter updates.

import { WardenError } from '../errors.js';
import { BinaryError } from '../binary/module.js';
import { Cursor, Out } from './bytes.js';
import { BodyRewriter, copyConstExpr, OffsetMap, PENDING, PUBLIC, referenceFunc, VARIANT, type BodyContext, type ConstAlloc } from './body.js';

export interface InstrumentOptions {
  /** Insert fuel metering (default true). */
  fuel?: boolean;
  /** Cap on all linear memory together, in bytes (rounded down to whole 64 KiB pages). */
  memoryBytes?: number;
  /** Cap on the number of elements of each table. */
  tableElements?: number;
}

/** What the host must supply to run the rewritten module. */
export interface InstrumentRequires {
  /**
   * Fuel metering: the import the module calls with the (negative) counter when it runs out, which
   * returns the new counter value (or throws to stop the guest), and the export name of the counter
   * global (mutable i64: the fuel left; fuel used = fuel given - value).
   */
  fuel: { module: string; name: string; signature: '(i64) -> i64'; global: string } | null;
  /** Export name of each memory (imported ones first), so the host can read sizes. */
  memories: string[];
  /** Total initial size of all linear memories, in bytes. */
  initialMemoryBytes: number;
  /** The caps that were applied (null when none was asked). */
  memoryCapBytes: number | null;
  tableCapElements: number | null;
  /** The module's own function indices from this one on are one higher in the rewritten module. */
  shiftedFunctionsFrom: number | null;
  /** Its code allocates GC objects (in V8's heap, not in linear memory): see LimitMeter.watchHeap. */
  gcAllocates: boolean;
}

export interface Instrumented {
  bytes: Uint8Array;
  requires: InstrumentRequires;
  /** Maps a location in the rewritten module (function index, byte offset) back to the original module. */
  original(funcIndex: number, offset: number): { funcIndex: number; offset: number };
}

export const FUEL_IMPORT = { module: 'warden', name: 'fuel' } as const;
const PAGE = 65536;
/** Parameter and result counts below this can take the counter of a register variant (V8 allows 1000). */
const MAX_SIGNATURE = 999;

/**
 * instrument()'s output buffer, kept from one call to the next (up to SCRATCH_KEEP bytes): a fresh large
 * buffer per call costs zeroing, page faults and the garbage collections V8 starts for external memory.
 */
let scratch: Uint8Array | undefined;
const SCRATCH_KEEP = 16 << 20;

interface Section {
  id: number;
  start: number;
  end: number;
}

interface LimitsAt {
  flags: number;
  min: number;
  max: number | null;
}

function readLimits(c: Cursor, what: string): LimitsAt {
  const at = c.pos;
  const flags = c.byte();
  if (flags > 0x07) c.fail(`bad limits flags 0x${flags.toString(16)}`, at);
  // 64-bit memories and tables (memory64, table64) have u64 limits
  const min = flags & 4 ? c.u64() : c.u32();
  const max = flags & 1 ? (flags & 4 ? c.u64() : c.u32()) : null;
  // (checked here since the caps rewrite limits: a bad maximum must not be replaced by a good one)
  if (max !== null && max < min) c.fail(`${what} maximum below its minimum`, at);
  if (what === 'memory' && !(flags & 4) && (min > 65536 || (max ?? 0) > 65536)) c.fail('memory size above 65536 pages', at);
  if (what === 'memory' && flags & 4 && (min > 2 ** 48 || (max ?? 0) > 2 ** 48)) c.fail('memory size above 2^48 pages', at);
  if (flags & 2 && max === null) c.fail(`shared ${what} without a maximum`, at);
  return { flags, min, max };
}

/** A rewritten section must be read to its end exactly (entries past its count are malformed, not dropped). */
function atEnd(c: Cursor, s: Section): void {
  if (c.pos !== s.end) c.fail(`section ${s.id} size mismatch`, c.pos);
}

/** Bytes of the unsigned LEB128 of `v`. */
function lebLength(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeLimits(out: Out, l: LimitsAt): void {
  out.byte(l.flags);
  out.u32(l.min); // (a LEB128 either way: u32 or, with flag 4, u64 limits)
  if (l.max !== null) out.u32(l.max);
}

/** Bytes of a GC field of each storage type (i8, i16, i32, i64, f32, f64, v128); references count 8. */
const FIELD_BYTES: Record<number, number> = { 0x78: 1, 0x77: 2, 0x7f: 4, 0x7e: 8, 0x7d: 4, 0x7c: 8, 0x7b: 16 };

/**
 * Reads the param count of every type (flattening rec groups); -1 for struct/array types. With `types`, type
 * indices used in the definitions must be below it (the refill type appended would make one past the end valid).
 * `fields` gets each type's struct field count (-1: not a struct), `sizes` the bytes of one struct of it, or
 * of one element of an array type (0 for a function type), `sigs` 4 numbers per type: where a function type's
 * parameter and result types are ([start, end) each, after their counts; -1 for struct/array types).
 */
function readTypes(c: Cursor, types = Infinity, fields: number[] = [], sizes: number[] = [], sigs: number[] = []): number[] {
  const counts: number[] = [];
  const fieldType = (): number => {
    const at = c.pos;
    const b = c.buf[c.pos]!;
    if (b === 0x78 || b === 0x77) c.pos++;
    else c.skipValType(types);
    if (c.byte() > 1) c.fail('bad mutability', at);
    return FIELD_BYTES[b] ?? 8;
  };
  const subType = (): void => {
    const at = c.pos;
    let b = c.byte();
    if (b === 0x50 || b === 0x4f) {
      const n = c.u32();
      for (let i = 0; i < n; i++) if (c.u32() >= types) c.fail('unknown type', at);
      b = c.byte();
    }
    if (b === 0x60) {
      const np = c.u32();
      const ps = c.pos;
      for (let i = 0; i < np; i++) c.skipValType(types);
      const pe = c.pos;
      const nr = c.u32();
      const rs = c.pos;
      for (let i = 0; i < nr; i++) c.skipValType(types);
      sigs.push(ps, pe, rs, c.pos);
      counts.push(np);
      fields.push(-1);
      sizes.push(0);
    } else if (b === 0x5f) {
      const n = c.u32();
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += fieldType();
      counts.push(-1);
      fields.push(n);
      sizes.push(bytes);
      sigs.push(-1, -1, -1, -1);
    } else if (b === 0x5e) {
      sizes.push(fieldType());
      counts.push(-1);
      fields.push(-1);
      sigs.push(-1, -1, -1, -1);
    } else c.unsupported(`type form 0x${b.toString(16)}`, at);
  };
  const n = c.u32();
  for (let i = 0; i < n; i++) {
    if (c.buf[c.pos] === 0x4e) {
      c.pos++;
      const m = c.u32();
      for (let j = 0; j < m; j++) subType();
    } else subType();
  }
  return counts;
}

/** Sections the rewrite may have to add when the module has none (types, imports, globals, exports). */
const ADDED_SECTIONS = [1, 2, 6, 7] as const;

/** Section order rank (custom sections excluded). */
const RANK: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

/** Rewrites `bytes` (a valid module) for metering and caps. Throws BinaryError ('invalid-module') or WardenError('memory'). */
export function instrument(input: Uint8Array, options: InstrumentOptions = {}): Instrumented {
  // A plain Uint8Array view (a Buffer's subarray() is much slower).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const fuel = options.fuel !== false;
  const memCap = options.memoryBytes;
  const tableCap = options.tableElements;
  if (memCap !== undefined && !(Number.isSafeInteger(memCap) && memCap >= 0)) {
    throw new WardenError('config', 'memoryBytes must be a non-negative integer');
  }
  if (tableCap !== undefined && !(Number.isSafeInteger(tableCap) && tableCap >= 0)) {
    throw new WardenError('config', 'tableElements must be a non-negative integer');
  }
  // (a cap beyond 4 GiB binds only when the module has a 64-bit memory; 32-bit memories stay below 65536 pages each)
  let capPages = memCap === undefined ? null : Math.min(Math.floor(memCap / PAGE), 65536);

  const c = new Cursor(bytes);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new BinaryError('not a WebAssembly module', 0);
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new BinaryError('unsupported version', 4);

  // Pass 1: section ranges and the counts the rewrite needs.
  const sections: Section[] = [];
  c.pos = 8;
  let lastRank = 0;
  while (c.pos < bytes.length) {
    const idAt = c.pos;
    const id = c.byte();
    const size = c.u32();
    const start = c.pos;
    if (size > bytes.length - start) c.fail(`section ${id} runs past the end of the module`, idAt);
    if (id !== 0) {
      const rank = RANK[id];
      if (rank === undefined) c.fail(`unknown section id ${id}`, idAt);
      if (rank <= lastRank) c.fail(`section ${id} out of order`, idAt);
      lastRank = rank;
    }
    sections.push({ id, start, end: start + size });
    c.pos = start + size;
  }
  const find = (id: number): Section | undefined => sections.find((s) => s.id === id);

  let paramCounts: number[] = [];
  const structFields: number[] = [];
  const typeBytes: number[] = [];
  const sigs: number[] = [];
  const typeSec = find(1);
  if (typeSec) {
    paramCounts = readTypes(new Cursor(bytes, typeSec.start, typeSec.end), Infinity, structFields, typeBytes, sigs);
    // type definitions that may use type indices (typed references, supertypes): check them against the count
    for (let i = typeSec.start; i < typeSec.end; i++) {
      const b = bytes[i];
      if (b === 0x63 || b === 0x64 || b === 0x50 || b === 0x4f) {
        readTypes(new Cursor(bytes, typeSec.start, typeSec.end), paramCounts.length);
        break;
      }
    }
  }

  let importedFuncs = 0;
  let importedGlobals = 0;
  const importedMemories: LimitsAt[] = [];
  let importedTables = 0;
  /** Whether each table (imported ones first) is 64-bit (table64: i64 indices and lengths). */
  const tables64: boolean[] = [];
  let importCount = 0;
  const importSec = find(2);
  if (importSec) {
    const ic = new Cursor(bytes, importSec.start, importSec.end);
    importCount = ic.u32();
    for (let i = 0; i < importCount; i++) {
      const at0 = ic.pos;
      const mod = ic.name();
      const field = ic.name();
      if (fuel && mod === FUEL_IMPORT.module && field === FUEL_IMPORT.name) {
        ic.unsupported(`import "${mod}" "${field}" (reserved for the fuel meter)`, at0);
      }
      const at = ic.pos;
      const kind = ic.byte();
      if (kind === 0) {
        if (ic.u32() >= paramCounts.length) ic.fail('unknown type', at);
        importedFuncs++;
      } else if (kind === 1) {
        ic.skipValType(paramCounts.length);
        tables64.push((readLimits(ic, 'table').flags & 4) !== 0);
        importedTables++;
      } else if (kind === 2) importedMemories.push(readLimits(ic, 'memory'));
      else if (kind === 3) {
        ic.skipValType(paramCounts.length);
        ic.byte();
        importedGlobals++;
      } else if (kind === 4) {
        ic.byte();
        ic.u32();
      } else ic.fail(`bad import kind ${kind}`, at);
    }
  }

  const funcTypes: number[] = [];
  const funcSec = find(3);
  if (funcSec) {
    const fc = new Cursor(bytes, funcSec.start, funcSec.end);
    const n = fc.u32();
    for (let i = 0; i < n; i++) funcTypes.push(fc.u32());
    atEnd(fc, funcSec);
  }

  // Register variants: a defined function that is only ever called directly (not exported, not the start
  // function, not referenced by an element segment or initialiser, never tail-called or called from a
  // global-mode function) and has no calls itself is rewritten with the counter as an extra last parameter
  // and result (its type becomes a variant of its type, appended to the type section), and local-mode callers
  // pass their counter in a register instead of storing it to the global before the call and loading it after.
  // Every function starts PENDING; the sections before the code section make the ones they reference PUBLIC
  // (the function section reserves a 5-byte type index for each PENDING one, patched after the code section).
  const variants = fuel && funcTypes.length > 0 ? new Uint8Array(funcTypes.length).fill(PENDING) : undefined;
  /** Per type index: the index of its variant type, -1 if none (not a function type, or too many parameters or results). */
  const variantType: number[] = [];
  const variantOf: number[] = []; // type indices with a variant type, in order
  if (variants) {
    for (let i = 0; i < funcTypes.length; i++) {
      const t = funcTypes[i]!;
      if (t >= paramCounts.length) {
        variants[i] = PUBLIC; // (refused by the rewrite)
        continue;
      }
      if (variantType[t] === undefined) {
        const np = paramCounts[t]!;
        const nr = np >= 0 ? new Cursor(bytes, sigs[4 * t + 1]!, sigs[4 * t + 2]!).u32() : -1;
        // (V8 takes at most 1000 parameters and 1000 results)
        variantType[t] = np >= 0 && np < MAX_SIGNATURE && nr < MAX_SIGNATURE ? paramCounts.length + 1 + variantOf.push(t) - 1 : -1;
      }
      if (variantType[t]! < 0) variants[i] = PUBLIC;
    }
  }
  /** Output positions of the function section's type index of each function PENDING when it was written. */
  const typeSlots: number[] = [];
  // The refill function (with variants, i.e. with fuel and defined functions): a defined function appended after
  // the module's own, `(i64) -> i64 { local.get 0; call <fuel import> }`, which the inserted code calls instead
  // of the import: a direct call needs no import target or instance loaded from the instance (V8 hoists those
  // loads out of loops, into registers or stack slots every loop entry pays for). A function index of the
  // input at or past its own count would name it, so every function index read is checked (checkFuncIndex, referenceFunc in body.ts).
  const refillFunc = variants ? importedFuncs + 1 + funcTypes.length : -1;

  const memories: LimitsAt[] = [...importedMemories];
  const memSec = find(5);
  if (memSec) {
    const mc = new Cursor(bytes, memSec.start, memSec.end);
    const n = mc.u32();
    for (let i = 0; i < n; i++) memories.push(readLimits(mc, 'memory'));
  }
  // (built by a loop, not map()/includes(): an array whose elements kind differs from call to call (empty or
  // not) made V8 deoptimise instrument() again and again)
  const memories64: boolean[] = [];
  let anyMemory64 = false;
  for (const m of memories) {
    memories64.push((m.flags & 4) !== 0);
    anyMemory64 ||= (m.flags & 4) !== 0;
  }
  if (memCap !== undefined && anyMemory64) capPages = Math.min(Math.floor(memCap / PAGE), 2 ** 48);
  const tableSec = find(4);
  let tableInits = false;
  if (tableSec) {
    const tc = new Cursor(bytes, tableSec.start, tableSec.end);
    const n = tc.u32();
    for (let i = 0; i < n; i++) {
      const withInit = bytes[tc.pos] === 0x40;
      tableInits ||= withInit;
      if (withInit) tc.skip(2);
      tc.skipValType(paramCounts.length);
      tables64.push((readLimits(tc, 'table').flags & 4) !== 0);
      if (withInit) copyConstExpr(tc, new Out(16), 0, paramCounts.length);
    }
  }
  const initialPages = memories.reduce((a, m) => a + m.min, 0);
  // GC objects of constant expressions (created at instantiation: no fuel is charged for them) count against the memory cap
  const constAlloc: ConstAlloc | undefined = capPages === null ? undefined : { typeBytes, bytes: 0 };
  if (capPages !== null && initialPages > capPages) {
    throw new WardenError(
      'memory',
      `memory limit: the module's initial memory is ${initialPages * PAGE} bytes, above the limit of ${capPages * PAGE} bytes`,
      { initialBytes: initialPages * PAGE, limitBytes: capPages * PAGE },
    );
  }

  let definedGlobals = 0;
  const globalSec = find(6);
  if (globalSec) definedGlobals = new Cursor(bytes, globalSec.start, globalSec.end).u32();

  const exportNames = new Set<string>();
  const exportSec = find(7);
  if (exportSec) {
    const ec = new Cursor(bytes, exportSec.start, exportSec.end);
    const n = ec.u32();
    for (let i = 0; i < n; i++) {
      exportNames.add(ec.name());
      ec.byte();
      ec.u32();
    }
  }
  const freshName = (base: string): string => {
    let name = base;
    for (let i = 1; exportNames.has(name); i++) name = `${base}_${i}`;
    exportNames.add(name);
    return name;
  };
  const fuelGlobalName = fuel ? freshName('__warden_fuel') : '';
  const memoryNames = memories.map((_, i) => freshName(`__warden_memory${i}`));

  const fuelType = paramCounts.length;
  const sites = { data: [] as number[] };
  const resultCounts = paramCounts.map((np, t) => (np < 0 ? -1 : new Cursor(bytes, sigs[4 * t + 1]!, sigs[4 * t + 2]!).u32()));
  const ctx: BodyContext = {
    importedFuncs,
    fuelGlobal: importedGlobals + definedGlobals,
    fuelFunc: refillFunc >= 0 ? refillFunc : importedFuncs,
    paramCounts,
    growCheck: capPages !== null && (memories.length > 1 || importedMemories.length > 0) ? { memories: memories.length, capPages } : null,
    memories64,
    tables64,
    structFields,
    tableGrowCheck: tableCap !== undefined && importedTables > 0 ? { imported: importedTables, cap: tableCap } : null,
    map: new OffsetMap(),
    variants,
    sites,
    resultCounts,
    funcTypes,
  };
  const shift = fuel ? importedFuncs : Number.MAX_SAFE_INTEGER;
  let gcAllocates = false;
  const shiftFn = (f: number): number => (f >= shift ? f + 1 : f);

  // Pass 2: write the rewritten module.
  // Sized for the usual growth (inserted code is about half the code section; more for tiny functions): an
  // oversized buffer costs page faults and zeroing, and Out grows if this is short.
  const codeSec = find(10);
  const out = new Out(bytes.length + (codeSec ? codeSec.end - codeSec.start : 0) + 256, scratch);
  scratch = undefined; // (not shared with a nested call, should one ever happen)
  out.bytes(bytes, 0, 8);
  const section = (id: number, body: () => void): void => {
    out.byte(id);
    const slot = out.reserve5();
    body();
    out.patch5(slot, out.pos - slot - 5);
  };
  const raw = (s: Section): void => {
    out.byte(s.id);
    out.u32(s.end - s.start);
    out.bytes(bytes, s.start, s.end);
  };

  const writers: Record<number, ((s: Section | undefined) => void) | undefined> = {
    1: fuel
      ? (s) =>
          section(1, () => {
            const sc = s ? new Cursor(bytes, s.start, s.end) : null;
            const n = sc ? sc.u32() : 0;
            out.u32(n + 1 + variantOf.length);
            if (sc && s) out.bytes(bytes, sc.pos, s.end);
            out.bytes(new Uint8Array([0x60, 1, 0x7e, 1, 0x7e]));
            for (const t of variantOf) {
              // (params, i64) -> (results, i64)
              out.byte(0x60);
              out.u32(paramCounts[t]! + 1);
              out.bytes(bytes, sigs[4 * t]!, sigs[4 * t + 1]!);
              out.byte(0x7e);
              out.u32(new Cursor(bytes, sigs[4 * t + 1]!, sigs[4 * t + 2]!).u32() + 1);
              out.bytes(bytes, sigs[4 * t + 2]!, sigs[4 * t + 3]!);
              out.byte(0x7e);
            }
          })
      : undefined,
    2: fuel
      ? (s) =>
          section(2, () => {
            const sc = s ? new Cursor(bytes, s.start, s.end) : null;
            out.u32(importCount + 1);
            if (sc && s) {
              sc.u32();
              out.bytes(bytes, sc.pos, s.end);
            }
            out.name(FUEL_IMPORT.module);
            out.name(FUEL_IMPORT.name);
            out.byte(0);
            out.u32(fuelType);
          })
      : undefined,
    3: variants
      ? () =>
          section(3, () => {
            out.u32(funcTypes.length + 1);
            for (let i = 0; i < funcTypes.length; i++) {
              if (variants[i] === PENDING) {
                typeSlots[i] = out.reserve5();
                out.patch5(typeSlots[i]!, funcTypes[i]!);
              } else out.u32(funcTypes[i]!);
            }
            out.u32(fuelType); // the refill function
          })
      : undefined,
    // (with fuel also without a cap when a table has an initialiser: it may hold a ref.func to renumber)
    4:
      tableCap === undefined && !(fuel && tableInits)
        ? undefined
        : (s) =>
            section(4, () => {
              const tc = new Cursor(bytes, s!.start, s!.end);
              const n = tc.u32();
              out.u32(n);
              for (let i = 0; i < n; i++) {
                const from = tc.pos;
                const withInit = bytes[tc.pos] === 0x40;
                if (withInit) tc.skip(2);
                tc.skipValType(paramCounts.length);
                out.bytes(bytes, from, tc.pos);
                const limitsAt = tc.pos;
                const l = readLimits(tc, 'table');
                if (tableCap === undefined) {
                  out.bytes(bytes, limitsAt, tc.pos); // (as they are)
                  if (withInit) copyConstExpr(tc, out, shift, paramCounts.length, constAlloc, variants);
                  continue;
                }
                if (l.min > tableCap) {
                  throw new WardenError('memory', `table limit: table ${importedTables + i} has ${l.min} initial elements, above the limit of ${tableCap}`, {
                    initialElements: l.min,
                    limitElements: tableCap,
                  });
                }
                writeLimits(out, { flags: l.flags | 1, min: l.min, max: Math.min(l.max ?? tableCap, tableCap) });
                if (withInit) copyConstExpr(tc, out, shift, paramCounts.length, constAlloc, variants);
              }
              atEnd(tc, s!);
            }),
    5:
      capPages === null
        ? undefined
        : (s) =>
            section(5, () => {
              const mc = new Cursor(bytes, s!.start, s!.end);
              const n = mc.u32();
              out.u32(n);
              for (let i = 0; i < n; i++) {
                const l = readLimits(mc, 'memory');
                const cap = l.flags & 4 ? capPages : Math.min(capPages, 65536);
                writeLimits(out, { flags: l.flags | 1, min: l.min, max: Math.min(l.max ?? cap, cap) });
              }
              atEnd(mc, s!);
            }),
    6: fuel
      ? (s) =>
          section(6, () => {
            out.u32(definedGlobals + 1);
            if (s) {
              const gc = new Cursor(bytes, s.start, s.end);
              gc.u32();
              for (let i = 0; i < definedGlobals; i++) {
                const from = gc.pos;
                gc.skipValType(paramCounts.length);
                gc.byte();
                out.bytes(bytes, from, gc.pos);
                copyConstExpr(gc, out, shift, paramCounts.length, constAlloc, variants);
              }
              atEnd(gc, s);
            }
            out.bytes(new Uint8Array([0x7e, 0x01, 0x42, 0x00, 0x0b]));
          })
      : undefined,
    7: (s) =>
      section(7, () => {
        const ec = s ? new Cursor(bytes, s.start, s.end) : null;
        const n = ec ? ec.u32() : 0;
        out.u32(n + (fuel ? 1 : 0) + memories.length);
        for (let i = 0; i < n; i++) {
          const from = ec!.pos;
          ec!.name();
          const kind = ec!.byte();
          out.bytes(bytes, from, ec!.pos);
          const index = ec!.u32();
          if (kind === 3 && index >= ctx.fuelGlobal) ec!.fail('unknown global', from);
          if (kind === 0) referenceFunc(ec!, index, from, importedFuncs, variants);
          out.u32(kind === 0 ? shiftFn(index) : index);
        }
        if (ec) atEnd(ec, s!);
        if (fuel) {
          out.name(fuelGlobalName);
          out.byte(3);
          out.u32(ctx.fuelGlobal);
        }
        memoryNames.forEach((name, i) => {
          out.name(name);
          out.byte(2);
          out.u32(i);
        });
      }),
    8: fuel
      ? (s) =>
          section(8, () => {
            const sc = new Cursor(bytes, s!.start, s!.end);
            const start = sc.u32();
            referenceFunc(sc, start, s!.start, importedFuncs, variants);
            out.u32(shiftFn(start));
            atEnd(sc, s!);
          })
      : undefined,
    9: fuel
      ? (s) =>
          section(9, () => {
            const ec = new Cursor(bytes, s!.start, s!.end);
            const n = ec.u32();
            out.u32(n);
            for (let i = 0; i < n; i++) {
              const at = ec.pos;
              const flags = ec.u32();
              if (flags > 7) ec.fail(`bad element segment flags ${flags}`, at);
              out.u32(flags);
              const from = ec.pos;
              if ((flags & 3) === 2) ec.u32(); // table index
              out.bytes(bytes, from, ec.pos);
              if ((flags & 1) === 0) copyConstExpr(ec, out, shift, paramCounts.length); // active: offset
              if (flags & 3) {
                // elemkind byte or reference type
                const t = ec.pos;
                if (flags & 4) ec.skipValType(paramCounts.length);
                else ec.byte();
                out.bytes(bytes, t, ec.pos);
              }
              const count = ec.u32();
              out.u32(count);
              for (let j = 0; j < count; j++) {
                if (flags & 4) copyConstExpr(ec, out, shift, paramCounts.length, constAlloc, variants);
                else {
                  const fAt = ec.pos;
                  const f = ec.u32();
                  referenceFunc(ec, f, fAt, importedFuncs, variants);
                  out.u32(shiftFn(f));
                }
              }
            }
            atEnd(ec, s!);
          })
      : undefined,
    10: fuel
      ? (s) =>
          section(10, () => {
            const cc = new Cursor(bytes, s!.start, s!.end);
            const n = cc.u32();
            if (n !== funcTypes.length) cc.fail('function and code section counts differ', s!.start);
            out.u32(variants ? n + 1 : n);
            const rewriter = BodyRewriter.for(ctx);
            const body = new Cursor(bytes);
            for (let i = 0; i < n; i++) {
              const size = cc.u32();
              const start = cc.pos;
              if (size > s!.end - start) cc.fail('function body runs past the code section', start);
              const slot = out.reserve5();
              body.pos = start;
              body.end = start + size;
              rewriter.rewrite(body, out, funcTypes[i]!, variants ? i : -1);
              out.patch5(slot, out.pos - slot - 5);
              cc.pos = start + size;
            }
            atEnd(cc, s!);
            if (variants) {
              // the refill function: size, no locals, local.get 0, call <fuel import>, end
              out.u32(5 + lebLength(importedFuncs));
              out.bytes(new Uint8Array([0x00, 0x20, 0x00, 0x10]));
              out.u32(importedFuncs);
              out.byte(0x0b);
            }
            gcAllocates = rewriter.allocates;
            rewriter.release();
            if (variants) {
              // calls to functions that became variants after the call was written: no store before it, no load after
              const d = sites.data;
              const g = 1 + lebLength(ctx.fuelGlobal);
              for (let k = 0; k < d.length; k += 3) {
                if (variants[d[k]!] !== VARIANT) continue;
                out.buf.fill(0x01, d[k + 1]!, d[k + 1]! + g);
                out.buf.fill(0x01, d[k + 2]!, d[k + 2]! + g);
              }
              for (let i = 0; i < variants.length; i++) if (variants[i] === VARIANT) out.patch5(typeSlots[i]!, variantType[funcTypes[i]!]!);
            }
          })
      : undefined,
  };

  // Oversized data: an active segment placed (by a constant offset) beyond the cap.
  const dataSec = find(11);
  if (dataSec && capPages !== null) {
    const dc = new Cursor(bytes, dataSec.start, dataSec.end);
    const n = dc.u32();
    for (let i = 0; i < n; i++) {
      const flags = dc.u32();
      if (flags === 1) {
        dc.skip(dc.u32());
        continue;
      }
      if (flags === 2) dc.u32();
      let offset: number | null = null;
      if (bytes[dc.pos] === 0x41) {
        dc.pos++;
        offset = dc.sleb() >>> 0;
        if (bytes[dc.pos] !== 0x0b) offset = null;
      } else if (bytes[dc.pos] === 0x42) {
        // a 64-bit memory's offset (unsigned: a negative i64 is beyond any cap)
        dc.pos++;
        offset = dc.sleb();
        if (offset < 0) offset += 2 ** 64;
        if (bytes[dc.pos] !== 0x0b) offset = null;
      }
      copyConstExpr(dc, new Out(16), shift, paramCounts.length);
      const len = dc.u32();
      dc.skip(len);
      if (offset !== null && offset + len > capPages * PAGE) {
        throw new WardenError(
          'memory',
          `memory limit: data segment ${i} ends at byte ${offset + len}, beyond the limit of ${capPages * PAGE} bytes`,
          { segment: i, endByte: offset + len, limitBytes: capPages * PAGE },
        );
      }
    }
  }

  const done = new Set<number>();
  const present = new Set(sections.map((s) => s.id));
  const emitMissingBefore = (rank: number): void => {
    for (const id of ADDED_SECTIONS) {
      if (!done.has(id) && RANK[id]! < rank && writers[id] && !present.has(id)) {
        writers[id]!(undefined);
        done.add(id);
      }
    }
  };
  for (const s of sections) {
    if (s.id === 0) {
      const nc = new Cursor(bytes, s.start, s.end);
      const name = nc.name();
      if (name === 'name' && fuel) {
        // (a register variant's locals are one higher from its parameter count on)
        const localShift = variants?.includes(VARIANT)
          ? (f: number): number => {
              const d = f - importedFuncs;
              return d >= 0 && variants[d] === VARIANT ? paramCounts[funcTypes[d]!]! : -1;
            }
          : null;
        const rewritten = rewriteNames(bytes, nc.pos, s.end, shift, localShift);
        if (rewritten) {
          section(0, () => {
            out.name('name');
            out.bytes(rewritten);
          });
        }
        continue;
      }
      raw(s);
      continue;
    }
    emitMissingBefore(RANK[s.id]!);
    const w = writers[s.id];
    if (w) w(s);
    else raw(s);
    done.add(s.id);
  }
  emitMissingBefore(100);
  ctx.map.trim();
  if (constAlloc && capPages !== null && constAlloc.bytes > 0 && initialPages * PAGE + constAlloc.bytes > capPages * PAGE) {
    throw new WardenError(
      'memory',
      `memory limit: the module's constant expressions create ${constAlloc.bytes} bytes of GC objects at instantiation, which with its initial memory of ${initialPages * PAGE} bytes is above the limit of ${capPages * PAGE} bytes`,
      { gcBytes: constAlloc.bytes, initialBytes: initialPages * PAGE, limitBytes: capPages * PAGE },
    );
  }

  // The result is an exact-size copy; the working buffer is kept for the next call unless it is large.
  const result = out.buf.slice(0, out.pos);
  if (out.buf.length <= SCRATCH_KEEP) scratch = out.buf;
  return {
    bytes: result,
    requires: {
      fuel: fuel ? { module: FUEL_IMPORT.module, name: FUEL_IMPORT.name, signature: '(i64) -> i64', global: fuelGlobalName } : null,
      memories: memoryNames,
      initialMemoryBytes: initialPages * PAGE,
      memoryCapBytes: capPages === null ? null : capPages * PAGE,
      tableCapElements: tableCap ?? null,
      shiftedFunctionsFrom: fuel ? importedFuncs : null,
      gcAllocates,
    },
    original: (funcIndex, offset) => {
      if (!fuel) return { funcIndex, offset };
      const at = ctx.map.lookup(offset);
      return { funcIndex: funcIndex > importedFuncs ? funcIndex - 1 : funcIndex, offset: at < 0 ? offset : at };
    },
  };
}

/**
 * The `name` section with function indices from `shift` on moved up by one (function, local and label
 * names), and local indices of a function from localShift(its index) on (if >= 0) too; other subsections are
 * kept. A malformed section is dropped (null): names are only for messages.
 */
function rewriteNames(bytes: Uint8Array, start: number, end: number, shift: number, localShift: ((f: number) => number) | null): Uint8Array | null {
  try {
    const c = new Cursor(bytes, start, end);
    const out = new Out(end - start + 64);
    const nameMap = (shiftFrom = -1): void => {
      const n = c.u32();
      out.u32(n);
      for (let i = 0; i < n; i++) {
        const x = c.u32();
        out.u32(shiftFrom >= 0 && x >= shiftFrom ? x + 1 : x);
        const from = c.pos;
        c.skip(c.u32());
        out.bytes(bytes, from, c.pos);
      }
    };
    while (c.pos < end) {
      const id = c.byte();
      const size = c.u32();
      const subEnd = c.pos + size;
      if (subEnd > end) return null;
      if (id < 1 || id > 3) {
        out.byte(id);
        out.u32(size);
        out.bytes(bytes, c.pos, subEnd);
        c.pos = subEnd;
        continue;
      }
      out.byte(id);
      const slot = out.reserve5();
      const n = c.u32();
      out.u32(n);
      for (let i = 0; i < n; i++) {
        const f = c.u32();
        out.u32(f >= shift ? f + 1 : f);
        if (id === 1) {
          const from = c.pos;
          c.skip(c.u32());
          out.bytes(bytes, from, c.pos);
        } else nameMap(id === 2 && localShift ? localShift(f) : -1);
      }
      if (c.pos !== subEnd) return null;
      out.patch5(slot, out.pos - slot - 5);
    }
    return out.result();
  } catch {
    return null;
  }
}
