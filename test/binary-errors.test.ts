// Malformed and unsupported input to the binary toolkit: unknown opcodes and proposals are refused with
// `unsupported: ... at offset 0x..`, bad LEBs and structure with their offset, and mutated modules never
// make the decoder fail in any other way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decode } from '../src/binary/decoder.js';
import { encode } from '../src/binary/encoder.js';
import { BinaryError } from '../src/binary/module.js';
import { Reader } from '../src/binary/reader.js';
import { Writer } from '../src/binary/writer.js';
import { ALL_OPS } from '../src/binary/opcodes.js';
import { isWardenError } from '../src/errors.js';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const TYPE = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00]; // (func)
const FUNC = [0x03, 0x02, 0x01, 0x00];

/** A module with one `(func)` whose body (after an empty locals vector) is `body`; it starts at offset 0x17. */
function withBody(body: number[]): Uint8Array {
  const code = [body.length + 1, 0x00, ...body];
  return new Uint8Array([...HEADER, ...TYPE, ...FUNC, 0x0a, code.length + 1, 0x01, ...code]);
}
const BODY = 0x17;

function rejects(bytes: Uint8Array, message: RegExp, offset?: number, lazy = false): void {
  assert.throws(
    () => decode(bytes, { lazy }),
    (e: unknown) => {
      assert.ok(e instanceof BinaryError, `expected BinaryError, got ${String(e)}`);
      assert.ok(isWardenError(e) && e.kind === 'invalid-module');
      assert.match(e.message, message);
      assert.match(e.message, / at offset 0x[0-9a-f]+$/);
      if (offset !== undefined) assert.equal(e.offset, offset, e.message);
      return true;
    },
  );
}

test('the helper module is valid and decodes', () => {
  const ok = withBody([0x0b]);
  assert.ok(WebAssembly.validate(ok));
  assert.equal(decode(ok).codes[0]!.body[0]!.offset, BODY);
});

test('unknown opcodes are refused with their bytes and offset, in every opcode space', () => {
  const cases: [number[], string, number][] = [
    [[0xff, 0x0b], 'opcode 0xff', BODY],
    [[0x16, 0x0b], 'opcode 0x16', BODY],
    [[0xe0, 0x00, 0x0b], 'opcode 0xe0', BODY],
    [[0x01, 0x01, 0xfd, 0x9a, 0x01, 0x0b], 'opcode 0xfd 0x9a', BODY + 2], // reserved SIMD slot
    [[0xfd, 0xff, 0x0f, 0x0b], 'opcode 0xfd 0x7ff', BODY],
    [[0xfc, 0x12, 0x0b], 'opcode 0xfc 0x12', BODY],
    [[0xfb, 0x80, 0x01, 0x0b], 'opcode 0xfb 0x80', BODY], // stringref
    [[0xfe, 0x04, 0x0b], 'opcode 0xfe 0x04', BODY],
    [[0xfe, 0x4f, 0x00, 0x00, 0x0b], 'opcode 0xfe 0x4f', BODY],
  ];
  for (const [body, what, offset] of cases) {
    const bytes = withBody(body);
    const re = new RegExp(`^unsupported: ${what} at offset 0x${offset.toString(16)}$`);
    rejects(bytes, re, offset);
    rejects(bytes, re, offset, true); // the lazy decoder checks bodies up front too
  }
});

test('with checkBodies off, body errors come from decodeBody with the same offset', () => {
  const m = decode(withBody([0x01, 0xff, 0x0b]), { checkBodies: false });
  assert.throws(() => m.codes[0]!.body, /^BinaryError: unsupported: opcode 0xff at offset 0x18$/);
});

test('every opcode in the table decodes and encodes (no gaps between decoder and encoder)', () => {
  // Each instruction with zero-ish immediates, encoded by the encoder and decoded back.
  const imm = (k: number): unknown =>
    [
      undefined, 0, [0, 0], -0x40, [0], { align: 0, offset: 0, memory: 0 },
      { memarg: { align: 0, offset: 0, memory: 0 }, lane: 0 }, 0, 0n, 0, 0n, new Uint8Array(16), new Uint8Array(16),
      0, -0x70, [0x7f], undefined, { block: -0x40, catches: [] }, [0, 0, -0x70, -0x70],
    ][k];
  for (const info of ALL_OPS) {
    const m = decode(withBody([0x0b]));
    m.codes[0]!.body = [{ op: info.code, imm: imm(info.imm), offset: -1 }, ...(info.nest === 1 ? [{ op: 0x0b, imm: undefined, offset: -1 }] : []), { op: 0x0b, imm: undefined, offset: -1 }];
    if (info.code === 0x0b || info.code === 0x18) continue; // closers need an opener
    const out = encode(m);
    const back = decode(out, { lazy: false }).codes[0]!.body;
    assert.equal(back[0]!.op, info.code, info.name);
  }
});

test('malformed LEB128 is refused with the offset of the number', () => {
  rejects(withBody([0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a, 0x0b]), /^LEB128 too long/, BODY + 1);
  rejects(withBody([0x41, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x1a, 0x0b]), /^integer too large/, BODY + 1);
  rejects(withBody([0x20, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1a, 0x0b]), /^integer too large/, BODY + 1);
  rejects(withBody([0x42, ...Array(10).fill(0x80), 0x00, 0x1a, 0x0b]), /^LEB128 too long/, BODY + 1);
  rejects(withBody([0x42, ...Array(9).fill(0xff), 0x03, 0x1a, 0x0b]), /^integer too large/, BODY + 1);
  rejects(withBody([0x41, 0x80]), /^unexpected end/);
});

test('structural errors are refused with offsets', () => {
  rejects(new Uint8Array([0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0]), /^not a WebAssembly module/, 0);
  rejects(new Uint8Array([0x00, 0x61]), /^not a WebAssembly module/, 0);
  rejects(new Uint8Array([...HEADER.slice(0, 4), 0x0d, 0x00, 0x01, 0x00]), /^unsupported: component/, 4);
  rejects(new Uint8Array([...HEADER, 0x01, 0x10, 0x01]), /^section 1 extends past the end/, 8);
  rejects(new Uint8Array([...HEADER, ...FUNC, ...TYPE]), /^section 1 out of order/, 12);
  rejects(new Uint8Array([...HEADER, 0x0e, 0x00]), /^unsupported: section id 14/, 8);
  rejects(new Uint8Array([...HEADER, 0x05, 0x03, 0x01, 0x08, 0x01]), /^unsupported: limits flags 0x08/, 11);
  rejects(new Uint8Array([...HEADER, ...TYPE, ...FUNC]), /^function section without code section/);
  rejects(new Uint8Array([...HEADER, ...TYPE, ...FUNC, 0x0a, 0x01, 0x00]), /^function and code section have inconsistent lengths/);
  rejects(withBody([0x01]), /missing `end`/);
  rejects(withBody([0x0b, 0x01]), /code after the final `end`/, BODY + 1);
  rejects(withBody([0x18, 0x00, 0x0b]), /`delegate` outside of a `try`/, BODY);
  rejects(withBody([0x02, 0x55, 0x0b, 0x0b]), /^unsupported: block type 0x55/, BODY + 1);
  rejects(withBody([0xd0, 0x55, 0x1a, 0x0b]), /^unsupported: heap type 0x55/, BODY + 1);
  rejects(new Uint8Array([...HEADER, 0x01, 0x03, 0x01, 0x65, 0x00]), /^unsupported: type form 0x65/, 11);
  rejects(new Uint8Array([...HEADER, 0x00, 0x03, 0x02, 0xc3, 0x28]), /^malformed UTF-8 name/, 10);
});

test('LEB128 reader and writer agree on the edges of every width', () => {
  const w = new Writer(16);
  const u32s = [0, 1, 127, 128, 16383, 16384, 0x7fffffff, 0xffffffff];
  const s32s = [0, 63, 64, -64, -65, 0x7fffffff, -0x80000000, -1];
  const s64s = [0n, -1n, 63n, -64n, 0x7fffffffffffffffn, -0x8000000000000000n, 1n << 53n, -(1n << 53n), (1n << 49n) - 1n, 1n << 49n, -(1n << 49n)];
  const u64s = [0, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER];
  for (const v of u32s) w.u32(v);
  for (const v of s32s) w.sNum(v);
  for (const v of s64s) w.s64(v);
  for (const v of u64s) w.u64(v);
  const r = new Reader(w.finish());
  for (const v of u32s) assert.equal(r.u32(), v);
  for (const v of s32s) assert.equal(r.s32(), v);
  for (const v of s64s) assert.equal(r.s64(), v);
  for (const v of u64s) assert.equal(r.u64(), v);
  assert.ok(r.eof());
  // Canonical sizes.
  const size = (f: (w: Writer) => void): number => {
    const x = new Writer(4);
    f(x);
    return x.pos;
  };
  assert.equal(size((x) => x.u32(127)), 1);
  assert.equal(size((x) => x.u32(0xffffffff)), 5);
  assert.equal(size((x) => x.sNum(-64)), 1);
  assert.equal(size((x) => x.sNum(64)), 2);
  assert.equal(size((x) => x.s64(-0x8000000000000000n)), 10);
  // u64 beyond 2^53 is refused, not rounded.
  assert.throws(() => new Reader(new Uint8Array([...Array(9).fill(0xff), 0x01])).u64(), /unsupported: 64-bit value above 2\^53/);
});

/** Small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

test('mutated modules are decoded or refused with a BinaryError, never anything else', () => {
  const seeds = [
    new Uint8Array(readFileSync(new URL('../../bench/guests/hello.wasm', import.meta.url))),
    withBody([0x41, 0x05, 0xfd, 0x0f, 0xfd, 0x15, 0x03, 0x1a, 0x0b]),
  ];
  const next = rng(12345);
  let decoded = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const src = seeds[i % seeds.length]!;
    const bytes = src.slice();
    const kind = next() % 3;
    if (kind === 0) for (let k = 0; k <= next() % 4; k++) bytes[8 + (next() % (bytes.length - 8))] = next() & 0xff;
    const input = kind === 1 ? bytes.subarray(0, 8 + (next() % (bytes.length - 8))) : bytes;
    if (kind === 2) input[8 + (next() % (input.length - 8))] ^= 1 << next() % 8;
    try {
      const m = decode(input, { lazy: false });
      decoded++;
      try {
        encode(m);
      } catch (e) {
        assert.ok(e instanceof BinaryError, `encode failed with ${String(e)}`);
      }
    } catch (e) {
      if (!(e instanceof BinaryError)) assert.fail(`case ${i}: ${String((e as Error)?.stack ?? e)}`);
      refused++;
    }
  }
  assert.ok(decoded > 0 && refused > 0);
});
