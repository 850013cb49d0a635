// The rewriter never turns an invalid module into a valid one: the local, global and type it adds (the fuel
// counter, scratch local, refill type) and the labels of the blocks it inserts must not give meaning to an
// index one past the end, and sections it re-writes are read to their exact end. Found by the spec-test runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import wabtInit from 'wabt';
import { instrument } from '../src/instrument/index.js';
import { WardenError } from '../src/errors.js';

/** Assembles WAT without validating it (the point is modules V8 refuses). */
async function rawWat(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('invalid.wat', text, { multi_value: true, bulk_memory: true, reference_types: true, threads: true });
  try {
    m.resolveNames();
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

/** The original is invalid; instrument() must refuse it, or produce a module V8 refuses too. */
function assertStaysInvalid(bytes: Uint8Array, options: Parameters<typeof instrument>[1] = {}): void {
  assert.equal(WebAssembly.validate(bytes), false, 'the test module should be invalid');
  let out: Uint8Array;
  try {
    out = instrument(bytes, options).bytes;
  } catch (e) {
    assert.ok(e instanceof WardenError, `not a WardenError: ${e}`);
    assert.equal(e.kind, 'invalid-module');
    return;
  }
  assert.equal(WebAssembly.validate(out), false, 'the rewriter made an invalid module valid');
}

const cases: [string, string][] = [
  ['local one past the params and locals (the scratch local)', '(module (func (param i32) (local.set 1 (i32.const 0))))'],
  ['local two past (the counter local of a function with a loop)', '(module (func (loop) (local.set 1 (i64.const 9000000000000000000))))'],
  ['global.set one past the globals (the fuel counter)', '(module (global (mut i32) (i32.const 0)) (func (loop (global.set 1 (i64.const 1000000)) (br 0))))'],
  ['global.get one past in unreachable code', '(module (func (unreachable) (drop (global.get 0))))'],
  ['export of the global one past the end', '(module (global i32 (i32.const 0)) (export "g" (global 1)))'],
  ['branch past the function into the blocks wrapped around a loop', '(module (func (loop (br 2))))'],
  ['br_table past the function', '(module (func (loop (br_table 0 3 (i32.const 0)))))'],
  ['call_indirect of the type one past the end', '(module (table 1 funcref) (func (param i64) (result i64) (call_indirect (type 1) (local.get 0) (i32.const 0))))'],
  ['imported function of the type one past the end', '(module (type (func)) (import "m" "f" (func (type 1))))'],
  // (the refill function, (i64) -> i64, comes right after the module's own functions)
  ['call of the function one past the end', '(module (func (param i64) (result i64) (call 1 (local.get 0))))'],
  ['export of the function one past the end', '(module (func) (export "f" (func 1)))'],
  ['element segment holding the function one past the end', '(module (table 2 funcref) (func) (elem (i32.const 0) func 1))'],
  ['ref.func of the function one past the end', '(module (func (result funcref) (ref.func 1)) (elem declare funcref (ref.func 1)))'],
  ['global initialised with ref.func one past the end', '(module (func) (global funcref (ref.func 1)))'],
];

for (const [name, wat] of cases) {
  test(`stays invalid: ${name}`, async () => {
    assertStaysInvalid(await rawWat(wat));
  });
}

test('stays invalid: a section with more entries than its count (global, export, start, code)', () => {
  const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  // global section: count 1, two globals (i32 const 0)
  const globals = [0x06, 0x0b, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f, 0x00, 0x41, 0x00, 0x0b];
  assertStaysInvalid(new Uint8Array([...header, ...globals]));
  // type () -> (), one function, export section: count 1, two exports
  const type = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00];
  const func = [0x03, 0x02, 0x01, 0x00];
  const exports = [0x07, 0x09, 0x01, 0x01, 0x61, 0x00, 0x00, 0x01, 0x62, 0x00, 0x00];
  const code = [0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b];
  assertStaysInvalid(new Uint8Array([...header, ...type, ...func, ...exports, ...code]));
  // start section with a trailing byte
  assertStaysInvalid(new Uint8Array([...header, ...type, ...func, 0x08, 0x02, 0x00, 0x00, ...code]));
  // code section: count 1, then a second body
  assertStaysInvalid(new Uint8Array([...header, ...type, ...func, 0x0a, 0x07, 0x01, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b]));
});

test('stays invalid: a block typed by the type one past the end (the refill type, (i64) -> i64)', () => {
  // (type (func (param i64) (result i64))) (func (type 0) local.get 0 block (type 1) end)
  const hex = '0061736d0100000001060160017e017e030201000a09010700200002010b0b';
  assertStaysInvalid(Uint8Array.from(Buffer.from(hex, 'hex')));
});

test('stays invalid: typed references to the type one past the end (a global of (ref null 1), a struct field)', () => {
  const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  // (type (func)) (global (ref null 1) (ref.null 1)): meaningful where V8 has typed references (Node 24)
  assertStaysInvalid(new Uint8Array([...header, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x06, 0x07, 0x01, 0x63, 0x01, 0x00, 0xd0, 0x01, 0x0b]));
  // (type (struct (field (ref null 1))))
  assertStaysInvalid(new Uint8Array([...header, 0x01, 0x06, 0x01, 0x5f, 0x01, 0x63, 0x01, 0x00]));
});

test('stays invalid under memory caps: shared memory without a maximum, maximum above 65536 pages', () => {
  const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  assertStaysInvalid(new Uint8Array([...header, 0x05, 0x03, 0x01, 0x02, 0x01]), { memoryBytes: 1 << 20 });
  assertStaysInvalid(new Uint8Array([...header, 0x05, 0x06, 0x01, 0x01, 0x01, 0x81, 0x80, 0x04]), { memoryBytes: 1 << 20 });
  assertStaysInvalid(new Uint8Array([...header, 0x05, 0x04, 0x01, 0x01, 0x02, 0x01]), { memoryBytes: 1 << 20 });
});
