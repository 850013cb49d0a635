// Which proposals a decoded module uses (for `warden inspect` and feature policies): from its instructions
// (the `feature` column of opcodes.ts) and from its types, memories, tables, tags and constant expressions.

import type { LazyCode } from './code.js';
import type { Instr, Limits, Module, ValType } from './module.js';
import { opInfo, type Feature } from './opcodes.js';

const EXTENDED_CONST_OPS = new Set([0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e]); // i32/i64 add, sub, mul

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
  for (const c of m.codes) {
    for (const l of c.locals) valType(l.type);
    const visit = (op: number): void => {
      const f = opInfo(op)?.feature;
      if (f && f !== 'mvp') used.add(f);
    };
    if (typeof (c as LazyCode).scan === 'function' && c.raw?.() !== null) (c as LazyCode).scan(visit);
    else for (const i of c.body) visit(i.op);
  }
  return [...used].sort();
}
