// Instance recycling: when everything a module's instance can change is resettable from the host, runs
// reuse one WebAssembly.Instance, put back exactly to its just-instantiated state before each reuse.
//
// A wasm instance's state is, by the spec (store: funcs, tables, mems, globals, elems, datas), its linear
// memories, tables, globals and the dropped-ness of its element and data segments. A module qualifies when
//   - its one memory is pooled (src/pool/rewrite.ts) and did not grow: the memory is reset to the image it
//     had right after instantiation (zeros + active data segments); a grown memory retires the instance;
//   - it never changes a table (no table.set/grow/fill/copy/init), never drops a segment (no
//     data.drop/elem.drop) and never changes a GC object (no struct.set, array.set/fill/copy/init_*): nothing
//     there to reset;
//   - it has no start function (instantiation then runs no guest code, so the state snapshot is the
//     initial state), and its mutable globals hold numbers or funcref/externref (values JS can read and
//     write back); each is exported under an internal name (GLOBAL_EXPORT_PREFIX) so the host can.
// Host functions are bound at instantiation, so a recycled instance imports trampolines that call the
// current run's functions. A reset instance is indistinguishable from a fresh one; test/recycle.test.ts
// checks that adversarially (memory, globals, funcref globals, traps mid-run, grown memories).

import { decode } from '../binary/decoder.js';
import { Op, PREFIX_GC, prefixed } from '../binary/opcodes.js';
import type { LazyCode } from '../binary/code.js';
import type { Module } from '../binary/module.js';
import { leb } from '../binary/writer.js';

/** Exports added for the module's mutable globals: `${prefix}${globalIndex}`. */
export const GLOBAL_EXPORT_PREFIX = '__warden_global_';

/** Why a module's instances are not recycled. */
export type Unrecyclable = 'start function' | 'mutates a table' | 'drops a segment' | 'mutates a GC object' | 'global of a type JS cannot reset' | 'undecodable' | 'instantiation failed';

/** Instructions that change instance state the host cannot put back. */
const UNRESETTABLE_OPS = new Map<number, Unrecyclable>([
  [0x26, 'mutates a table'], // table.set
  [Op.table_grow, 'mutates a table'],
  [Op.table_fill, 'mutates a table'],
  [Op.table_copy, 'mutates a table'],
  [Op.table_init, 'mutates a table'],
  [Op.elem_drop, 'drops a segment'],
  [Op.data_drop, 'drops a segment'],
  // struct.set, array.set, array.fill, array.copy, array.init_data, array.init_elem: a GC object reachable from
  // instance state (an immutable global's struct, a table's element) would keep the change
  ...[5, 14, 16, 17, 18, 19].map((sub) => [prefixed(PREFIX_GC, sub), 'mutates a GC object'] as const),
]);

const RESETTABLE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x70, 0x6f]); // i32 i64 f32 f64 funcref externref

export interface RecyclePlan {
  /** The module bytes with every mutable global exported. */
  bytes: Uint8Array;
  /** Growth of the sections before the code section (for mapping code offsets back). */
  codeShift: number;
  /** Export names of the mutable globals to save and restore. */
  globals: string[];
}

/** Whether instances of `bytes` (the pooled variant) can be recycled, and the rewrite that allows it. */
export function recyclePlan(bytes: Uint8Array): RecyclePlan | Unrecyclable {
  let m: Module;
  try {
    m = decode(bytes, { lazy: true, checkBodies: false });
  } catch {
    return 'undecodable';
  }
  if (m.start !== null) return 'start function';
  const importedGlobals = m.imports.filter((i) => i.desc.kind === 'global').length;
  const mutable: number[] = [];
  for (const [i, g] of m.globals.entries()) {
    if (!g.type.mutable) continue;
    const t = g.type.type;
    if (typeof t !== 'number' || !RESETTABLE_TYPES.has(t)) return 'global of a type JS cannot reset';
    mutable.push(importedGlobals + i);
  }
  if (m.imports.some((i) => i.desc.kind === 'global' && i.desc.global.mutable)) return 'global of a type JS cannot reset';
  let reason: Unrecyclable | undefined;
  for (const c of m.codes) {
    const visit = (op: number): void => {
      reason ??= UNRESETTABLE_OPS.get(op);
    };
    if (typeof (c as LazyCode).scan === 'function') (c as LazyCode).scan(visit);
    else for (const ins of c.body) visit(ins.op);
    if (reason) return reason;
  }
  const exported = new Map<number, string>();
  for (const e of m.exports) if (e.kind === 'global' && !exported.has(e.index)) exported.set(e.index, e.name);
  const names = new Set(m.exports.map((e) => e.name));
  const added: { name: string; index: number }[] = [];
  const globals = mutable.map((index) => {
    const have = exported.get(index);
    if (have !== undefined) return have;
    let name = `${GLOBAL_EXPORT_PREFIX}${index}`;
    while (names.has(name)) name += '_';
    names.add(name);
    added.push({ name, index });
    return name;
  });
  const { bytes: out, codeShift } = addGlobalExports(bytes, added);
  return { bytes: out, codeShift, globals };
}

function readU32(b: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const x = b[pos++]!;
    result += (x & 0x7f) * 2 ** shift;
    if ((x & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

/** Appends global exports to the export section (creating it if absent), byte-level; other sections copied. */
function addGlobalExports(bytes: Uint8Array, added: readonly { name: string; index: number }[]): { bytes: Uint8Array; codeShift: number } {
  if (added.length === 0) return { bytes, codeShift: 0 };
  const entries: number[] = [];
  for (const a of added) {
    const name = Buffer.from(a.name, 'utf8');
    entries.push(...leb(name.length), ...name, 0x03, ...leb(a.index));
  }
  // Section order: export (7) comes after global (6) and before start (8), elem (9), datacount (12), code (10).
  const ORDER_AFTER_EXPORT = new Set([8, 9, 10, 11, 12]);
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let pos = 8;
  let done = false;
  let oldSize = 0;
  let newSize = 0;
  const emit = (count: number, body: Uint8Array): void => {
    const content = [...leb(count), ...body, ...entries];
    const section = Uint8Array.from([7, ...leb(content.length), ...content]);
    parts.push(section);
    newSize = section.length;
    done = true;
  };
  while (pos < bytes.length) {
    const at = pos;
    const id = bytes[pos++]!;
    const [size, start] = readU32(bytes, pos);
    const end = start + size;
    pos = end;
    if (!done && id === 7) {
      const [count, from] = readU32(bytes, start);
      oldSize = end - at;
      emit(count + added.length, bytes.subarray(from, end));
      continue;
    }
    if (!done && ORDER_AFTER_EXPORT.has(id)) emit(added.length, new Uint8Array(0));
    parts.push(bytes.subarray(at, end));
  }
  if (!done) emit(added.length, new Uint8Array(0));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { bytes: out, codeShift: newSize - oldSize };
}

type HostFn = (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown, i: unknown) => unknown;

const RETIRED: HostFn = () => {
  throw new Error('warden: a recycled instance was called outside its run');
};

/** One reusable instance: its memory, the trampolines' current targets and the globals' initial values. */
export class RecycledInstance {
  readonly instance: WebAssembly.Instance;
  private readonly targets: HostFn[];
  private readonly globals: WebAssembly.Global[];
  private readonly initial: unknown[];

  /**
   * Instantiates `module` with `memory` and trampolines for its function imports; `descriptors` are the
   * module's imports in order, `memoryImport` the pooled memory's (module, name).
   */
  constructor(
    module: WebAssembly.Module,
    descriptors: readonly WebAssembly.ModuleImportDescriptor[],
    readonly memory: WebAssembly.Memory,
    memoryImport: { module: string; name: string },
    globalNames: readonly string[],
  ) {
    const targets: HostFn[] = [];
    const imports: Record<string, Record<string, WebAssembly.ImportValue>> = Object.create(null);
    for (const d of descriptors) {
      const ns = (imports[d.module] ??= Object.create(null) as Record<string, WebAssembly.ImportValue>);
      if (d.module === memoryImport.module && d.name === memoryImport.name) ns[d.name] = memory;
      else if (d.kind === 'function') {
        const k = targets.length;
        targets.push(RETIRED);
        ns[d.name] = (a: unknown, b: unknown, c: unknown, dd: unknown, e: unknown, f: unknown, g: unknown, h: unknown, i: unknown): unknown => targets[k]!(a, b, c, dd, e, f, g, h, i);
      } else throw new Error(`recycled instances import only functions and the pooled memory, not ${d.kind} ${d.module}.${d.name}`);
    }
    this.targets = targets;
    this.instance = new WebAssembly.Instance(module, imports);
    this.globals = globalNames.map((n) => {
      const g = this.instance.exports[n];
      if (!(g instanceof WebAssembly.Global)) throw new Error(`recycled instance: export ${n} is not a global`);
      return g;
    });
    this.initial = this.globals.map((g) => g.value as unknown);
  }

  /** Points the trampolines at this run's host functions (in the module's import order, memory skipped). */
  bind(fns: readonly HostFn[]): void {
    for (let i = 0; i < this.targets.length; i++) this.targets[i] = fns[i]!;
  }

  /** After a run: no host function is reachable any more. False (drop the instance) if its memory grew. */
  retire(initialBytes: number): boolean {
    for (let i = 0; i < this.targets.length; i++) this.targets[i] = RETIRED;
    return this.memory.buffer.byteLength === initialBytes;
  }

  /**
   * Right before a reuse: the memory from `image`, the globals to their initial values (done then, not at
   * release, so nothing that touched an idle instance — e.g. a host holding a funcref a run returned — can
   * reach the next run). False (drop the instance) if its memory grew meanwhile.
   */
  reset(image: MemoryImage): boolean {
    const buf = this.memory.buffer;
    if (buf.byteLength !== image.size) return false;
    image.restore(new Uint8Array(buf));
    for (let i = 0; i < this.globals.length; i++) this.globals[i]!.value = this.initial[i];
    return true;
  }
}

/** Zero bytes a run of the image may span before it is split in two (a run is one copy; zeros between are filled twice). */
const RUN_GAP = 64;

/**
 * A memory's bytes right after instantiation (zeros + active data segments), kept as its non-zero runs:
 * restore() zero-fills the whole memory (one write stream, no second 128 KiB source to read through the cache),
 * then copies the runs back. The result equals the whole image byte for byte: every byte outside the runs is zero.
 */
export class MemoryImage {
  readonly size: number;
  /** Start offsets and bytes of the runs, in ascending order. */
  private readonly offsets: number[] = [];
  private readonly runs: Uint8Array[] = [];

  constructor(bytes: Uint8Array) {
    this.size = bytes.length;
    let i = 0;
    const n = bytes.length;
    while (i < n) {
      while (i < n && bytes[i] === 0) i++;
      if (i === n) break;
      const start = i;
      let end = i; // one past the last non-zero byte seen
      while (i < n && i - end < RUN_GAP) if (bytes[i++] !== 0) end = i;
      this.offsets.push(start);
      this.runs.push(bytes.slice(start, end));
      i = end;
    }
  }

  /** Puts `u8` (exactly `size` bytes) back to the image. */
  restore(u8: Uint8Array): void {
    u8.fill(0);
    for (let k = 0; k < this.runs.length; k++) u8.set(this.runs[k]!, this.offsets[k]!);
  }
}
