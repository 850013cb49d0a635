// Round trip of the binary toolkit: every .wasm in the repository, binaryen's own 10 MB module, and
// hand-written WAT for each proposal decode -> encode to modules V8 accepts and that behave the same.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import wabtInit from 'wabt';
import { decode } from '../src/binary/decoder.js';
import { encode } from '../src/binary/encoder.js';
import { featuresUsed } from '../src/binary/features.js';
import type { LazyCode } from '../src/binary/code.js';
import { binaryenWasm, equalBytes, roundTrip, sameAst, transcript } from './binary-fuzz.js';

const ROOT = new URL('../..', import.meta.url).pathname;

const wabt = await wabtInit();
const FEATURES = {
  exceptions: true,
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  simd: true,
  threads: true,
  multi_value: true,
  tail_call: true,
  bulk_memory: true,
  reference_types: true,
};

function wat(text: string, debugNames = false): Uint8Array {
  const mod = wabt.parseWat('test.wat', text, FEATURES);
  try {
    mod.resolveNames(); // (V8 validates: wabt's validator does not know shared memories)
    return new Uint8Array(mod.toBinary({ write_debug_names: debugNames, canonicalize_lebs: true }).buffer);
  } finally {
    mod.destroy();
  }
}

/** Round trip that must be byte-identical, valid, and behave the same; returns the transcript. */
function checkIdentical(bytes: Uint8Array): string[] {
  assert.ok(WebAssembly.validate(bytes), 'input must be valid');
  const rt = roundTrip(bytes);
  assert.ok(rt.identical, 'canonical input must round-trip byte for byte');
  assert.ok(WebAssembly.validate(rt.output));
  const a = transcript(bytes);
  assert.deepEqual(transcript(rt.output), a);
  return a;
}

const repoWasm = execFileSync('find', ['.', '-name', '*.wasm', '-not', '-path', './node_modules/*', '-not', '-path', './dist/*'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean)
  .sort();

test('every .wasm in the repository round-trips to an equivalent, valid, stable module', () => {
  assert.ok(repoWasm.length > 0);
  for (const rel of repoWasm) {
    const bytes = new Uint8Array(readFileSync(join(ROOT, rel)));
    const rt = roundTrip(bytes);
    assert.ok(WebAssembly.validate(rt.output), `${rel}: output must validate`);
    assert.ok(rt.stable, `${rel}: re-encoding the output must reproduce it`);
    // Linkers pad LEBs (relocation slots), so bytes may shrink; the decoded modules must be the same.
    assert.equal(sameAst(decode(bytes), decode(rt.output)), null, rel);
    assert.ok(rt.output.length <= bytes.length, `${rel}: canonical LEBs never grow the module`);
    // Without touching the bodies (lazy decoding copies them), the module comes back byte for byte.
    assert.ok(equalBytes(encode(decode(bytes)), bytes), `${rel}: unchanged module must be reproduced exactly`);
  }
});

test("binaryen's own 10 MB module round-trips byte for byte", () => {
  const bytes = binaryenWasm();
  assert.ok(bytes.length > 5_000_000);
  // One function at a time, as a rewriter works: every body to instructions and back.
  const m = decode(bytes, { checkBodies: false });
  let count = 0;
  for (const c of m.codes) {
    const code = c as LazyCode;
    const body = code.decodeBody();
    count += body.length;
    code.setBody(body);
  }
  assert.ok(count > 1_000_000);
  const out = encode(m, { sizeHint: bytes.length });
  assert.ok(equalBytes(out, bytes));
  assert.ok(WebAssembly.validate(out));
  // Unchanged bodies are copied as they were.
  assert.ok(equalBytes(encode(decode(bytes)), bytes));
});

function runWasi(bytes: Uint8Array, args: string[], stdin: string): { code: number; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-rt-'));
  try {
    writeFileSync(join(dir, 'in'), stdin);
    const inFd = openSync(join(dir, 'in'), 'r');
    const outFd = openSync(join(dir, 'out'), 'w');
    const wasi = new WASI({ version: 'preview1', args, env: {}, stdin: inFd, stdout: outFd, stderr: outFd, returnOnExit: true });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), wasi.getImportObject() as WebAssembly.Imports);
    const code = wasi.start(inst);
    closeSync(inFd);
    closeSync(outFd);
    return { code, stdout: readFileSync(join(dir, 'out'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('real C programs (wc, cat) behave the same after a round trip', () => {
  const poem = readFileSync(join(ROOT, 'examples/data/poem.txt'), 'utf8');
  for (const name of ['wc', 'cat']) {
    const bytes = new Uint8Array(readFileSync(join(ROOT, `examples/${name}.wasm`)));
    const out = roundTrip(bytes).output;
    const a = runWasi(bytes, [name], poem);
    const b = runWasi(out, [name], poem);
    assert.equal(a.code, 0);
    assert.ok(a.stdout.length > 0);
    assert.deepEqual(b, a);
  }
});

const PROGRAMS: Record<string, string> = {
  mvp: `(module
    (type $bin (func (param i32 i32) (result i32)))
    (memory (export "memory") 1 2)
    (global $g (mut i32) (i32.const 7))
    (global $c i64 (i64.const -1234567890123))
    (table 2 funcref)
    (elem (i32.const 0) $add $fac)
    (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
    (func $fac (param i32 i32) (result i32)
      (if (result i32) (i32.le_s (local.get 0) (i32.const 1)) (then (i32.const 1))
        (else (i32.mul (local.get 0) (call $fac (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))
    (func (export "fac") (param i32) (result i32)
      (call_indirect (type $bin) (i32.and (local.get 0) (i32.const 7)) (i32.const 0) (i32.const 1)))
    (func (export "loop") (param i32) (result i64) (local i64)
      (local.set 0 (i32.and (local.get 0) (i32.const 1023)))
      (block $out (loop $l (br_if $out (i32.eqz (local.get 0)))
        (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))
      (local.get 1))
    (func (export "table") (param i32) (result i32)
      (block $a (block $b (block $c (br_table $a $b $c (local.get 0))) (return (i32.const 30))) (return (i32.const 20)))
      (i32.const 10))
    (func (export "mem") (param i32) (result f64)
      (i32.store offset=4 align=2 (i32.const 0) (local.get 0))
      (f64.store (i32.const 16) (f64.convert_i32_s (i32.load offset=4 (i32.const 0))))
      (f64.sqrt (f64.load (i32.const 16))))
    (func (export "floats") (param f32) (result i32)
      (i32.reinterpret_f32 (f32.add (local.get 0) (f32.const nan:0x200000))))
    (func (export "f64bits") (result i64) (i64.reinterpret_f64 (f64.const -0x1.fffffffffffffp+1023)))
    (func (export "grow") (result i32) (drop (memory.grow (i32.const 1))) (memory.size))
    (func (export "trap") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
    (func (export "unreachable") unreachable)
    (func (export "glob") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
    (func (export "sel") (param i32) (result i64) (select (i64.const 1) (global.get $c) (local.get 0)))
    (func (export "big") (result i64) (i64.const 0x7fffffffffffffff))
    (data (i32.const 100) "hello")
    (func $init (global.set $g (i32.const 3)))
    (start $init))`,
  'sign-extension and saturating truncation': `(module
    (func (export "s8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
    (func (export "s16") (param i64) (result i64) (i64.extend16_s (local.get 0)))
    (func (export "s32") (param i64) (result i64) (i64.extend32_s (local.get 0)))
    (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
    (func (export "satu") (param f32) (result i64) (i64.trunc_sat_f32_u (local.get 0))))`,
  'multi-value': `(module
    (func $swap (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
    (func (export "sub") (param i32 i32) (result i32) (call $swap (local.get 0) (local.get 1)) (i32.sub))
    (func (export "pair") (param i32) (result i32 i64) (local.get 0) (i64.extend_i32_s (local.get 0)))
    (func (export "blk") (param i32) (result i32)
      (i32.const 5) (block (param i32) (result i32 i32) (local.get 0)) (i32.add)))`,
  'bulk memory and reference types': `(module
    (memory 1) (data $d "abcdef") (data (i32.const 0) "xy")
    (table $t 4 funcref) (table $e 2 externref)
    (elem $pass func $f1 $f2)
    (elem declare func $f3)
    (elem (table $t) (i32.const 2) func $f1)
    (elem $ex funcref (ref.func $f2) (ref.null func))
    (elem (i32.const 0) funcref (ref.func $f1))
    (elem (table $t) (i32.const 1) funcref (ref.func $f2))
    (elem declare funcref (ref.func $f1))
    (elem (i32.const 3) $f2)
    (func $f1 (result i32) (i32.const 1)) (func $f2 (result i32) (i32.const 2)) (func $f3 (result i32) (i32.const 3))
    (func (export "bulk") (param i32) (result i32)
      (memory.init $d (i32.const 10) (i32.const 1) (i32.const 4))
      (data.drop $d)
      (memory.copy (i32.const 20) (i32.const 10) (i32.const 4))
      (memory.fill (i32.const 30) (local.get 0) (i32.const 3))
      (i32.add (i32.load (i32.const 20)) (i32.load8_u (i32.const 31))))
    (func (export "tab") (result i32)
      (table.init $t $pass (i32.const 0) (i32.const 0) (i32.const 2)) (elem.drop $pass)
      (table.copy $t $t (i32.const 2) (i32.const 0) (i32.const 1))
      (drop (table.grow $t (ref.func $f3) (i32.const 2)))
      (table.fill $t (i32.const 4) (ref.null func) (i32.const 1))
      (table.set $t (i32.const 5) (ref.func $f3))
      (i32.add (table.size $t)
        (i32.add (call_indirect (result i32) (i32.const 1)) (ref.is_null (table.get $t (i32.const 4))))))
    (func (export "ext") (param externref) (result i32)
      (table.set $e (i32.const 0) (local.get 0)) (ref.is_null (table.get $e (i32.const 0))))
    (func (export "selt") (param i32) (result i32)
      (ref.is_null (select (result funcref) (ref.func $f1) (ref.null func) (local.get 0)))))`,
  simd: `(module (memory 1)
    (func (export "simd") (param i32) (result i32)
      (v128.store (i32.const 0)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 (v128.const i32x4 1 2 3 4) (i32x4.splat (local.get 0))))
      (v128.store64_lane 1 (i32.const 32) (v128.load8x8_u (i32.const 0)))
      (i32.add (i8x16.extract_lane_u 15 (v128.load (i32.const 0)))
        (i32.add (i32x4.extract_lane 2 (i32x4.add (v128.load32_splat (i32.const 0)) (v128.load32_zero (i32.const 4))))
          (i32.add (i64x2.all_true (v128.load (i32.const 32)))
            (i8x16.bitmask (i8x16.popcnt (v128.load64_lane 0 (i32.const 8) (v128.const i64x2 -1 0))))))))
    (func (export "fp") (param f64) (result f64)
      (f64x2.extract_lane 1 (f64x2.nearest (f64x2.mul (f64x2.splat (local.get 0)) (v128.const f64x2 1.5 -2.25)))))
    (func (export "dot") (param i32) (result i32)
      (i32x4.extract_lane 0 (i32x4.dot_i16x8_s (i16x8.splat (local.get 0)) (v128.const i16x8 1 2 3 4 5 6 7 8)))))`,
  'tail calls': `(module (type $t (func (param i64 i64) (result i64))) (table 1 funcref) (elem (i32.const 0) $acc)
    (func $acc (param i64 i64) (result i64)
      (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
        (else (return_call $acc (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (local.get 0))))))
    (func (export "sum") (param i64) (result i64)
      (return_call_indirect (type $t) (i64.and (local.get 0) (i64.const 0xfffff)) (i64.const 0) (i32.const 0))))`,
  'exceptions (legacy try/catch/delegate)': `(module (tag $e (param i32)) (tag $e2)
    (func $thrower (param i32) (if (local.get 0) (then (throw $e (local.get 0)))))
    (func (export "eh") (param i32) (result i32)
      (try (result i32) (do (call $thrower (local.get 0)) (i32.const 0))
        (catch $e (i32.add (i32.const 100)))
        (catch_all (i32.const -1))))
    (func (export "rethrow") (param i32) (result i32)
      (try (result i32)
        (do (try (result i32) (do (call $thrower (local.get 0)) (i32.const 1)) (catch $e (drop) (rethrow 0))))
        (catch $e)))
    (func (export "delegate") (param i32) (result i32)
      (try (result i32) (do (try (do (call $thrower (local.get 0))) (delegate 0)) (i32.const 7)) (catch $e)))
    (func (export "uncaught") (throw $e2))
    (export "tag" (tag $e)))`,
  threads: `(module (memory 1 1 shared)
    (func (export "atomics") (param i32) (result i32)
      (i32.atomic.store (i32.const 0) (local.get 0))
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 5)))
      (drop (i64.atomic.rmw32.cmpxchg_u (i32.const 8) (i64.const 0) (i64.const 9)))
      (drop (i32.atomic.rmw8.xchg_u (i32.const 16) (i32.const 3)))
      (atomic.fence)
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (i32.add (i32.atomic.load (i32.const 0)) (i32.wrap_i64 (i64.atomic.load (i32.const 8))))))`,
};

for (const [name, text] of Object.entries(PROGRAMS)) {
  test(`WAT: ${name} round-trips byte for byte and behaves the same`, () => {
    const log = checkIdentical(wat(text));
    assert.ok(log.some((l) => /^call \S+ -> /.test(l)), 'the program was exercised');
  });
}

test('all eight element segment encodings are decoded and re-encoded', () => {
  const m = decode(wat(PROGRAMS['bulk memory and reference types']!));
  const flags = new Set(m.elems.map((e) => e.flags));
  // wabt picks the shortest encoding; the remaining forms come from hand-made segments below.
  const extra = [
    // flags 1: passive, elemkind 0x00, func 0
    [0x01, 0x00, 0x01, 0x00],
    // flags 2: table 0, offset (i32.const 0), elemkind, func 0
    [0x02, 0x00, 0x41, 0x00, 0x0b, 0x00, 0x01, 0x00],
    // flags 4: offset, exprs (ref.func 0)
    [0x04, 0x41, 0x00, 0x0b, 0x01, 0xd2, 0x00, 0x0b],
    // flags 5: passive funcref exprs (ref.null func)
    [0x05, 0x70, 0x01, 0xd0, 0x70, 0x0b],
    // flags 6: table 0, offset, funcref, exprs
    [0x06, 0x00, 0x41, 0x01, 0x0b, 0x70, 0x01, 0xd2, 0x00, 0x0b],
    // flags 7: declarative funcref exprs
    [0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b],
    // flags 0 and 3
    [0x00, 0x41, 0x00, 0x0b, 0x01, 0x00],
    [0x03, 0x00, 0x01, 0x00],
  ];
  const elemSection = [extra.length, ...extra.flat()];
  const bytes = new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // type () -> ()
    ...[0x03, 0x02, 0x01, 0x00], // one function
    ...[0x04, 0x04, 0x01, 0x70, 0x00, 0x02], // table 2 funcref
    ...[0x09, elemSection.length, ...elemSection],
    ...[0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b], // body: end
  ]);
  assert.ok(WebAssembly.validate(bytes));
  const hm = decode(bytes);
  for (const e of hm.elems) flags.add(e.flags);
  assert.deepEqual([...flags].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  const out = encode(hm);
  assert.deepEqual(out, bytes);
});

test('custom sections keep their positions; the name section survives', () => {
  const named = wat(PROGRAMS['multi-value']!, true);
  const m = decode(named);
  assert.ok(m.customs.some((c) => c.name === 'name'));
  assert.deepEqual(encode(m), named);

  const custom = (name: string, data: number[]): number[] => {
    const body = [name.length, ...Buffer.from(name), ...data];
    return [0x00, body.length, ...body];
  };
  const bytes = new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...custom('first', [1, 2, 3]),
    ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00],
    ...custom('after-type', []),
    ...custom('after-type-2', [9]),
    ...[0x03, 0x02, 0x01, 0x00],
    ...[0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b],
    ...custom('last', [0xff]),
  ]);
  assert.ok(WebAssembly.validate(bytes));
  const cm = decode(bytes);
  assert.deepEqual(
    cm.customs.map((c) => [c.name, c.after]),
    [
      ['first', 0],
      ['after-type', 1],
      ['after-type-2', 1],
      ['last', 10],
    ],
  );
  assert.deepEqual(encode(cm), bytes);
});

test('instructions keep their byte offsets', () => {
  const bytes = wat(`(module (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1000))))`);
  const m = decode(bytes);
  const body = m.codes[0]!.body;
  assert.deepEqual(
    body.map((i) => i.op),
    [0x20, 0x41, 0x6a, 0x0b],
  );
  for (const ins of body) assert.equal(bytes[ins.offset], ins.op);
  assert.equal(body[1]!.imm, 1000);
  assert.equal(body[2]!.offset - body[1]!.offset, 3); // 0x41 + two LEB bytes
});

test('scan visits the same instructions as decodeBody; setRaw splices bytes into a working module', () => {
  const bytes = wat(PROGRAMS.mvp!);
  const m = decode(bytes);
  const fresh = decode(bytes);
  let loops = 0;
  for (let f = 0; f < m.codes.length; f++) {
    const code = m.codes[f] as LazyCode;
    const seen: [number, number, number][] = [];
    const body = code.scan((op, start, end) => seen.push([op, start, end]));
    const instrs = (fresh.codes[f] as LazyCode).decodeBody();
    assert.deepEqual(
      seen.map(([op, start]) => [op, start]),
      instrs.map((i) => [i.op, i.offset]),
    );
    // Ranges tile the body exactly.
    assert.equal(seen[0]![1], body.start);
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i]![1], seen[i - 1]![2]);
    assert.equal(seen[seen.length - 1]![2], body.end);
    // Splice a `nop` after every loop header.
    const parts: number[] = [];
    let copied = body.start;
    for (const [op, , end] of seen) {
      if (op !== 0x03) continue;
      parts.push(...body.bytes.subarray(copied, end), 0x01);
      copied = end;
      loops++;
    }
    parts.push(...body.bytes.subarray(copied, body.end));
    code.setRaw(new Uint8Array(parts));
  }
  assert.ok(loops > 0);
  const out = encode(m);
  assert.equal(out.length, bytes.length + loops);
  assert.ok(WebAssembly.validate(out));
  assert.deepEqual(transcript(out), transcript(bytes));
  assert.ok(decode(out, { lazy: false }).codes.some((c) => c.body.some((i, k) => i.op === 0x03 && c.body[k + 1]!.op === 0x01)));
});

test('featuresUsed names the proposals each program uses', () => {
  const expect: Record<string, string[]> = {
    mvp: [],
    'sign-extension and saturating truncation': ['sat-float-to-int', 'sign-extension'],
    'multi-value': ['multi-value'],
    'bulk memory and reference types': ['bulk-memory', 'reference-types'],
    simd: ['simd'],
    'tail calls': ['tail-call'],
    'exceptions (legacy try/catch/delegate)': ['exceptions'],
    threads: ['threads'],
  };
  for (const [name, text] of Object.entries(PROGRAMS)) {
    assert.deepEqual(featuresUsed(decode(wat(text))), expect[name], name);
  }
  // The same answer from materialised bodies as from scanned ones.
  const m = decode(wat(PROGRAMS.simd!), { lazy: false });
  assert.deepEqual(featuresUsed(m), ['simd']);
});
