// Decoder: WebAssembly binary -> Module AST (all sections, every instruction of opcodes.ts with its byte
// offset). Structural checks only (V8 validates types); anything unknown is refused with its offset.

import {
  BinaryError,
  BLOCK_EMPTY,
  FUNCREF,
  SECTION_ORDER,
  emptyModule,
  type BlockType,
  type CatchClause,
  type Code,
  type CompType,
  type Data,
  type Elem,
  type FieldType,
  type GlobalType,
  type HeapType,
  type ImportDesc,
  type Instr,
  type Limits,
  type Local,
  type MemArg,
  type Module,
  type RecGroup,
  type SubType,
  type TableType,
  type ValType,
  EXTERN_KINDS,
} from './module.js';
import { Imm, PREFIXED, SINGLE, opcodeText, prefixed, type OpInfo } from './opcodes.js';
import { Reader } from './reader.js';
import { LazyCode, type BodyDecoder, type InstrVisitor } from './code.js';

const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Abstract heap types (single byte): func, extern, any, eq, i31, struct, array, none, noextern, nofunc, exn, noexn. */
const ABSTRACT_HEAP = new Uint8Array(256);
for (const b of [0x70, 0x6f, 0x6e, 0x6d, 0x6c, 0x6b, 0x6a, 0x71, 0x72, 0x73, 0x69, 0x74]) ABSTRACT_HEAP[b] = 1;
/** Single-byte value types: numeric, v128 and the reference shorthands. */
const VALTYPE_BYTE = new Uint8Array(ABSTRACT_HEAP);
for (const b of [0x7f, 0x7e, 0x7d, 0x7c, 0x7b]) VALTYPE_BYTE[b] = 1;

const RANK = new Map<number, number>(SECTION_ORDER.map((id, i) => [id, i]));

/** Reads types and instructions; used for whole modules and, later, for function bodies decoded on demand. */
class CodeDecoder {
  readonly r: Reader;
  /** Index type of each memory (true: 64-bit), for memarg offsets. */
  readonly mem64: boolean[];

  constructor(bytes: Uint8Array, mem64: boolean[] = [], pos = 0, end = bytes.length) {
    this.r = new Reader(bytes, pos, end);
    this.mem64 = mem64;
  }

  unsupported(what: string, offset: number): never {
    throw new BinaryError(what, offset, true);
  }

  valType(): ValType {
    const r = this.r;
    const at = r.pos;
    const b = r.byte();
    if (b === 0x63 || b === 0x64) return { nullable: b === 0x63, heap: this.heapType() };
    if (VALTYPE_BYTE[b] !== 1) this.unsupported(`value type ${hex(b)}`, at);
    return b;
  }

  heapType(): HeapType {
    const r = this.r;
    const at = r.pos;
    const b = r.peek();
    if ((b & 0xc0) === 0x40) {
      r.pos++;
      if (ABSTRACT_HEAP[b] !== 1) this.unsupported(`heap type ${hex(b)}`, at);
      return -b;
    }
    const v = r.s33();
    if (v < 0) this.unsupported(`heap type ${v}`, at);
    return v;
  }

  blockType(): BlockType {
    const r = this.r;
    const at = r.pos;
    const b = r.peek();
    if (b === 0x40) {
      r.pos++;
      return BLOCK_EMPTY;
    }
    if (b === 0x63 || b === 0x64) return this.valType();
    if ((b & 0xc0) === 0x40) {
      r.pos++;
      if (VALTYPE_BYTE[b] !== 1) this.unsupported(`block type ${hex(b)}`, at);
      return -b;
    }
    const v = r.s33();
    if (v < 0) r.fail('malformed block type', at);
    return v;
  }

  valTypes(): ValType[] {
    const n = this.count(1);
    const out: ValType[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.valType();
    return out;
  }

  /** A vector length, checked against the bytes left (each element takes at least `minSize` bytes). */
  count(minSize: number): number {
    const r = this.r;
    const at = r.pos;
    const n = r.u32();
    if (n * minSize > r.end - r.pos) r.fail(`vector length ${n} exceeds the remaining input`, at);
    return n;
  }

  u32s(): number[] {
    const n = this.count(1);
    const out: number[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.r.u32();
    return out;
  }

  limits(): Limits {
    const r = this.r;
    const at = r.pos;
    const flags = r.byte();
    if (flags > 7) this.unsupported(`limits flags ${hex(flags)}`, at);
    const is64 = (flags & 4) !== 0;
    const min = is64 ? r.u64() : r.u32();
    const max = flags & 1 ? (is64 ? r.u64() : r.u32()) : null;
    return { flags, min, max };
  }

  tableType(): TableType {
    const ref = this.valType();
    return { ref, limits: this.limits(), init: null };
  }

  globalType(): GlobalType {
    const type = this.valType();
    const at = this.r.pos;
    const mut = this.r.byte();
    if (mut > 1) this.r.fail(`malformed mutability ${hex(mut)}`, at);
    return { type, mutable: mut === 1 };
  }

  fieldType(): FieldType {
    const r = this.r;
    const b = r.peek();
    let storage: ValType;
    if (b === 0x78 || b === 0x77) {
      r.pos++;
      storage = b;
    } else storage = this.valType();
    const at = r.pos;
    const mut = r.byte();
    if (mut > 1) r.fail(`malformed mutability ${hex(mut)}`, at);
    return { storage, mutable: mut === 1 };
  }

  compType(): CompType {
    const r = this.r;
    const at = r.pos;
    const form = r.byte();
    switch (form) {
      case 0x60: {
        const params = this.valTypes();
        return { kind: 'func', params, results: this.valTypes() };
      }
      case 0x5f: {
        const n = this.count(2);
        const fields: FieldType[] = new Array(n);
        for (let i = 0; i < n; i++) fields[i] = this.fieldType();
        return { kind: 'struct', fields };
      }
      case 0x5e:
        return { kind: 'array', field: this.fieldType() };
      default:
        return this.unsupported(`type form ${hex(form)}`, at);
    }
  }

  subType(): SubType {
    const r = this.r;
    const b = r.peek();
    if (b === 0x50 || b === 0x4f) {
      r.pos++;
      const supers = this.u32s();
      return { sub: { final: b === 0x4f, supers }, comp: this.compType() };
    }
    return { sub: null, comp: this.compType() };
  }

  memarg(): MemArg {
    const r = this.r;
    const at = r.pos;
    let align = r.u32();
    let memory = 0;
    if (align & 0x40) {
      memory = r.u32();
      align &= ~0x40;
    }
    if (align >= 0x40) r.fail('malformed memarg alignment', at);
    const offset = this.mem64[memory] === true ? r.u64() : r.u32();
    return { align, offset, memory };
  }

  /**
   * Instructions up to and including the `end` that closes the outermost level (a function body or a
   * constant expression). Returns when that `end` has been read; `limit` is the byte bound. With
   * `store` false the instructions are only checked (nothing is kept) and the result is empty.
   */
  instrs(limit: number, store = true, visit?: InstrVisitor): Instr[] {
    const r = this.r;
    const buf = r.buf;
    const saveEnd = r.end;
    r.end = limit;
    const out: Instr[] = [];
    let depth = 0;
    for (;;) {
      const offset = r.pos;
      if (offset >= limit) r.fail('unexpected end of code (missing `end`)', offset);
      const b = buf[r.pos++]!;
      let info: OpInfo | undefined = SINGLE[b];
      if (info === undefined) {
        const table = PREFIXED[b];
        if (table === undefined) this.unsupported(`opcode ${hex(b)}`, offset);
        const sub = r.u32();
        info = table[sub];
        if (info === undefined) this.unsupported(`opcode ${opcodeText(prefixed(b, sub))}`, offset);
      }
      let imm: unknown;
      switch (info.imm) {
        case Imm.None:
          imm = undefined;
          break;
        case Imm.U32: {
          const x = r.pos < limit ? buf[r.pos]! : 0x80;
          if (x < 0x80) {
            r.pos++;
            imm = x;
          } else imm = r.u32();
          break;
        }
        case Imm.I32:
          imm = r.s32();
          break;
        case Imm.MemArg:
          imm = this.memarg();
          break;
        case Imm.Block:
          imm = this.blockType();
          break;
        case Imm.U32x2: {
          const a = r.u32();
          imm = [a, r.u32()];
          break;
        }
        case Imm.I64:
          imm = r.s64();
          break;
        case Imm.F32:
          imm = r.f32bits();
          break;
        case Imm.F64:
          imm = r.f64bits();
          break;
        case Imm.BrTable: {
          const n = this.count(1);
          const labels: number[] = new Array(n + 1);
          for (let i = 0; i <= n; i++) labels[i] = r.u32();
          imm = labels;
          break;
        }
        case Imm.V128:
        case Imm.Shuffle:
          imm = r.bytes(16);
          break;
        case Imm.Lane:
          imm = r.byte();
          break;
        case Imm.MemArgLane: {
          const memarg = this.memarg();
          imm = { memarg, lane: r.byte() };
          break;
        }
        case Imm.Heap:
          imm = this.heapType();
          break;
        case Imm.SelectT:
          imm = this.valTypes();
          break;
        case Imm.Zero: {
          const at = r.pos;
          if (r.byte() !== 0) r.fail('expected a zero byte', at);
          imm = undefined;
          break;
        }
        case Imm.TryTable: {
          const block = this.blockType();
          const n = this.count(2);
          const catches: CatchClause[] = new Array(n);
          for (let i = 0; i < n; i++) {
            const at = r.pos;
            const kind = r.byte();
            if (kind > 3) this.unsupported(`catch clause kind ${hex(kind)}`, at);
            const tag = kind < 2 ? r.u32() : 0;
            catches[i] = { kind, tag, label: r.u32() };
          }
          imm = { block, catches };
          break;
        }
        case Imm.BrOnCast: {
          const at = r.pos;
          const flags = r.byte();
          if (flags > 3) r.fail(`malformed br_on_cast flags ${hex(flags)}`, at);
          const label = r.u32();
          const h1 = this.heapType();
          imm = [flags, label, h1, this.heapType()];
          break;
        }
      }
      if (store) out.push({ op: info.code, imm, offset });
      else if (visit !== undefined) visit(info.code, offset, r.pos);
      if (info.nest !== 0) {
        if (info.nest > 0) depth++;
        else if (depth === 0) {
          if (b !== 0x0b) r.fail('`delegate` outside of a `try`', offset);
          break;
        } else depth--;
      }
    }
    r.end = saveEnd;
    return out;
  }

  constExpr(): Instr[] {
    return this.instrs(this.r.end);
  }
}

class Decoder extends CodeDecoder {
  readonly m: Module = emptyModule();
  private funcCount = -1;
  private readonly lazy: boolean;
  private readonly checkBodies: boolean;
  /** Decodes a function body on demand (LazyCode), with this module's memory index types. */
  private readonly bodyDecoder: BodyDecoder;

  constructor(bytes: Uint8Array, options: DecodeOptions) {
    super(bytes);
    this.lazy = options.lazy ?? true;
    this.checkBodies = options.checkBodies ?? true;
    const mem64 = this.mem64;
    this.bodyDecoder = (src, start, end, visit) => {
      const d = new CodeDecoder(src, mem64, start, end);
      const body = d.instrs(end, visit === undefined, visit);
      if (d.r.pos !== end) d.r.fail('function body size mismatch (code after the final `end`)', d.r.pos);
      return body;
    };
  }

  section(id: number, end: number): void {
    const r = this.r;
    const m = this.m;
    switch (id) {
      case 1: {
        const n = this.count(1);
        for (let i = 0; i < n; i++) {
          let g: RecGroup;
          if (r.peek() === 0x4e) {
            r.pos++;
            const k = this.count(1);
            const types: SubType[] = new Array(k);
            for (let j = 0; j < k; j++) types[j] = this.subType();
            g = { rec: true, types };
          } else g = { rec: false, types: [this.subType()] };
          m.types.push(g);
        }
        break;
      }
      case 2: {
        const n = this.count(3);
        for (let i = 0; i < n; i++) {
          const module = r.name();
          const name = r.name();
          const at = r.pos;
          const kind = r.byte();
          let desc: ImportDesc;
          switch (kind) {
            case 0:
              desc = { kind: 'func', type: r.u32() };
              break;
            case 1:
              desc = { kind: 'table', table: this.tableType() };
              break;
            case 2:
              desc = { kind: 'memory', limits: this.limits() };
              this.mem64.push((desc.limits.flags & 4) !== 0);
              break;
            case 3:
              desc = { kind: 'global', global: this.globalType() };
              break;
            case 4:
              desc = { kind: 'tag', type: this.tagType() };
              break;
            default:
              this.unsupported(`import kind ${hex(kind)}`, at);
          }
          m.imports.push({ module, name, desc });
        }
        break;
      }
      case 3:
        m.funcs = this.u32s();
        this.funcCount = m.funcs.length;
        break;
      case 4: {
        const n = this.count(2);
        for (let i = 0; i < n; i++) {
          if (r.peek() === 0x40) {
            const at = r.pos;
            r.pos++;
            if (r.byte() !== 0) r.fail('malformed table (expected 0x40 0x00)', at);
            const t = this.tableType();
            t.init = this.constExpr();
            m.tables.push(t);
          } else m.tables.push(this.tableType());
        }
        break;
      }
      case 5: {
        const n = this.count(2);
        for (let i = 0; i < n; i++) {
          const l = this.limits();
          m.memories.push(l);
          this.mem64.push((l.flags & 4) !== 0);
        }
        break;
      }
      case 6: {
        const n = this.count(3);
        for (let i = 0; i < n; i++) {
          const type = this.globalType();
          m.globals.push({ type, init: this.constExpr() });
        }
        break;
      }
      case 7: {
        const n = this.count(3);
        for (let i = 0; i < n; i++) {
          const name = r.name();
          const at = r.pos;
          const kind = EXTERN_KINDS[r.byte()];
          if (kind === undefined) this.unsupported(`export kind ${hex(r.buf[at]!)}`, at);
          m.exports.push({ name, kind, index: r.u32() });
        }
        break;
      }
      case 8:
        m.start = r.u32();
        break;
      case 9: {
        const n = this.count(2);
        for (let i = 0; i < n; i++) m.elems.push(this.elem());
        break;
      }
      case 10: {
        const at = r.pos;
        const n = this.count(2);
        if (n !== Math.max(this.funcCount, 0)) r.fail('function and code section have inconsistent lengths', at);
        for (let i = 0; i < n; i++) m.codes.push(this.code());
        break;
      }
      case 11: {
        const n = this.count(2);
        for (let i = 0; i < n; i++) m.datas.push(this.data());
        break;
      }
      case 12:
        m.dataCount = r.u32();
        break;
      case 13: {
        const n = this.count(2);
        for (let i = 0; i < n; i++) m.tags.push({ attribute: 0, type: this.tagType() });
        break;
      }
    }
    if (r.pos !== end) r.fail('section size mismatch', r.pos);
  }

  tagType(): number {
    const at = this.r.pos;
    const attr = this.r.byte();
    if (attr !== 0) this.unsupported(`tag attribute ${hex(attr)}`, at);
    return this.r.u32();
  }

  elem(): Elem {
    const r = this.r;
    const at = r.pos;
    const flags = r.u32();
    if (flags > 7) this.unsupported(`element segment flags ${flags}`, at);
    const mode = flags & 1 ? (flags & 2 ? 'declarative' : 'passive') : 'active';
    const table = flags === 2 || flags === 6 ? r.u32() : 0;
    const offset = mode === 'active' ? this.constExpr() : null;
    let type: ValType;
    if (flags & 4) type = flags === 4 ? FUNCREF : this.valType();
    else if (flags === 0) type = 0;
    else {
      const kat = r.pos;
      type = r.byte();
      if (type !== 0) this.unsupported(`element kind ${hex(type)}`, kat);
    }
    if (flags & 4) {
      const n = this.count(1);
      const exprs: Instr[][] = new Array(n);
      for (let i = 0; i < n; i++) exprs[i] = this.constExpr();
      return { flags, mode, table, offset, type, funcs: null, exprs };
    }
    return { flags, mode, table, offset, type, funcs: this.u32s(), exprs: null };
  }

  code(): Code {
    const r = this.r;
    const offset = r.pos;
    const size = r.u32();
    const end = r.pos + size;
    if (end > r.end) r.fail('function body extends past the section', offset);
    const saveEnd = r.end;
    r.end = end;
    const groups = this.count(2);
    const locals: Local[] = new Array(groups);
    let total = 0;
    for (let i = 0; i < groups; i++) {
      const at = r.pos;
      const count = r.u32();
      total += count;
      if (total > 50000) r.fail('too many locals', at);
      locals[i] = { count, type: this.valType() };
    }
    const bodyStart = r.pos;
    // Every body is checked now (unknown opcodes are refused up front); instructions are built on demand.
    let body: Instr[] = [];
    if (!this.lazy || this.checkBodies) {
      body = this.instrs(end, !this.lazy);
      if (r.pos !== end) r.fail('function body size mismatch (code after the final `end`)', r.pos);
    }
    r.pos = end;
    r.end = saveEnd;
    const code = new LazyCode(locals, offset, r.buf, bodyStart, end, this.bodyDecoder);
    if (!this.lazy) code.body = body;
    return code;
  }

  data(): Data {
    const r = this.r;
    const at = r.pos;
    const flags = r.u32();
    if (flags > 2) this.unsupported(`data segment flags ${flags}`, at);
    const memory = flags === 2 ? r.u32() : 0;
    const offset = flags === 1 ? null : this.constExpr();
    const n = this.count(1);
    return { flags, mode: flags === 1 ? 'passive' : 'active', memory, offset, bytes: r.bytes(n) };
  }

  module(): Module {
    const r = this.r;
    const m = this.m;
    if (r.end < 8) r.fail('not a WebAssembly module (too short)', 0);
    const b = r.buf;
    if (b[0] !== 0x00 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) r.fail('not a WebAssembly module (bad magic)', 0);
    if (b[4] !== 1 || b[5] !== 0 || b[6] !== 0 || b[7] !== 0) {
      if (b[6] === 1) this.unsupported('component (only core modules are accepted)', 4);
      r.fail('unknown binary version', 4);
    }
    r.pos = 8;
    let lastRank = -1;
    let lastId = 0;
    while (r.pos < r.end) {
      const at = r.pos;
      const id = r.byte();
      const size = r.u32();
      const start = r.pos;
      const end = start + size;
      if (end > r.end) r.fail(`section ${id} extends past the end of the module`, at);
      if (id === 0) {
        const save = r.end;
        r.end = end;
        const name = r.name();
        m.customs.push({ name, data: r.bytes(end - r.pos), after: lastId });
        r.end = save;
        continue;
      }
      const rank = RANK.get(id);
      if (rank === undefined) this.unsupported(`section id ${id}`, at);
      if (rank <= lastRank) r.fail(`section ${id} out of order or duplicated`, at);
      lastRank = rank;
      lastId = id;
      m.present.push(id);
      const save = r.end;
      r.end = end;
      this.section(id, end);
      r.end = save;
    }
    if (this.funcCount > 0 && m.codes.length === 0) r.fail('function section without code section', r.end);
    return m;
  }
}

export interface DecodeOptions {
  /**
   * Build each function's instruction list only when its `body` is first used (default true). Bodies
   * are still fully checked by decode(). Unused bodies are re-encoded from their original bytes.
   */
  lazy?: boolean;
  /**
   * With `lazy`, still check every body now (default true). A rewriter that decodes every body itself
   * may pass false: errors (with offsets) then come from `body` / `decodeBody()`.
   */
  checkBodies?: boolean;
}

/**
 * Decode a module. Throws BinaryError (kind 'invalid-module', with the offset) on malformed or unsupported
 * input. The module's function bodies refer to `bytes`: do not modify it while the module is in use.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): Module {
  return new Decoder(bytes, options).module();
}
