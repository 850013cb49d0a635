// The opcode table checked against an independent assembler: every instruction wabt can assemble is
// written by wabt and decoded by us to the same table entry (numbering and immediate layout).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import wabtInit from 'wabt';
import { decode } from '../src/binary/decoder.js';
import { encode } from '../src/binary/encoder.js';
import { ALL_OPS, Imm } from '../src/binary/opcodes.js';

const FEATURES = {
  exceptions: true,
  simd: true,
  relaxed_simd: true,
  threads: true,
  multi_value: true,
  tail_call: true,
  bulk_memory: true,
  reference_types: true,
  sat_float_to_int: true,
  sign_extension: true,
  function_references: true,
  multi_memory: true,
};

/** Text for the immediates of each kind (the structured-control and two-index forms are covered elsewhere). */
const IMM_TEXT: Partial<Record<Imm, string>> = {
  [Imm.None]: '',
  [Imm.U32]: ' 0',
  [Imm.MemArg]: ' offset=8',
  [Imm.MemArgLane]: ' offset=4 1',
  [Imm.Lane]: ' 1',
  [Imm.Shuffle]: ' 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31',
  [Imm.V128]: ' i32x4 1 2 3 4',
  [Imm.I32]: ' -5',
  [Imm.I64]: ' -5',
  [Imm.F32]: ' 1.5',
  [Imm.F64]: ' 1.5',
  [Imm.Zero]: '',
};
const STRUCTURED = new Set(['end', 'else', 'catch', 'catch_all', 'delegate', 'block', 'loop', 'if', 'try', 'br_table', 'select']);

test('every instruction wabt assembles decodes to its table entry and re-encodes to the same bytes', async () => {
  const wabt = await wabtInit();
  let checked = 0;
  const wabtLacks: string[] = [];
  for (const info of ALL_OPS) {
    const imm = IMM_TEXT[info.imm];
    if (imm === undefined || STRUCTURED.has(info.name)) continue;
    const text =
      '(module (type (func)) (memory 1) (table 1 funcref) (global (mut i32) (i32.const 0)) (tag) (data "") ' +
      `(elem func 0) (func ${info.name}${imm}))`;
    let bytes: Uint8Array;
    try {
      const m = wabt.parseWat('op.wat', text, FEATURES);
      bytes = new Uint8Array(m.toBinary({}).buffer);
      m.destroy();
    } catch {
      wabtLacks.push(info.name); // GC and typed function references (incl. return_call_ref): wabt lacks them
      continue;
    }
    const m = decode(bytes, { lazy: false });
    const first = m.codes[0]!.body[0]!;
    assert.equal(first.op, info.code, `${info.name}: decoded as 0x${first.op.toString(16)}`);
    assert.deepEqual(encode(m), bytes, info.name);
    checked++;
  }
  assert.ok(checked > 500, `only ${checked} instructions checked`);
  for (const name of wabtLacks) {
    const f = ALL_OPS.find((o) => o.name === name)!.feature;
    assert.ok(f === 'gc' || f === 'function-references' || name === 'return_call_ref', name);
  }
});
