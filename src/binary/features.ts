// Which proposals a decoded module uses (for `warden inspect` and feature policies): from its instructions
// (the `feature` column of opcodes.ts) and from its types, memories, tables, tags and constant expressions.

import type { LazyCode } from './code.js';
import { typeList, type BlockType, type Instr, type Limits, type Module, type TryTableImm, type ValType } from './module.js';
import { opInfo, type Feature } from './opcodes.js';

const EXTENDED_CONST_OPS = new Set([0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e]); // i32/i64 add, sub, mul

/** block, loop, if, try, try_table: the instructions with a block type right after the opcode byte. */
const BLOCK_OPS = new Set([0x02, 0x03, 0x04, 0x06, 0x1f]);

/** The type index of the block type encoded at bytes[at] (an s33), or -1 for the empty or a single value type. */
function blockTypeIndexAt(bytes: Uint8Array, at: number): number {
  const b = bytes[at] ?? 0x40;
  if ((b & 0xc0) === 0x40 || b === 0x63 || b === 0x64) return -1; // empty, one value type, (ref null? ht)
  let v = 0;
  let mul = 1;
  for (let i = at; i < bytes.length && i < at + 5; i++, mul *= 128) {
    v += (bytes[i]! & 0x7f) * mul;
    if ((bytes[i]! & 0x80) === 0) return v;
  }
  return -1; // malformed: the decoder reports it
}

function isRefType(t: ValType): boolean {
  return typeof t !== 'number' || (t !== 0x7f && t !== 0x7e && t !== 0x7d && t !== 0x7c && t !== 0x7b);
}

/** Proposals beyond MVP that `m` uses, sorted. Scans every function body (without keeping instructions). */
export function featuresUsed(m: Module): Feature[] {
  const used = new Set<Feature>();
  /** `tableElem`: funcref as a table's element type is MVP. */
  const valType = (t: ValType, tableElem = false): void => {
    if (tableElem && t === 0x70) return;
    if (t === 0x7b) used.add('simd');
    else if (typeof t !== 'number') {
      const h = t.heap;
      used.add(h >= 0 || h === -0x70 || h === -0x6f ? 'function-references' : h === -0x69 || h === -0x74 ? 'exnref' : 'gc');
    }
    else if (t === 0x69 || t === 0x74) used.add('exnref');
    else if (t !== 0x70 && t !== 0x6f && isRefType(t)) used.add('gc');
    else if (t === 0x70 || t === 0x6f) used.add('reference-types');
  };
  const limits = (l: Limits): void => {
    if (l.flags & 2) used.add('threads');
    if (l.flags & 4) used.add('memory64');
  };
  const expr = (e: Instr[]): void => {
    for (const i of e) {
      if (EXTENDED_CONST_OPS.has(i.op)) used.add('extended-const');
      const f = opInfo(i.op)?.feature;
      if (f && f !== 'mvp') used.add(f);
    }
  };

  for (const g of m.types) {
    if (g.rec) used.add('gc');
    for (const t of g.types) {
      if (t.sub !== null || t.comp.kind !== 'func') used.add('gc');
      if (t.comp.kind === 'func') {
        if (t.comp.results.length > 1) used.add('multi-value');
        for (const p of t.comp.params) valType(p);
        for (const r of t.comp.results) valType(r);
      } else if (t.comp.kind === 'struct') t.comp.fields.forEach((f) => valType(f.storage));
      else valType(t.comp.field.storage);
    }
  }
  let memories = 0;
  for (const imp of m.imports) {
    const d = imp.desc;
    if (d.kind === 'memory') {
      memories++;
      limits(d.limits);
    } else if (d.kind === 'table') {
      limits(d.table.limits);
      valType(d.table.ref, true);
    } else if (d.kind === 'global') valType(d.global.type);
    else if (d.kind === 'tag') used.add('exceptions');
  }
  for (const l of m.memories) limits(l);
  if (memories + m.memories.length > 1) used.add('multi-memory');
  const tableCount = m.tables.length + m.imports.filter((i) => i.desc.kind === 'table').length;
  if (tableCount > 1) used.add('reference-types');
  for (const t of m.tables) {
    limits(t.limits);
    valType(t.ref, true);
    if (t.init) {
      used.add('function-references');
      expr(t.init);
    }
  }
  if (m.tags.length > 0) used.add('exceptions');
  for (const g of m.globals) {
    valType(g.type.type);
    expr(g.init);
  }
  for (const e of m.elems) {
    if (e.flags !== 0) used.add('bulk-memory');
    if (e.offset) expr(e.offset);
    if (e.exprs) e.exprs.forEach(expr);
  }
  for (const d of m.datas) {
    if (d.flags === 1) used.add('bulk-memory');
    if (d.flags === 2 && d.memory !== 0) used.add('multi-memory');
    if (d.offset) expr(d.offset);
  }
  // A block typed by a type index with params or several results needs multi-value even when no function does.
  const types = typeList(m);
  const blockTypeIndex = (index: number): void => {
    const t = types[index]?.comp;
    if (t?.kind === 'func' && (t.params.length > 0 || t.results.length > 1)) used.add('multi-value');
  };
  for (const c of m.codes) {
    for (const l of c.locals) valType(l.type);
    const blockStarts: number[] = [];
    const visit = (op: number, start = -1): void => {
      const f = opInfo(op)?.feature;
      if (f && f !== 'mvp') used.add(f);
      if (start >= 0 && BLOCK_OPS.has(op)) blockStarts.push(start + 1);
    };
    if (typeof (c as LazyCode).scan === 'function' && c.raw?.() !== null) {
      const { bytes } = (c as LazyCode).scan(visit);
      for (const at of blockStarts) blockTypeIndex(blockTypeIndexAt(bytes, at));
    } else {
      for (const i of c.body) {
        visit(i.op);
        if (!BLOCK_OPS.has(i.op)) continue;
        const bt: BlockType = i.op === 0x1f ? (i.imm as TryTableImm).block : (i.imm as BlockType);
        if (typeof bt === 'number' && bt >= 0) blockTypeIndex(bt);
      }
    }
  }
  return [...used].sort();
}
