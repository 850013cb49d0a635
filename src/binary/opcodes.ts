// The one table of every WebAssembly instruction Warden understands: opcode (with 0xFB/0xFC/0xFD/0xFE
// prefixes), mnemonic, immediate kind and the proposal it belongs to. Decoder and encoder are driven by it.

/** How an instruction's immediates are encoded (and so what `Instr.imm` holds). */
export const enum Imm {
  None, // imm: undefined
  U32, // one u32 index (label, func, local, global, table, memory, tag, type, data, elem): number
  U32x2, // two u32 indices: [a, b] (e.g. call_indirect [type, table], memory.copy [dst, src])
  Block, // block type: BlockType
  BrTable, // number[]: labels, the last one being the default
  MemArg, // MemArg
  MemArgLane, // MemArgLane
  I32, // number (signed 32-bit)
  I64, // bigint (signed 64-bit)
  F32, // number: the raw IEEE bits as u32 (keeps NaN payloads exact)
  F64, // bigint: the raw IEEE bits as u64
  V128, // Uint8Array(16): v128.const bytes
  Shuffle, // Uint8Array(16): i8x16.shuffle lane indices
  Lane, // number: lane index byte
  Heap, // HeapType (ref.null, ref.test, ref.cast)
  SelectT, // ValType[] (select with explicit types)
  Zero, // a reserved 0x00 byte (atomic.fence): imm undefined
  TryTable, // TryTableImm
  BrOnCast, // [flags, label, heapType1, heapType2]
}

/** The proposal (feature) an instruction comes from, as shown by `warden inspect` and checked by policies. */
export type Feature =
  | 'mvp'
  | 'sign-extension'
  | 'sat-float-to-int'
  | 'multi-value'
  | 'bulk-memory'
  | 'reference-types'
  | 'simd'
  | 'relaxed-simd'
  | 'threads'
  | 'tail-call'
  | 'exceptions'
  | 'exnref'
  | 'function-references'
  | 'gc'
  | 'multi-memory'
  | 'memory64'
  | 'extended-const';

export interface OpInfo {
  /** Numeric code: the opcode byte, or prefix * 0x10000 + sub-opcode for prefixed instructions. */
  readonly code: number;
  readonly name: string;
  readonly imm: Imm;
  readonly feature: Feature;
  /** Control structure role: 1 opens a block (block/loop/if/try/try_table), -1 closes one (end, delegate), 0 neither. */
  readonly nest: -1 | 0 | 1;
}

/** Prefix bytes of the multi-byte opcode spaces. */
export const PREFIX_GC = 0xfb;
export const PREFIX_MISC = 0xfc;
export const PREFIX_SIMD = 0xfd;
export const PREFIX_ATOMIC = 0xfe;

/** Numeric code of a prefixed instruction. */
export function prefixed(prefix: number, sub: number): number {
  return prefix * 0x10000 + sub;
}

// Instruction codes referred to by name in the decoder/encoder and in rewriters.
export const Op = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  try: 0x06,
  catch: 0x07,
  throw: 0x08,
  rethrow: 0x09,
  throw_ref: 0x0a,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  call_indirect: 0x11,
  return_call: 0x12,
  return_call_indirect: 0x13,
  call_ref: 0x14,
  return_call_ref: 0x15,
  delegate: 0x18,
  catch_all: 0x19,
  drop: 0x1a,
  select: 0x1b,
  select_t: 0x1c,
  try_table: 0x1f,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  global_get: 0x23,
  global_set: 0x24,
  i32_const: 0x41,
  i64_const: 0x42,
  f32_const: 0x43,
  f64_const: 0x44,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_lt_u: 0x54,
  i64_ge_u: 0x5a,
  i32_eqz: 0x45,
  i64_eqz: 0x50,
  memory_size: 0x3f,
  memory_grow: 0x40,
  ref_null: 0xd0,
  ref_func: 0xd2,
  memory_init: prefixed(PREFIX_MISC, 8),
  data_drop: prefixed(PREFIX_MISC, 9),
  memory_copy: prefixed(PREFIX_MISC, 10),
  memory_fill: prefixed(PREFIX_MISC, 11),
  table_init: prefixed(PREFIX_MISC, 12),
  elem_drop: prefixed(PREFIX_MISC, 13),
  table_copy: prefixed(PREFIX_MISC, 14),
  table_grow: prefixed(PREFIX_MISC, 15),
  table_size: prefixed(PREFIX_MISC, 16),
  table_fill: prefixed(PREFIX_MISC, 17),
} as const;

type Row = readonly [code: number, name: string, imm: Imm, feature?: Feature];

/** Expand `names` into consecutive opcodes starting at `first`, all with the same immediate kind. */
function run(first: number, names: string, imm: Imm, feature: Feature, prefix = 0): Row[] {
  const rows: Row[] = [];
  let code = first;
  for (const n of names.split(' ')) {
    if (n !== '_') rows.push([prefix ? prefixed(prefix, code) : code, n, imm, feature]);
    code++;
  }
  return rows;
}

const INT_CMP = 'eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u';
const FLOAT_CMP = 'eq ne lt gt le ge';
const INT_ARITH = 'clz ctz popcnt add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr';
const FLOAT_ARITH = 'abs neg ceil floor trunc nearest sqrt add sub mul div min max copysign';
const p = (t: string, ops: string): string =>
  ops
    .split(' ')
    .map((o) => (o === '_' ? '_' : `${t}.${o}`))
    .join(' ');

const CORE: Row[] = [
  [0x00, 'unreachable', Imm.None],
  [0x01, 'nop', Imm.None],
  [0x02, 'block', Imm.Block],
  [0x03, 'loop', Imm.Block],
  [0x04, 'if', Imm.Block],
  [0x05, 'else', Imm.None],
  [0x06, 'try', Imm.Block, 'exceptions'],
  [0x07, 'catch', Imm.U32, 'exceptions'],
  [0x08, 'throw', Imm.U32, 'exceptions'],
  [0x09, 'rethrow', Imm.U32, 'exceptions'],
  [0x0a, 'throw_ref', Imm.None, 'exnref'],
  [0x0b, 'end', Imm.None],
  [0x0c, 'br', Imm.U32],
  [0x0d, 'br_if', Imm.U32],
  [0x0e, 'br_table', Imm.BrTable],
  [0x0f, 'return', Imm.None],
  [0x10, 'call', Imm.U32],
  [0x11, 'call_indirect', Imm.U32x2],
  [0x12, 'return_call', Imm.U32, 'tail-call'],
  [0x13, 'return_call_indirect', Imm.U32x2, 'tail-call'],
  [0x14, 'call_ref', Imm.U32, 'function-references'],
  [0x15, 'return_call_ref', Imm.U32, 'tail-call'],
  [0x18, 'delegate', Imm.U32, 'exceptions'],
  [0x19, 'catch_all', Imm.None, 'exceptions'],
  [0x1a, 'drop', Imm.None],
  [0x1b, 'select', Imm.None],
  [0x1c, 'select', Imm.SelectT, 'reference-types'],
  [0x1f, 'try_table', Imm.TryTable, 'exnref'],
  [0x20, 'local.get', Imm.U32],
  [0x21, 'local.set', Imm.U32],
  [0x22, 'local.tee', Imm.U32],
  [0x23, 'global.get', Imm.U32],
  [0x24, 'global.set', Imm.U32],
  [0x25, 'table.get', Imm.U32, 'reference-types'],
  [0x26, 'table.set', Imm.U32, 'reference-types'],
  ...run(
    0x28,
    'i32.load i64.load f32.load f64.load i32.load8_s i32.load8_u i32.load16_s i32.load16_u ' +
      'i64.load8_s i64.load8_u i64.load16_s i64.load16_u i64.load32_s i64.load32_u ' +
      'i32.store i64.store f32.store f64.store i32.store8 i32.store16 i64.store8 i64.store16 i64.store32',
    Imm.MemArg,
    'mvp',
  ),
  [0x3f, 'memory.size', Imm.U32],
  [0x40, 'memory.grow', Imm.U32],
  [0x41, 'i32.const', Imm.I32],
  [0x42, 'i64.const', Imm.I64],
  [0x43, 'f32.const', Imm.F32],
  [0x44, 'f64.const', Imm.F64],
  [0x45, 'i32.eqz', Imm.None],
  ...run(0x46, p('i32', INT_CMP), Imm.None, 'mvp'),
  [0x50, 'i64.eqz', Imm.None],
  ...run(0x51, p('i64', INT_CMP), Imm.None, 'mvp'),
  ...run(0x5b, p('f32', FLOAT_CMP), Imm.None, 'mvp'),
  ...run(0x61, p('f64', FLOAT_CMP), Imm.None, 'mvp'),
  ...run(0x67, p('i32', INT_ARITH), Imm.None, 'mvp'),
  ...run(0x79, p('i64', INT_ARITH), Imm.None, 'mvp'),
  ...run(0x8b, p('f32', FLOAT_ARITH), Imm.None, 'mvp'),
  ...run(0x99, p('f64', FLOAT_ARITH), Imm.None, 'mvp'),
  ...run(
    0xa7,
    'i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u i64.extend_i32_s ' +
      'i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u f32.convert_i32_s ' +
      'f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64 f64.convert_i32_s f64.convert_i32_u ' +
      'f64.convert_i64_s f64.convert_i64_u f64.promote_f32 i32.reinterpret_f32 i64.reinterpret_f64 ' +
      'f32.reinterpret_i32 f64.reinterpret_i64',
    Imm.None,
    'mvp',
  ),
  ...run(0xc0, 'i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s', Imm.None, 'sign-extension'),
  [0xd0, 'ref.null', Imm.Heap, 'reference-types'],
  [0xd1, 'ref.is_null', Imm.None, 'reference-types'],
  [0xd2, 'ref.func', Imm.U32, 'reference-types'],
  [0xd3, 'ref.eq', Imm.None, 'gc'],
  [0xd4, 'ref.as_non_null', Imm.None, 'function-references'],
  [0xd5, 'br_on_null', Imm.U32, 'function-references'],
  [0xd6, 'br_on_non_null', Imm.U32, 'function-references'],
];

const GC: Row[] = [
  [0, 'struct.new', Imm.U32],
  [1, 'struct.new_default', Imm.U32],
  [2, 'struct.get', Imm.U32x2],
  [3, 'struct.get_s', Imm.U32x2],
  [4, 'struct.get_u', Imm.U32x2],
  [5, 'struct.set', Imm.U32x2],
  [6, 'array.new', Imm.U32],
  [7, 'array.new_default', Imm.U32],
  [8, 'array.new_fixed', Imm.U32x2],
  [9, 'array.new_data', Imm.U32x2],
  [10, 'array.new_elem', Imm.U32x2],
  [11, 'array.get', Imm.U32],
  [12, 'array.get_s', Imm.U32],
  [13, 'array.get_u', Imm.U32],
  [14, 'array.set', Imm.U32],
  [15, 'array.len', Imm.None],
  [16, 'array.fill', Imm.U32],
  [17, 'array.copy', Imm.U32x2],
  [18, 'array.init_data', Imm.U32x2],
  [19, 'array.init_elem', Imm.U32x2],
  [20, 'ref.test', Imm.Heap],
  [21, 'ref.test null', Imm.Heap],
  [22, 'ref.cast', Imm.Heap],
  [23, 'ref.cast null', Imm.Heap],
  [24, 'br_on_cast', Imm.BrOnCast],
  [25, 'br_on_cast_fail', Imm.BrOnCast],
  [26, 'any.convert_extern', Imm.None],
  [27, 'extern.convert_any', Imm.None],
  [28, 'ref.i31', Imm.None],
  [29, 'i31.get_s', Imm.None],
  [30, 'i31.get_u', Imm.None],
].map(([c, n, i]) => [prefixed(PREFIX_GC, c as number), n, i, 'gc'] as Row);

const MISC: Row[] = [
  ...run(
    0,
    'i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u ' +
      'i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u',
    Imm.None,
    'sat-float-to-int',
    PREFIX_MISC,
  ),
  [Op.memory_init, 'memory.init', Imm.U32x2, 'bulk-memory'],
  [Op.data_drop, 'data.drop', Imm.U32, 'bulk-memory'],
  [Op.memory_copy, 'memory.copy', Imm.U32x2, 'bulk-memory'],
  [Op.memory_fill, 'memory.fill', Imm.U32, 'bulk-memory'],
  [Op.table_init, 'table.init', Imm.U32x2, 'bulk-memory'],
  [Op.elem_drop, 'elem.drop', Imm.U32, 'bulk-memory'],
  [Op.table_copy, 'table.copy', Imm.U32x2, 'bulk-memory'],
  [Op.table_grow, 'table.grow', Imm.U32, 'reference-types'],
  [Op.table_size, 'table.size', Imm.U32, 'reference-types'],
  [Op.table_fill, 'table.fill', Imm.U32, 'reference-types'],
];

const SIMD_LANES = (t: string, ops: string): string => p(t, ops);
const SIMD: Row[] = [
  ...run(
    0x00,
    'v128.load v128.load8x8_s v128.load8x8_u v128.load16x4_s v128.load16x4_u v128.load32x2_s v128.load32x2_u ' +
      'v128.load8_splat v128.load16_splat v128.load32_splat v128.load64_splat v128.store',
    Imm.MemArg,
    'simd',
    PREFIX_SIMD,
  ),
  [prefixed(PREFIX_SIMD, 0x0c), 'v128.const', Imm.V128, 'simd'],
  [prefixed(PREFIX_SIMD, 0x0d), 'i8x16.shuffle', Imm.Shuffle, 'simd'],
  ...run(
    0x0e,
    'i8x16.swizzle i8x16.splat i16x8.splat i32x4.splat i64x2.splat f32x4.splat f64x2.splat',
    Imm.None,
    'simd',
    PREFIX_SIMD,
  ),
  ...run(
    0x15,
    'i8x16.extract_lane_s i8x16.extract_lane_u i8x16.replace_lane i16x8.extract_lane_s i16x8.extract_lane_u ' +
      'i16x8.replace_lane i32x4.extract_lane i32x4.replace_lane i64x2.extract_lane i64x2.replace_lane ' +
      'f32x4.extract_lane f32x4.replace_lane f64x2.extract_lane f64x2.replace_lane',
    Imm.Lane,
    'simd',
    PREFIX_SIMD,
  ),
  ...run(0x23, SIMD_LANES('i8x16', INT_CMP), Imm.None, 'simd', PREFIX_SIMD),
  ...run(0x2d, SIMD_LANES('i16x8', INT_CMP), Imm.None, 'simd', PREFIX_SIMD),
  ...run(0x37, SIMD_LANES('i32x4', INT_CMP), Imm.None, 'simd', PREFIX_SIMD),
  ...run(0x41, SIMD_LANES('f32x4', FLOAT_CMP), Imm.None, 'simd', PREFIX_SIMD),
  ...run(0x47, SIMD_LANES('f64x2', FLOAT_CMP), Imm.None, 'simd', PREFIX_SIMD),
  ...run(
    0x4d,
    'v128.not v128.and v128.andnot v128.or v128.xor v128.bitselect v128.any_true',
    Imm.None,
    'simd',
    PREFIX_SIMD,
  ),
  ...run(
    0x54,
    'v128.load8_lane v128.load16_lane v128.load32_lane v128.load64_lane ' +
      'v128.store8_lane v128.store16_lane v128.store32_lane v128.store64_lane',
    Imm.MemArgLane,
    'simd',
    PREFIX_SIMD,
  ),
  ...run(0x5c, 'v128.load32_zero v128.load64_zero', Imm.MemArg, 'simd', PREFIX_SIMD),
  ...run(
    0x5e,
    'f32x4.demote_f64x2_zero f64x2.promote_low_f32x4 ' +
      'i8x16.abs i8x16.neg i8x16.popcnt i8x16.all_true i8x16.bitmask i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u ' +
      'f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest i8x16.shl i8x16.shr_s i8x16.shr_u i8x16.add ' +
      'i8x16.add_sat_s i8x16.add_sat_u i8x16.sub i8x16.sub_sat_s i8x16.sub_sat_u f64x2.ceil f64x2.floor ' +
      'i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u f64x2.trunc i8x16.avgr_u ' +
      'i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u i32x4.extadd_pairwise_i16x8_s ' +
      'i32x4.extadd_pairwise_i16x8_u ' +
      // 0x80
      'i16x8.abs i16x8.neg i16x8.q15mulr_sat_s i16x8.all_true i16x8.bitmask i16x8.narrow_i32x4_s ' +
      'i16x8.narrow_i32x4_u i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s i16x8.extend_low_i8x16_u ' +
      'i16x8.extend_high_i8x16_u i16x8.shl i16x8.shr_s i16x8.shr_u i16x8.add i16x8.add_sat_s i16x8.add_sat_u ' +
      'i16x8.sub i16x8.sub_sat_s i16x8.sub_sat_u f64x2.nearest i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s ' +
      'i16x8.max_u _ i16x8.avgr_u i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s ' +
      'i16x8.extmul_low_i8x16_u i16x8.extmul_high_i8x16_u ' +
      // 0xa0
      'i32x4.abs i32x4.neg _ i32x4.all_true i32x4.bitmask _ _ i32x4.extend_low_i16x8_s ' +
      'i32x4.extend_high_i16x8_s i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u i32x4.shl i32x4.shr_s ' +
      'i32x4.shr_u i32x4.add _ _ i32x4.sub _ _ _ i32x4.mul i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u ' +
      'i32x4.dot_i16x8_s _ i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u ' +
      'i32x4.extmul_high_i16x8_u ' +
      // 0xc0
      'i64x2.abs i64x2.neg _ i64x2.all_true i64x2.bitmask _ _ i64x2.extend_low_i32x4_s ' +
      'i64x2.extend_high_i32x4_s i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u i64x2.shl i64x2.shr_s ' +
      'i64x2.shr_u i64x2.add _ _ i64x2.sub _ _ _ i64x2.mul i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s ' +
      'i64x2.le_s i64x2.ge_s i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u ' +
      'i64x2.extmul_high_i32x4_u ' +
      // 0xe0
      'f32x4.abs f32x4.neg _ f32x4.sqrt f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min f32x4.max ' +
      'f32x4.pmin f32x4.pmax f64x2.abs f64x2.neg _ f64x2.sqrt f64x2.add f64x2.sub f64x2.mul f64x2.div ' +
      'f64x2.min f64x2.max f64x2.pmin f64x2.pmax i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u ' +
      'f32x4.convert_i32x4_s f32x4.convert_i32x4_u i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero ' +
      'f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u',
    Imm.None,
    'simd',
    PREFIX_SIMD,
  ),
  ...run(
    0x100,
    'i8x16.relaxed_swizzle i32x4.relaxed_trunc_f32x4_s i32x4.relaxed_trunc_f32x4_u ' +
      'i32x4.relaxed_trunc_f64x2_s_zero i32x4.relaxed_trunc_f64x2_u_zero f32x4.relaxed_madd f32x4.relaxed_nmadd ' +
      'f64x2.relaxed_madd f64x2.relaxed_nmadd i8x16.relaxed_laneselect i16x8.relaxed_laneselect ' +
      'i32x4.relaxed_laneselect i64x2.relaxed_laneselect f32x4.relaxed_min f32x4.relaxed_max ' +
      'f64x2.relaxed_min f64x2.relaxed_max i16x8.relaxed_q15mulr_s i16x8.relaxed_dot_i8x16_i7x16_s ' +
      'i32x4.relaxed_dot_i8x16_i7x16_add_s',
    Imm.None,
    'relaxed-simd',
    PREFIX_SIMD,
  ),
];

const RMW_SHAPES = (op: string): string =>
  `i32.atomic.rmw.${op} i64.atomic.rmw.${op} i32.atomic.rmw8.${op}_u i32.atomic.rmw16.${op}_u ` +
  `i64.atomic.rmw8.${op}_u i64.atomic.rmw16.${op}_u i64.atomic.rmw32.${op}_u`;

const ATOMIC: Row[] = [
  ...run(0, 'memory.atomic.notify memory.atomic.wait32 memory.atomic.wait64', Imm.MemArg, 'threads', PREFIX_ATOMIC),
  [prefixed(PREFIX_ATOMIC, 3), 'atomic.fence', Imm.Zero, 'threads'],
  ...run(
    0x10,
    'i32.atomic.load i64.atomic.load i32.atomic.load8_u i32.atomic.load16_u i64.atomic.load8_u ' +
      'i64.atomic.load16_u i64.atomic.load32_u i32.atomic.store i64.atomic.store i32.atomic.store8 ' +
      'i32.atomic.store16 i64.atomic.store8 i64.atomic.store16 i64.atomic.store32 ' +
      ['add', 'sub', 'and', 'or', 'xor', 'xchg', 'cmpxchg'].map(RMW_SHAPES).join(' '),
    Imm.MemArg,
    'threads',
    PREFIX_ATOMIC,
  ),
];

/** Every instruction, in one list. */
export const ALL_OPS: readonly OpInfo[] = [...CORE, ...GC, ...MISC, ...SIMD, ...ATOMIC].map(
  ([code, name, imm, feature]) => ({
    code,
    name,
    imm,
    feature: feature ?? 'mvp',
    nest: code === 0x02 || code === 0x03 || code === 0x04 || code === 0x06 || code === 0x1f ? 1 : code === 0x0b || code === 0x18 ? -1 : 0,
  }),
);

/** Single-byte opcodes, indexed by byte. */
export const SINGLE: (OpInfo | undefined)[] = new Array(256).fill(undefined);
/** Prefixed opcodes: PREFIXED[prefix][sub]. */
export const PREFIXED: (OpInfo | undefined)[][] = new Array(256);
for (const pr of [PREFIX_GC, PREFIX_MISC, PREFIX_SIMD, PREFIX_ATOMIC]) PREFIXED[pr] = [];
const BY_CODE = new Map<number, OpInfo>();
for (const info of ALL_OPS) {
  if (BY_CODE.has(info.code)) throw new Error(`opcode table: duplicate code 0x${info.code.toString(16)}`);
  BY_CODE.set(info.code, info);
  if (info.code < 0x100) SINGLE[info.code] = info;
  else PREFIXED[Math.floor(info.code / 0x10000)]![info.code % 0x10000] = info;
}

/** The table entry of a numeric code (see OpInfo.code), or undefined. */
export function opInfo(code: number): OpInfo | undefined {
  return BY_CODE.get(code);
}

/** Human-readable opcode bytes, e.g. `0xfd 0x123` or `0x41`. */
export function opcodeText(code: number): string {
  if (code < 0x100) return `0x${code.toString(16).padStart(2, '0')}`;
  return `0x${Math.floor(code / 0x10000).toString(16)} 0x${(code % 0x10000).toString(16).padStart(2, '0')}`;
}
