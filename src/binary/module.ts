// The decoded form of a WebAssembly module (the AST shared by decoder, encoder and rewriters),
// plus BinaryError: every decode/encode failure, always with the byte offset.

import { WardenError } from '../errors.js';

/** A malformed or unsupported module. `details.offset` is the byte offset in the input. */
export class BinaryError extends WardenError {
  readonly offset: number;
  constructor(message: string, offset: number, unsupported = false) {
    super('invalid-module', `${unsupported ? 'unsupported: ' : ''}${message} at offset 0x${offset.toString(16)}`, {
      offset,
      unsupported,
    });
    this.name = 'BinaryError';
    this.offset = offset;
  }
}

/** Reference type with an explicit heap type: `(ref null ht)` (0x63) or `(ref ht)` (0x64). */
export interface RefType {
  readonly nullable: boolean;
  readonly heap: HeapType;
}

/**
 * A value type: a single-byte code (0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64, 0x7b v128, and the
 * shorthand reference types 0x70 funcref, 0x6f externref, 0x69 exnref, 0x6e anyref, ...) or a RefType.
 */
export type ValType = number | RefType;

/** Heap type: >= 0 is a type index; < 0 is an abstract heap type, stored as minus its byte (func = -0x70). */
export type HeapType = number;

/**
 * Block type: >= 0 is a type index; -0x40 is the empty type; other negatives are a single-byte value
 * type stored as minus its byte (i32 = -0x7f); a RefType for `(ref null? ht)`.
 */
export type BlockType = number | RefType;

export const BLOCK_EMPTY = -0x40;

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const FUNCREF = 0x70;
export const EXTERNREF = 0x6f;

export interface MemArg {
  /** log2 of the alignment (without the multi-memory flag bit). */
  align: number;
  offset: number;
  memory: number;
}

export interface MemArgLane {
  memarg: MemArg;
  lane: number;
}

/** A try_table catch clause: kind 0 catch, 1 catch_ref, 2 catch_all, 3 catch_all_ref. */
export interface CatchClause {
  kind: number;
  tag: number; // unused for catch_all*
  label: number;
}

export interface TryTableImm {
  block: BlockType;
  catches: CatchClause[];
}

/** One instruction: numeric opcode (see opcodes.ts), immediates (shape given by the opcode's Imm kind), byte offset. */
export interface Instr {
  op: number;
  imm: unknown;
  /** Offset of the instruction's first byte in the decoded input; -1 for instructions made by a rewriter. */
  offset: number;
}

export interface FuncType {
  readonly kind: 'func';
  params: ValType[];
  results: ValType[];
}

/** Field of a struct or element type of an array: storage type is a ValType or packed 0x78 (i8) / 0x77 (i16). */
export interface FieldType {
  storage: ValType;
  mutable: boolean;
}

export interface StructType {
  readonly kind: 'struct';
  fields: FieldType[];
}

export interface ArrayType {
  readonly kind: 'array';
  field: FieldType;
}

export type CompType = FuncType | StructType | ArrayType;

/** A (sub)type definition. `sub` is null when written without a `sub`/`sub final` prefix. */
export interface SubType {
  sub: null | { final: boolean; supers: number[] };
  comp: CompType;
}

/** An entry of the type section: a plain type (`rec: false`, one type) or an explicit rec group. */
export interface RecGroup {
  rec: boolean;
  types: SubType[];
}

/**
 * Limits of a memory or table. `flags` is the raw flag byte (bit 0: has max, bit 1: shared,
 * bit 2: 64-bit index type); kept so that encoding reproduces the input.
 */
export interface Limits {
  flags: number;
  min: number;
  max: number | null;
}

export interface TableType {
  ref: ValType;
  limits: Limits;
  /** Initialiser expression (function-references `0x40 0x00` table form), or null. */
  init: Instr[] | null;
}

export interface GlobalType {
  type: ValType;
  mutable: boolean;
}

export type ImportDesc =
  | { kind: 'func'; type: number }
  | { kind: 'table'; table: TableType }
  | { kind: 'memory'; limits: Limits }
  | { kind: 'global'; global: GlobalType }
  | { kind: 'tag'; type: number };

export interface Import {
  module: string;
  name: string;
  desc: ImportDesc;
}

export type ExternKind = 'func' | 'table' | 'memory' | 'global' | 'tag';
export const EXTERN_KINDS: readonly ExternKind[] = ['func', 'table', 'memory', 'global', 'tag'];

export interface Export {
  name: string;
  kind: ExternKind;
  index: number;
}

export interface Global {
  type: GlobalType;
  init: Instr[];
}

/**
 * Element segment. `flags` (0..7) is the binary encoding used: bit 0 passive/declarative, bit 1 explicit
 * table index (active) or declarative (non-active), bit 2 expressions instead of function indices.
 */
export interface Elem {
  flags: number;
  mode: 'active' | 'passive' | 'declarative';
  table: number;
  offset: Instr[] | null;
  /** For function-index forms: elemkind byte (0x00 = funcref); for expression forms: the reference type. */
  type: ValType;
  /** Function indices (flags without bit 2) or null. */
  funcs: number[] | null;
  /** Initialiser expressions (flags with bit 2) or null. */
  exprs: Instr[][] | null;
}

export interface Data {
  /** 0: active in memory 0, 1: passive, 2: active with explicit memory index. */
  flags: number;
  mode: 'active' | 'passive';
  memory: number;
  offset: Instr[] | null;
  bytes: Uint8Array;
}

export interface Local {
  count: number;
  type: ValType;
}

/**
 * A function body. Decoded modules hold LazyCode (code.ts): `body` is built on first use and cached;
 * `decodeBody()` / `setBody()` let a rewriter work one function at a time without keeping every
 * instruction object alive. A rewriter may also supply a plain `{ locals, body, offset: -1 }`.
 */
export interface Code {
  /** Local declarations as written (groups of count × type). */
  locals: Local[];
  /** Instructions, including the final `end`. */
  body: Instr[];
  /** Offset of the body-size LEB of this function in the input (-1 if built by a rewriter). */
  offset: number;
  /** The encoded instruction bytes when `body` has not been materialised or replaced (used by the encoder). */
  raw?(): Uint8Array | null;
}

export interface Tag {
  attribute: number;
  type: number;
}

export interface CustomSection {
  name: string;
  data: Uint8Array;
  /** Id of the known section it followed (0: before all known sections). */
  after: number;
}

export const enum SectionId {
  Custom = 0,
  Type = 1,
  Import = 2,
  Function = 3,
  Table = 4,
  Memory = 5,
  Global = 6,
  Export = 7,
  Start = 8,
  Element = 9,
  Code = 10,
  Data = 11,
  DataCount = 12,
  Tag = 13,
}

/** The order the spec requires for known sections. */
export const SECTION_ORDER: readonly number[] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];

export interface Module {
  types: RecGroup[];
  imports: Import[];
  /** Type index of each defined function. */
  funcs: number[];
  tables: TableType[];
  memories: Limits[];
  tags: Tag[];
  globals: Global[];
  exports: Export[];
  start: number | null;
  elems: Elem[];
  /** Value of the data count section, or null if absent. */
  dataCount: number | null;
  codes: Code[];
  datas: Data[];
  customs: CustomSection[];
  /** Ids of the known sections present in the input (so empty ones are kept on re-encoding). */
  present: number[];
}

export function emptyModule(): Module {
  return {
    types: [],
    imports: [],
    funcs: [],
    tables: [],
    memories: [],
    tags: [],
    globals: [],
    exports: [],
    start: null,
    elems: [],
    dataCount: null,
    codes: [],
    datas: [],
    customs: [],
    present: [],
  };
}

/** All subtypes in type-index order (rec groups flattened). */
export function typeList(m: Module): SubType[] {
  const out: SubType[] = [];
  for (const g of m.types) for (const t of g.types) out.push(t);
  return out;
}

/** The function type of type index `index`, or throws if it is not a function type. */
export function funcType(m: Module, index: number): FuncType {
  const t = typeList(m)[index];
  if (!t || t.comp.kind !== 'func') throw new BinaryError(`type ${index} is not a function type`, 0);
  return t.comp;
}

/** Number of imported entities of a kind (imported indices come first in each index space). */
export function importCount(m: Module, kind: ExternKind): number {
  let n = 0;
  for (const imp of m.imports) if (imp.desc.kind === kind) n++;
  return n;
}
