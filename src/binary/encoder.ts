// Encoder: Module AST -> WebAssembly binary, with canonical (shortest) LEB128 everywhere and custom
// sections written back where they were. Instructions are encoded from the table in opcodes.ts.

import {
  BinaryError,
  SECTION_ORDER,
  type BlockType,
  type Elem,
  type HeapType,
  type ImportDesc,
  type Instr,
  type Limits,
  type MemArg,
  type MemArgLane,
  type Module,
  type SubType,
  type TableType,
  type TryTableImm,
  type ValType,
  type CompType,
  type FieldType,
  type GlobalType,
  EXTERN_KINDS,
} from './module.js';
import { Imm, PREFIXED, SINGLE, opcodeText, type OpInfo } from './opcodes.js';
import { Writer } from './writer.js';

class Encoder {
  readonly w: Writer;
  constructor(sizeHint: number) {
    this.w = new Writer(Math.max(1024, sizeHint));
  }

  heapType(h: HeapType): void {
    if (h < 0) this.w.byte(-h);
    else this.w.sNum(h);
  }

  valType(t: ValType): void {
    if (typeof t === 'number') this.w.byte(t);
    else {
      this.w.byte(t.nullable ? 0x63 : 0x64);
      this.heapType(t.heap);
    }
  }

  valTypes(ts: readonly ValType[]): void {
    this.w.u32(ts.length);
    for (const t of ts) this.valType(t);
  }

  blockType(b: BlockType): void {
    if (typeof b !== 'number') this.valType(b);
    else if (b < 0) this.w.byte(-b);
    else this.w.sNum(b);
  }

  limits(l: Limits): void {
    const w = this.w;
    const flags = (l.flags & ~1) | (l.max !== null ? 1 : 0);
    w.byte(flags);
    w.u64(l.min);
    if (l.max !== null) w.u64(l.max);
  }

  tableType(t: TableType): void {
    if (t.init !== null) {
      this.w.byte(0x40);
      this.w.byte(0x00);
    }
    this.valType(t.ref);
    this.limits(t.limits);
    if (t.init !== null) this.instrs(t.init);
  }

  globalType(g: GlobalType): void {
    this.valType(g.type);
    this.w.byte(g.mutable ? 1 : 0);
  }

  fieldType(f: FieldType): void {
    this.valType(f.storage);
    this.w.byte(f.mutable ? 1 : 0);
  }

  compType(c: CompType): void {
    const w = this.w;
    switch (c.kind) {
      case 'func':
        w.byte(0x60);
        this.valTypes(c.params);
        this.valTypes(c.results);
        break;
      case 'struct':
        w.byte(0x5f);
        w.u32(c.fields.length);
        for (const f of c.fields) this.fieldType(f);
        break;
      case 'array':
        w.byte(0x5e);
        this.fieldType(c.field);
        break;
    }
  }

  subType(s: SubType): void {
    if (s.sub !== null) {
      this.w.byte(s.sub.final ? 0x4f : 0x50);
      this.w.u32(s.sub.supers.length);
      for (const i of s.sub.supers) this.w.u32(i);
    }
    this.compType(s.comp);
  }

  memarg(m: MemArg): void {
    const w = this.w;
    if (m.memory !== 0) {
      w.u32(m.align | 0x40);
      w.u32(m.memory);
    } else w.u32(m.align);
    w.u64(m.offset);
  }

  instrs(body: readonly Instr[]): void {
    const w = this.w;
    for (let i = 0; i < body.length; i++) {
      const ins = body[i]!;
      const op = ins.op;
      let info: OpInfo | undefined;
      if (op < 0x100) {
        info = SINGLE[op];
        if (info === undefined) throw new BinaryError(`opcode ${opcodeText(op)}`, ins.offset, true);
        w.byte(op);
      } else {
        const prefix = Math.floor(op / 0x10000);
        info = PREFIXED[prefix]?.[op % 0x10000];
        if (info === undefined) throw new BinaryError(`opcode ${opcodeText(op)}`, ins.offset, true);
        w.byte(prefix);
        w.u32(op % 0x10000);
      }
      const imm = ins.imm;
      switch (info.imm) {
        case Imm.None:
          break;
        case Imm.U32:
          w.u32(imm as number);
          break;
        case Imm.I32:
          w.sNum(imm as number);
          break;
        case Imm.MemArg:
          this.memarg(imm as MemArg);
          break;
        case Imm.Block:
          this.blockType(imm as BlockType);
          break;
        case Imm.U32x2:
          w.u32((imm as number[])[0]!);
          w.u32((imm as number[])[1]!);
          break;
        case Imm.I64:
          w.s64(imm as bigint);
          break;
        case Imm.F32:
          w.f32bits(imm as number);
          break;
        case Imm.F64:
          w.f64bits(imm as bigint);
          break;
        case Imm.BrTable: {
          const labels = imm as number[];
          w.u32(labels.length - 1);
          for (const l of labels) w.u32(l);
          break;
        }
        case Imm.V128:
        case Imm.Shuffle:
          if ((imm as Uint8Array).length !== 16) throw new BinaryError('v128 immediate must be 16 bytes', ins.offset);
          w.bytes(imm as Uint8Array);
          break;
        case Imm.Lane:
          w.byte(imm as number);
          break;
        case Imm.MemArgLane:
          this.memarg((imm as MemArgLane).memarg);
          w.byte((imm as MemArgLane).lane);
          break;
        case Imm.Heap:
          this.heapType(imm as HeapType);
          break;
        case Imm.SelectT:
          this.valTypes(imm as ValType[]);
          break;
        case Imm.Zero:
          w.byte(0);
          break;
        case Imm.TryTable: {
          const t = imm as TryTableImm;
          this.blockType(t.block);
          w.u32(t.catches.length);
          for (const c of t.catches) {
            w.byte(c.kind);
            if (c.kind < 2) w.u32(c.tag);
            w.u32(c.label);
          }
          break;
        }
        case Imm.BrOnCast: {
          const [flags, label, h1, h2] = imm as number[];
          w.byte(flags!);
          w.u32(label!);
          this.heapType(h1!);
          this.heapType(h2!);
          break;
        }
      }
    }
  }

  importDesc(d: ImportDesc): void {
    const w = this.w;
    switch (d.kind) {
      case 'func':
        w.byte(0);
        w.u32(d.type);
        break;
      case 'table':
        w.byte(1);
        this.tableType(d.table);
        break;
      case 'memory':
        w.byte(2);
        this.limits(d.limits);
        break;
      case 'global':
        w.byte(3);
        this.globalType(d.global);
        break;
      case 'tag':
        w.byte(4);
        w.byte(0);
        w.u32(d.type);
        break;
    }
  }

  elem(e: Elem): void {
    const w = this.w;
    const f = e.flags;
    w.u32(f);
    if (f === 2 || f === 6) w.u32(e.table);
    if ((f & 1) === 0) this.instrs(e.offset ?? []);
    if (f & 4) {
      if (f !== 4) this.valType(e.type);
      const exprs = e.exprs ?? [];
      w.u32(exprs.length);
      for (const x of exprs) this.instrs(x);
    } else {
      if (f !== 0) w.byte(e.type as number);
      const funcs = e.funcs ?? [];
      w.u32(funcs.length);
      for (const i of funcs) w.u32(i);
    }
  }

  /** Contents of known section `id`. */
  section(m: Module, id: number): void {
    const w = this.w;
    switch (id) {
      case 1:
        w.u32(m.types.length);
        for (const g of m.types) {
          if (g.rec) {
            w.byte(0x4e);
            w.u32(g.types.length);
            for (const t of g.types) this.subType(t);
          } else this.subType(g.types[0]!);
        }
        break;
      case 2:
        w.u32(m.imports.length);
        for (const imp of m.imports) {
          w.name(imp.module);
          w.name(imp.name);
          this.importDesc(imp.desc);
        }
        break;
      case 3:
        w.u32(m.funcs.length);
        for (const t of m.funcs) w.u32(t);
        break;
      case 4:
        w.u32(m.tables.length);
        for (const t of m.tables) this.tableType(t);
        break;
      case 5:
        w.u32(m.memories.length);
        for (const l of m.memories) this.limits(l);
        break;
      case 6:
        w.u32(m.globals.length);
        for (const g of m.globals) {
          this.globalType(g.type);
          this.instrs(g.init);
        }
        break;
      case 7:
        w.u32(m.exports.length);
        for (const e of m.exports) {
          w.name(e.name);
          w.byte(EXTERN_KINDS.indexOf(e.kind));
          w.u32(e.index);
        }
        break;
      case 8:
        w.u32(m.start!);
        break;
      case 9:
        w.u32(m.elems.length);
        for (const e of m.elems) this.elem(e);
        break;
      case 10:
        w.u32(m.codes.length);
        for (const c of m.codes) {
          const start = w.beginSized();
          w.u32(c.locals.length);
          for (const l of c.locals) {
            w.u32(l.count);
            this.valType(l.type);
          }
          const raw = c.raw?.();
          if (raw) w.bytes(raw);
          else this.instrs(c.body);
          w.endSized(start);
        }
        break;
      case 11:
        w.u32(m.datas.length);
        for (const d of m.datas) {
          w.u32(d.flags);
          if (d.flags === 2) w.u32(d.memory);
          if (d.flags !== 1) this.instrs(d.offset ?? []);
          w.u32(d.bytes.length);
          w.bytes(d.bytes);
        }
        break;
      case 12:
        w.u32(m.datas.length);
        break;
      case 13:
        w.u32(m.tags.length);
        for (const t of m.tags) {
          w.byte(t.attribute);
          w.u32(t.type);
        }
        break;
    }
  }

  has(m: Module, id: number): boolean {
    if (m.present.includes(id)) return true;
    switch (id) {
      case 1:
        return m.types.length > 0;
      case 2:
        return m.imports.length > 0;
      case 3:
        return m.funcs.length > 0;
      case 4:
        return m.tables.length > 0;
      case 5:
        return m.memories.length > 0;
      case 6:
        return m.globals.length > 0;
      case 7:
        return m.exports.length > 0;
      case 8:
        return m.start !== null;
      case 9:
        return m.elems.length > 0;
      case 10:
        return m.codes.length > 0;
      case 11:
        return m.datas.length > 0;
      case 12:
        return m.dataCount !== null;
      case 13:
        return m.tags.length > 0;
    }
    return false;
  }

  customs(m: Module, after: number): void {
    const w = this.w;
    for (const c of m.customs) {
      if (c.after !== after) continue;
      w.byte(0);
      const start = w.beginSized();
      w.name(c.name);
      w.bytes(c.data);
      w.endSized(start);
    }
  }

  module(m: Module): Uint8Array {
    const w = this.w;
    w.bytes(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    this.customs(m, 0);
    for (const id of SECTION_ORDER) {
      if (id === 8 && m.start === null) {
        this.customs(m, id);
        continue;
      }
      if (id === 12 && m.dataCount === null) {
        this.customs(m, id);
        continue;
      }
      if (this.has(m, id)) {
        w.byte(id);
        const start = w.beginSized();
        this.section(m, id);
        w.endSized(start);
      }
      this.customs(m, id);
    }
    return w.finish();
  }
}

let scratch: Encoder | undefined;

/** Encode an instruction sequence alone (e.g. one function body). */
export function encodeInstrs(instrs: readonly Instr[]): Uint8Array {
  scratch ??= new Encoder(1 << 16);
  scratch.w.pos = 0;
  scratch.instrs(instrs);
  return scratch.w.finish();
}

export interface EncodeOptions {
  /** Expected output size (e.g. the input's size), to size the output buffer once. */
  sizeHint?: number;
}

/** Encode a module (canonical LEB128 sizes; sections in spec order; custom sections where they were). */
export function encode(m: Module, options: EncodeOptions = {}): Uint8Array {
  return new Encoder(options.sizeHint ?? 1 << 16).module(m);
}
