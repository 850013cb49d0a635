// GC (struct/array types, rec groups, subtypes, i31, casts, the GC branches, call_ref) through the fuel
// rewriter (V8 runs it from Node 24; on older Node these tests skip): rewritten modules behave as the
// originals, allocations and bulk array operations are charged per element (an allocation bomb is stopped by
// fuel), indices stay checked against the original module, instance recycling leaves GC-mutating modules
// alone, and a policy can deny the `gc` feature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instrument } from '../src/instrument/index.js';
import { LimitMeter } from '../src/limits/meter.js';
import { RunAbort } from '../src/wasi/options.js';
import { WardenError } from '../src/errors.js';
import { createWorkerPool, run } from '../src/index.js';
import { recyclePlan } from '../src/pool/recycle.js';
import { leb } from '../src/binary/writer.js';
import { checkPolicy, parsePolicy } from '../src/policy/index.js';

/** (module (type (struct))): whether V8 here runs GC. */
const GC = WebAssembly.validate(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 3, 1, 0x5f, 0]));
const skip = GC ? false : `V8 in Node ${process.versions.node} does not run GC`;

type Binaryen = typeof import('binaryen').default;
let binaryen: Binaryen | undefined;

/** Assembles GC text with binaryen (wabt has no GC). */
async function gcWat(text: string): Promise<Uint8Array> {
  binaryen ??= (await import('binaryen')).default;
  const m = binaryen.parseText(text);
  try {
    const F = binaryen.Features;
    // (what V8 in Node 24 runs: no exact types (custom descriptors, 1 << 21), strings, shared-everything, stack switching)
    m.setFeatures(F.MVP | F.MutableGlobals | F.NontrappingFPToInt | F.SignExt | F.BulkMemory | F.ReferenceTypes | F.Multivalue | F.TailCall | F.GC | F.ExtendedConst);
    assert.ok(m.validate(), 'binaryen validates the test module');
    const bytes = m.emitBinary();
    assert.ok(WebAssembly.validate(bytes), 'V8 validates the test module');
    return bytes;
  } finally {
    m.dispose();
  }
}

type Exports = Record<string, (...a: unknown[]) => unknown>;

function instantiate(bytes: Uint8Array, meter?: LimitMeter): WebAssembly.Instance {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), (meter ? { warden: { fuel: meter.refill } } : {}) as WebAssembly.Imports);
}

function call(i: WebAssembly.Instance, name: string, ...args: unknown[]): unknown {
  try {
    return (i.exports as Exports)[name]!(...args);
  } catch (e) {
    return e instanceof RunAbort ? `abort: ${e.error.kind}` : `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

const MODULE = `(module
  (rec
    (type $node (sub (struct (field $v (mut i32)) (field $next (ref null $node)))))
    (type $leaf (sub final $node (struct (field $v (mut i32)) (field $next (ref null $node)) (field $w i64)))))
  (type $bytes (array (mut i8)))
  (type $refs (array (mut (ref null $node))))
  (type $fn (func (param i32) (result i32)))
  (global $g (ref $node) (struct.new $node (i32.const 5) (ref.null $node)))
  (global $fixed (ref $bytes) (array.new_fixed $bytes 3 (i32.const 1) (i32.const 2) (i32.const 3)))
  (data $d "abcdefghijklmnop")
  (elem $e (ref null $node) (item (struct.new $node (i32.const 9) (ref.null $node))) (item (ref.null $node)))
  (elem declare func $double $sum)
  (func $double (type $fn) (i32.mul (local.get 0) (i32.const 2)))
  (func $sum (export "sum") (param $n i32) (result i32)
    (local $list (ref null $node)) (local $acc i32)
    (loop $build
      (local.set $list (struct.new $node (local.get $n) (local.get $list)))
      (br_if $build (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (block $done
      (loop $walk
        (local.set $acc (i32.add (local.get $acc) (struct.get $node $v (br_on_null $done (local.get $list)))))
        (local.set $list (struct.get $node $next (ref.as_non_null (local.get $list))))
        (br $walk)))
    (local.get $acc))
  (func (export "kind") (param $x i32) (result i32)
    (local $r anyref)
    (local.set $r
      (if (result anyref) (i32.eqz (local.get $x))
        (then (ref.i31 (i32.const 77)))
        (else (if (result anyref) (i32.eq (local.get $x) (i32.const 1))
          (then (struct.new $leaf (i32.const 1) (ref.null $node) (i64.const 2)))
          (else (if (result anyref) (i32.eq (local.get $x) (i32.const 2))
            (then (array.new_default $bytes (i32.const 4)))
            (else (ref.null any))))))))
    (block $isnull
      (block $i31 (result (ref i31))
        (block $node (result (ref $node))
          (drop (br_on_cast $i31 anyref (ref i31) (br_on_null $isnull (local.get $r))))
          (drop (br_on_cast $node anyref (ref $node) (local.get $r)))
          (return (i32.const 3)))
        (return (i32.add (i32.const 10) (ref.test (ref $leaf) (local.get $r)))))
      (return (i31.get_s)))
    (i32.const -1))
  (func (export "castfail") (param $x i32) (result i32)
    (block $not_node (result anyref)
      (return (struct.get $node $v
        (br_on_cast_fail $not_node anyref (ref $node)
          (if (result anyref) (local.get $x)
            (then (struct.new $node (local.get $x) (ref.null $node)))
            (else (ref.i31 (i32.const 1))))))))
    (drop)
    (i32.const -2))
  (func (export "exit_on_cast") (param $x i32) (result anyref)
    (drop (br_on_cast 0 anyref (ref i31) (ref.i31 (local.get $x))))
    (ref.null any))
  (func (export "arrays") (param $n i32) (result i32)
    (local $a (ref $bytes)) (local $b (ref $bytes)) (local $r (ref $refs))
    (local.set $a (array.new $bytes (i32.const 7) (local.get $n)))
    (array.fill $bytes (local.get $a) (i32.const 1) (i32.const 9) (i32.sub (local.get $n) (i32.const 2)))
    (local.set $b (array.new_data $bytes $d (i32.const 2) (local.get $n)))
    (array.copy $bytes $bytes (local.get $b) (i32.const 0) (local.get $a) (i32.const 1) (i32.const 3))
    (array.init_data $bytes $d (local.get $a) (i32.const 0) (i32.const 4) (i32.const 2))
    (local.set $r (array.new_elem $refs $e (i32.const 0) (i32.const 2)))
    (array.init_elem $refs $e (local.get $r) (i32.const 1) (i32.const 0) (i32.const 1))
    (array.set $bytes (local.get $a) (i32.const 0) (i32.const -1))
    (i32.add
      (i32.add (array.get_u $bytes (local.get $a) (i32.const 0)) (array.get_s $bytes (local.get $b) (i32.const 2)))
      (i32.add
        (i32.mul (array.len (local.get $b)) (i32.const 1000))
        (i32.add (struct.get $node $v (ref.as_non_null (array.get $refs (local.get $r) (i32.const 1))))
          (array.get_u $bytes (global.get $fixed) (i32.const 2))))))
  (func (export "refs") (param $x i32) (result i32)
    (local $f (ref null $fn))
    (local.set $f (select (result (ref null $fn)) (ref.func $double) (ref.null $fn) (local.get $x)))
    (i32.add
      (ref.eq (global.get $g) (global.get $g))
      (i32.add
        (ref.is_null (any.convert_extern (extern.convert_any (global.get $g))))
        (call_ref $fn (i32.const 21)
          (block $nonnull (result (ref $fn))
            (br_on_non_null $nonnull (local.get $f))
            (return (i32.const -3)))))))
  (func $countdown (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 100))
      (else (return_call_ref $fn (i32.sub (local.get $n) (i32.const 1)) (ref.func $countdown_fn)))))
  (func $countdown_fn (type $fn) (return_call $countdown (local.get 0)))
  (elem declare func $countdown_fn)
  (func (export "tail") (param i32) (result i32) (call $countdown (local.get 0)))
  (func (export "walk") (param $n i32) (result i32)
    (local $r anyref) (local $i i32)
    (i32.add
      (i31.get_u
        (block $out (result (ref i31))
          (loop $l
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $r (if (result anyref) (i32.ge_u (local.get $i) (local.get $n))
              (then (ref.i31 (local.get $i)))
              (else (struct.new $node (local.get $i) (ref.null $node)))))
            (drop (br_on_cast $out anyref (ref i31) (local.get $r)))
            (br $l))
          (unreachable)))
      (ref.is_null
        (block $out2 (result anyref)
          (loop $l2
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (drop (br_on_cast_fail $out2 anyref (ref $node)
              (if (result anyref) (local.get $i) (then (struct.new $node (local.get $i) (ref.null $node))) (else (ref.null none)))))
            (br $l2))
          (unreachable)))))
  (func (export "cast") (param $x i32) (result i32)
    (struct.get $node $v (ref.cast (ref $node)
      (if (result anyref) (local.get $x) (then (global.get $g)) (else (ref.i31 (i32.const 0))))))))`;

const CALLS: [string, ...unknown[]][] = [
  ['sum', 1], ['sum', 10], ['sum', 1000],
  ['kind', 0], ['kind', 1], ['kind', 2], ['kind', 3],
  ['castfail', 0], ['castfail', 6],
  ['arrays', 2], ['arrays', 5], ['arrays', 14], ['arrays', 15], ['arrays', 0],
  ['refs', 0], ['refs', 1],
  ['tail', 0], ['tail', 10000],
  ['walk', 1], ['walk', 50],
  ['cast', 1], ['cast', 0],
];

test('GC: the rewritten module gives the same results and traps as the original (also with a tiny fuel slice)', { skip }, async () => {
  const bytes = await gcWat(MODULE);
  const results = (b: Uint8Array, meter?: LimitMeter): unknown[] => {
    const i = instantiate(b, meter);
    const r: unknown[] = CALLS.map(([name, ...args]) => call(i, name, ...args));
    const e = call(i, 'exit_on_cast', 3);
    r.push(typeof e === 'object' ? 'a reference' : e);
    return r;
  };
  const want = results(bytes);
  assert.ok(want.some((r) => typeof r === 'string' && r.startsWith('RuntimeError')), 'the calls exercise traps too');
  const r = instrument(bytes, { memoryBytes: 1 << 20, tableElements: 100 });
  assert.deepEqual(results(r.bytes, new LimitMeter(1n << 50n, 1e9)), want);
  assert.deepEqual(results(r.bytes, new LimitMeter(1n << 50n, 1e9, 3n)), want, 'refilled every few units');
});

test('GC: allocations and bulk array operations are charged one unit per element (struct.new: per field)', { skip }, async () => {
  const bytes = await gcWat(`(module
    (type $a (array (mut i64)))
    (type $b (array (mut i8)))
    (data $d "${'x'.repeat(64)}")
    (elem $e funcref (item (ref.null func)) (item (ref.null func)) (item (ref.null func)) (item (ref.null func)))
    (type $f (array (mut funcref)))
    (global $big (mut (ref null $a)) (ref.null $a))
    (global $bytes (mut (ref null $b)) (ref.null $b))
    (global $fns (mut (ref null $f)) (ref.null $f))
    (func (export "new_default") (param i32) (drop (array.new_default $a (local.get 0))))
    (func (export "new") (param i32) (drop (array.new $a (i64.const 1) (local.get 0))))
    (func (export "new_data") (param i32) (drop (array.new_data $b $d (i32.const 0) (local.get 0))))
    (func (export "new_elem") (param i32) (drop (array.new_elem $f $e (i32.const 0) (local.get 0))))
    (func (export "fill") (param i32) (array.fill $a (global.get $big) (i32.const 0) (i64.const 3) (local.get 0)))
    (func (export "copy") (param i32) (array.copy $a $a (global.get $big) (i32.const 0) (global.get $big) (i32.const 1) (local.get 0)))
    (func (export "init_data") (param i32) (array.init_data $b $d (global.get $bytes) (i32.const 0) (i32.const 0) (local.get 0)))
    (func (export "init_elem") (param i32) (array.init_elem $f $e (global.get $fns) (i32.const 0) (i32.const 0) (local.get 0)))
    (func (export "fixed") (drop (array.new_fixed $b 5 (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5))))
    (func (export "fixed1") (drop (array.new_fixed $b 1 (i32.const 1))))
    (type $s5 (struct (field i32) (field i64) (field f32) (field (ref null $a)) (field (mut i8))))
    (type $s1 (struct (field i32)))
    (func (export "struct5") (drop (struct.new_default $s5)))
    (func (export "struct1") (drop (struct.new_default $s1)))
    (func (export "setup")
      (global.set $big (array.new_default $a (i32.const 4096)))
      (global.set $bytes (array.new_default $b (i32.const 64)))
      (global.set $fns (array.new_default $f (i32.const 4)))))`);
  const r = instrument(bytes);
  const global = r.requires.fuel!.global;
  const used = (name: string, n?: number): bigint => {
    const meter = new LimitMeter(1n << 50n, 1e9);
    const i = instantiate(r.bytes, meter);
    assert.equal(call(i, 'setup'), undefined);
    const counter = (): bigint => (i.exports[global] as WebAssembly.Global).value as bigint;
    const before = meter.used(counter());
    assert.equal(call(i, name, ...(n === undefined ? [] : [n])), undefined, name);
    return meter.used(counter()) - before;
  };
  const cases: [string, number][] = [['new_default', 4096], ['new', 4096], ['fill', 2048], ['copy', 1024], ['new_data', 32], ['init_data', 32], ['new_elem', 2], ['init_elem', 2]];
  for (const [name, n] of cases) assert.equal(used(name, 2 * n) - used(name, n), BigInt(n), `${name}: one unit per element`);
  assert.equal(used('fixed') - used('fixed1'), 4n + 4n, 'array.new_fixed: one per element (and one per i32.const operand)');
  assert.equal(used('struct5') - used('struct1'), 4n, 'struct.new_default: one per field');
});

test('GC: an allocation bomb (array.new of 2^30 elements, in a loop) is stopped by fuel', { skip }, async () => {
  const bytes = await gcWat(`(module
    (type $a (array (mut i64)))
    (func (export "bomb") (param $n i32) (loop $l (drop (array.new_default $a (local.get $n))) (br $l)))
    (func (export "_start") (loop $l (drop (array.new_default $a (i32.const 0x40000000))) (br $l))))`);
  const r = instrument(bytes);
  // 2^30 elements are charged before they are allocated: a budget below that stops the first one
  let meter = new LimitMeter(1n << 29n, 1e9);
  assert.equal(call(instantiate(r.bytes, meter), 'bomb', 2 ** 30), 'abort: fuel');
  // smaller arrays, allocated over and over: stopped after about budget / length of them
  meter = new LimitMeter(1n << 24n, 1e9);
  assert.equal(call(instantiate(r.bytes, meter), 'bomb', 2 ** 12), 'abort: fuel');
  assert.equal(meter.used(), 1n << 24n);
  // through run(): a fuel error, not a crash or a trap
  const result = await run(bytes, { limits: { fuel: 1_000_000_000 } });
  assert.equal(result.error?.kind, 'fuel');
});

test('GC: in a worker pool with resourceLimits, a run that fills the heap ends with a memory error', { skip }, async () => {
  // keeps every array reachable (a list of structs): fuel alone would let it fill the heap first
  const bytes = await gcWat(`(module (type $a (array (mut i64))) (rec (type $n (struct (field (ref null $n)) (field (ref $a)))))
    (func (export "_start") (local $l (ref null $n))
      (loop $x (local.set $l (struct.new $n (local.get $l) (array.new_default $a (i32.const 100000)))) (br $x))))`);
  const pool = createWorkerPool({ size: 1, resourceLimits: { maxOldGenerationSizeMb: 48 } });
  try {
    const r = await pool.run(bytes, { limits: { timeoutMs: 60_000 } });
    assert.equal(r.error?.kind, 'memory');
    assert.match(r.error!.message, /heap limit/);
    // (the worker's V8 heap limit, or the meter's heap watch near it, whichever sees it first)
    assert.ok(pool.replaced <= 1);
    assert.equal((await pool.run(bytes, { limits: { fuel: 1_000_000 } })).error?.kind, 'fuel', 'the pool goes on');
  } finally {
    await pool.close();
  }
});

test('GC: objects created by constant expressions (at instantiation, unmetered) count against the memory cap', { skip }, async () => {
  // two arrays of 10^8 i64s: 1.6 GB at instantiation, before any guest code runs
  const bomb = await gcWat(`(module (type $a (array (mut i64)))
    (global (ref $a) (array.new_default $a (i32.const 100000000)))
    (global (ref $a) (array.new_default $a (i32.const 100000000)))
    (func (export "_start")))`);
  assert.throws(
    () => instrument(bomb, { memoryBytes: 1 << 30 }),
    (e: unknown) => e instanceof WardenError && e.kind === 'memory' && /constant expressions create 1600000000 bytes of GC objects at instantiation/.test(e.message),
  );
  const refused = await run(bomb);
  assert.equal(refused.error?.kind, 'memory', 'refused before instantiating, under the default memory limit');
  // with linear memory: both count
  const mixed = await gcWat(`(module (type $s (struct (field i64) (field i32) (field i8))) (type $b (array i8)) (memory 14)
    (global (ref $b) (array.new_fixed $b 3 (i32.const 1) (i32.const 2) (i32.const 3)))
    (global (ref $s) (struct.new_default $s))
    (global (ref $b) (array.new_default $b (i32.const 65536)))
    (func (export "_start")))`);
  assert.equal(instrument(mixed, { memoryBytes: 16 * 65536 }).requires.memoryCapBytes, 16 * 65536);
  assert.throws(() => instrument(mixed, { memoryBytes: 15 * 65536 }), /constant expressions create 65552 bytes of GC objects/);
  assert.equal((await run(mixed, { limits: { memoryBytes: 16 * 65536 } })).error, undefined);
  // a length that is not a literal cannot be sized before instantiation: refused when a memory cap applies
  const computed = await gcWat(`(module (type $a (array i8))
    (global (ref $a) (array.new_default $a (i32.mul (i32.const 65536) (i32.const 65536))))
    (func (export "_start")))`);
  assert.throws(() => instrument(computed, { memoryBytes: 1 << 30 }), /unsupported: array.new_default in a constant expression with a length other than an i32.const at offset 0x/);
});

test('GC: an in-process run that keeps its GC objects ends with a memory error past memoryBytes of heap growth', { skip }, async () => {
  const bytes = await gcWat(`(module (type $a (array (mut i64))) (rec (type $n (struct (field (ref null $n)) (field (ref $a)))))
    (global $keep (mut (ref null $n)) (ref.null $n))
    (func (export "keep") (param $n i32)
      (loop $x (global.set $keep (struct.new $n (global.get $keep) (array.new_default $a (i32.const 100000))))
        (br_if $x (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (func (export "churn") (param $n i32)
      (loop $x (drop (array.new_default $a (i32.const 100000))) (br_if $x (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))`);
  const limits = { memoryBytes: 64 << 20 };
  // 800 KB kept per iteration, without end: stopped after about 64 MiB (checked at each fuel refill)
  const kept = await run(bytes, { invoke: 'keep', invokeArgs: [0], limits });
  assert.equal(kept.error?.kind, 'memory', String(kept.error?.message));
  assert.match(kept.error!.message, /heap limit: the guest's GC objects grew V8's heap by \d+ bytes, above the limit of 67108864 bytes/);
  // the same amount allocated over and over but not kept is garbage: not stopped
  const churned = await run(bytes, { invoke: 'churn', invokeArgs: [300], limits });
  assert.equal(churned.error, undefined);
  // a long-lived instance: counted from its creation, over all its calls
  const { compile } = await import('../src/index.js');
  const instance = await (await compile(bytes)).instantiate({ limits });
  try {
    let error: unknown;
    for (let i = 0; i < 20 && !error; i++) await instance.call('keep', 10).catch((e: unknown) => (error = e));
    assert.ok(error instanceof WardenError && error.kind === 'memory', String(error));
  } finally {
    instance.close();
  }
});

/** A module with one type section entry list and one function body (bytes of its code), for validity cases. */
function moduleOf(types: number[][], body: number[], extra: number[] = []): Uint8Array {
  const section = (id: number, content: number[]): number[] => [id, ...leb(content.length), ...content];
  const typeSec = section(1, [types.length, ...types.flat()]);
  const code = [0, ...body, 0x0b];
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...typeSec, ...section(3, [1, 0]), ...extra, ...section(10, [1, ...leb(code.length), ...code])]);
}

test('GC: type indices one past the end stay invalid after the rewrite (it appends a function type)', { skip }, () => {
  const VOID = [0x60, 0, 0];
  const STRUCT = [0x5f, 1, 0x7f, 1];
  const cases: [string, Uint8Array][] = [
    ['struct.new of type 2', moduleOf([VOID, STRUCT], [0x41, 0, 0xfb, 0, 2, 0x1a])],
    ['array.copy with a second type 2', moduleOf([VOID, [0x5e, 0x7f, 1]], [0xd0, 1, 0x41, 0, 0xd0, 1, 0x41, 0, 0x41, 0, 0xfb, 17, 1, 2])],
    ['ref.test (ref 2)', moduleOf([VOID, STRUCT], [0xd0, 0x6e, 0xfb, 20, 2, 0x1a])],
    ['ref.cast (ref null 2)', moduleOf([VOID, STRUCT], [0xd0, 0x6e, 0xfb, 23, 2, 0x1a])],
    ['br_on_cast to (ref 2)', moduleOf([VOID, STRUCT], [0x02, 0x6e, 0xd0, 0x6e, 0xfb, 24, 1, 0, 0x6e, 2, 0x0b, 0x1a])],
    ['select (result (ref null 2))', moduleOf([VOID, STRUCT], [0xd0, 0x73, 0xd0, 0x73, 0x41, 0, 0x1c, 1, 0x63, 2, 0x1a])],
    ['ref.null 2 in a global initialiser', moduleOf([VOID, STRUCT], [], [0x06, 5, 1, 0x70, 0, 0xd0, 2, 0x0b])],
    ['struct.new_default 2 in a global initialiser', moduleOf([VOID, STRUCT], [], [0x06, 6, 1, 0x6e, 0, 0xfb, 1, 2, 0x0b])],
  ];
  for (const [name, bytes] of cases) {
    assert.equal(WebAssembly.validate(bytes), false, `${name}: the test module is invalid`);
    let out: Uint8Array;
    try {
      out = instrument(bytes).bytes;
    } catch (e) {
      assert.ok(e instanceof WardenError && e.kind === 'invalid-module', `${name}: ${e}`);
      continue;
    }
    assert.equal(WebAssembly.validate(out), false, `${name}: the rewriter made an invalid module valid`);
  }
  // the same with type 1 are valid, before and after the rewrite
  const ok = moduleOf([VOID, STRUCT], [0x41, 0, 0xfb, 0, 1, 0x1a]);
  assert.ok(WebAssembly.validate(ok) && WebAssembly.validate(instrument(ok).bytes));
});

test('GC: modules that mutate GC objects are not recycled (an object in an immutable global would keep changes)', { skip }, async () => {
  const mutating = await gcWat(`(module (type $s (struct (field (mut i32)))) (memory 1)
    (global $g (ref $s) (struct.new $s (i32.const 0)))
    (func (export "_start") (struct.set $s 0 (global.get $g) (i32.add (struct.get $s 0 (global.get $g)) (i32.const 1)))))`);
  assert.equal(recyclePlan(mutating), 'mutates a GC object');
  const reading = await gcWat(`(module (type $s (struct (field i32))) (memory 1)
    (global $g (ref $s) (struct.new $s (i32.const 0)))
    (func (export "_start") (drop (struct.get $s 0 (global.get $g)))))`);
  assert.equal(typeof recyclePlan(reading), 'object');
});

test('a policy can deny the gc feature', { skip }, async () => {
  const bytes = await gcWat('(module (type $s (struct (field i32))) (func (export "_start") (drop (struct.new $s (i32.const 1)))))');
  const findings = checkPolicy(bytes, parsePolicy({ features: { deny: ['gc'] } }, 'test-policy'));
  assert.deepEqual(
    findings.map((f) => `${f.rule} ${f.field} ${f.subject}`),
    ['feature features.deny gc'],
  );
});
