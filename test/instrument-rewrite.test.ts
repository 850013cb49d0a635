// The rewriter on its own: refusals with offsets, exact and deterministic fuel counts, memory and table caps,
// exception handling kept intact, and what it tells the host to supply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instrument, FUEL_IMPORT } from '../src/index.js';
import { LimitMeter } from '../src/limits/meter.js';
import { wat } from './api-modules.js';
import { leb } from '../src/binary/writer.js';
import { MAX_LOOP_WORK, MAX_LOOPS_PER_FUNCTION } from '../src/instrument/body.js';

/** Instantiates an instrumented module with a fuel meter; returns its exports and the meter. */
function load(bytes: Uint8Array, budget = 1n << 40n, imports: WebAssembly.Imports = {}) {
  const meter = new LimitMeter(budget, 60_000);
  const inst = instrument(bytes, {});
  const instance = new WebAssembly.Instance(new WebAssembly.Module(inst.bytes), { ...imports, warden: { fuel: meter.refill } });
  const used = (): bigint => meter.used((instance.exports[inst.requires.fuel!.global] as WebAssembly.Global).value as bigint);
  return { exports: instance.exports as Record<string, (...a: unknown[]) => unknown>, used, requires: inst.requires };
}

/** A module with one function whose body is `body` (raw instruction bytes, ending with 0x0b). */
function rawModule(body: number[]): Uint8Array {
  const code = [0x00, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
    0x03, 0x02, 0x01, 0x00, // func 0: type 0
    0x0a, code.length + 2, 0x01, code.length, ...code,
  ]);
}

test('refuses what it does not know, with the offset', () => {
  assert.throws(() => instrument(rawModule([0xfc, 0x20, 0x0b])), /^BinaryError: unsupported: opcode 0xfc 0x20 at offset 0x17$|unsupported: opcode 0xfc 0x20 at offset 0x17/);
  // (stringref's string.new_utf8, which V8 runs only behind a flag)
  assert.throws(() => instrument(rawModule([0xfb, 0x80, 0x01, 0x00, 0x0b])), /unsupported: opcode 0xfb 0x80 at offset 0x17/);
  assert.throws(() => instrument(rawModule([0xe0, 0x0b])), /unsupported: opcode 0xe0 at offset 0x17/);
});

test('refuses blocking atomics and a module importing the fuel function itself', async () => {
  const waits = await wat(
    `(module (memory 1 1) (func (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))`,
    { threads: true },
  );
  assert.throws(() => instrument(waits), /unsupported: memory\.atomic\.wait \(it can block past the deadline\) at offset 0x/);
  const sneaky = await wat(`(module (import "warden" "fuel" (func (param i64) (result i64))))`);
  assert.throws(() => instrument(sneaky), /unsupported: import "warden" "fuel" \(reserved for the fuel meter\)/);
});

test('refuses functions V8 cannot take once metered, or would compile for minutes: too many locals or loops', () => {
  /** A module with one function: `locals` i32 locals and `body` (raw instruction bytes, ending with 0x0b). */
  const big = (locals: number, body: number[]): Uint8Array => {
    const fn = [...(locals > 0 ? [1, ...leb(locals), 0x7f] : [0]), ...body];
    const code = [1, ...leb(fn.length), ...fn];
    return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0, 0, 0, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, ...leb(code.length), ...code]);
  };
  // 50,000 locals is V8's limit: valid as it is, but metering adds its own
  const manyLocals = big(50000, [0x0b]);
  new WebAssembly.Module(manyLocals);
  assert.throws(() => instrument(manyLocals), /unsupported: function with 50000 locals \(metering adds \d, and V8 takes at most 50000\) at offset 0x/);
  instrument(big(49990, [0x0b]));
  // loops: 2,048 in one function are metered, one more is refused (at the loop's offset)
  const loops = (n: number): Uint8Array => big(0, [...Array.from({ length: n }, () => [0x03, 0x40, 0x0b]).flat(), 0x0b]);
  const ok = instrument(loops(MAX_LOOPS_PER_FUNCTION));
  new WebAssembly.Module(ok.bytes);
  const over = loops(MAX_LOOPS_PER_FUNCTION + 1);
  const at = over.length - 4; // the last loop: 0x03 0x40 0x0b, then the function's end
  assert.throws(() => instrument(over), new RegExp(`unsupported: function with more than 2048 loops \\(V8's compile time grows with their square\\) at offset 0x${at.toString(16)}$`));
  // many functions at the cap: the sum of squares allows two of them, not three
  const funcs = (n: number): Uint8Array => {
    const fn = [0, ...Array.from({ length: MAX_LOOPS_PER_FUNCTION }, () => [0x03, 0x40, 0x0b]).flat(), 0x0b];
    const code = [...leb(n), ...Array.from({ length: n }, () => [...leb(fn.length), ...fn]).flat()];
    return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0, 0, 0, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 1 + n, n, ...Array<number>(n).fill(0), 0x0a, ...leb(code.length), ...code]);
  };
  assert.equal(MAX_LOOP_WORK, 2 * MAX_LOOPS_PER_FUNCTION ** 2);
  new WebAssembly.Module(instrument(funcs(2)).bytes);
  assert.throws(() => instrument(funcs(3)), /unsupported: module with too many loops for their functions \(the sum of each function's loop count squared passes 8388608; V8's compile time grows with it\) at offset 0x/);
});

test("a function's loops past the first 256 (charged inside the loop, not in the two-loop form) cost the same fuel per iteration", async () => {
  /** `loops` loops in a row, each running `n` times (n is the parameter). */
  const module = (loops: number): Promise<Uint8Array> =>
    wat(`(module (func (export "f") (param $n i32) (local $i i32)
      ${'(local.set $i (local.get $n)) (loop $l (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $l (local.get $i)))\n'.repeat(loops)}))`);
  const perIteration = async (loops: number): Promise<bigint> => {
    const bytes = await module(loops);
    const a = load(bytes);
    a.exports.f!(10);
    const b = load(bytes);
    b.exports.f!(20);
    return (b.used() - a.used()) / 10n;
  };
  const one = await perIteration(1);
  assert.ok(one > 0n);
  assert.equal(await perIteration(300), 300n * one);
  // and a budget runs out inside one of the later loops as it should
  const m = load(await module(300), 300n * 100n * one);
  assert.throws(() => m.exports.f!(1000), /fuel exhausted/);
});

test('says what the host must supply', async () => {
  const { requires } = instrument(await wat(`(module (memory (export "memory") 1) (global (export "__warden_fuel") i32 (i32.const 0)) (func (export "f")))`), { memoryBytes: 1 << 20 });
  assert.deepEqual(requires.fuel, { ...FUEL_IMPORT, signature: '(i64) -> i64', global: '__warden_fuel_1' });
  assert.deepEqual(requires.memories, ['__warden_memory0']);
  assert.equal(requires.memoryCapBytes, 1 << 20);
  assert.equal(requires.initialMemoryBytes, 65536);
});

test('straight-line code costs one unit per instruction', async () => {
  const m = load(await wat(`(module (func (export "f") (result i32) (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3)))))`));
  assert.equal(m.exports['f']!(), 7);
  assert.equal(m.used(), 5n);
});

test('loops cost the same per iteration, every time (deterministic)', async () => {
  const bytes = await wat(`(module
    (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
    (func (export "sum") (param $n i32) (result i32) (local $acc i32)
      (block $out (loop $l
        (br_if $out (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $sq (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
      (local.get $acc)))`);
  const fuel = (n: number): bigint => {
    const m = load(bytes);
    m.exports['sum']!(n);
    return m.used();
  };
  const [a, b, c] = [fuel(10), fuel(20), fuel(30)];
  assert.ok(a > 0n);
  assert.equal(b - a, c - b);
  assert.equal(fuel(20), b);
});

test('bulk operations cost in proportion to their length', async () => {
  const bytes = await wat(`(module (memory 2)
    (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 1) (local.get 0))))`);
  const fuel = (n: number): bigint => {
    const m = load(bytes);
    m.exports['fill']!(n);
    return m.used();
  };
  assert.equal(fuel(65536) - fuel(0), 65536n / 16n);
});

test('a fuel budget stops a loop, and the meter keeps refusing after the abort', async () => {
  const m = load(await wat(`(module (func (export "spin") (loop $l (br $l))))`), 10_000n);
  assert.throws(() => m.exports['spin']!(), /fuel exhausted after 10000 units/);
  assert.throws(() => m.exports['spin']!(), /fuel exhausted after 10000 units/);
});

test('memory and table caps: grow fails past them, as the spec says', async () => {
  const bytes = await wat(`(module (memory (export "mem") 1) (table $t 1 funcref)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "tgrow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0))))`);
  const inst = instrument(bytes, { memoryBytes: 4 * 65536 + 100, tableElements: 10 });
  const meter = new LimitMeter(1n << 40n, 60_000);
  const x = new WebAssembly.Instance(new WebAssembly.Module(inst.bytes), { warden: { fuel: meter.refill } }).exports as Record<string, (n: number) => number>;
  assert.equal(x['grow']!(3), 1);
  assert.equal(x['grow']!(1), -1);
  assert.equal(x['tgrow']!(9), 1);
  assert.equal(x['tgrow']!(1), -1);
  assert.throws(() => instrument(bytes, { memoryBytes: 1000 }), (e: Error & { kind?: string }) => e.kind === 'memory' && /initial memory is 65536 bytes, above the limit of 0 bytes/.test(e.message));
  assert.throws(() => instrument(bytes, { tableElements: 0 }), (e: Error & { kind?: string }) => e.kind === 'memory' && /table 0 has 1 initial elements, above the limit of 0/.test(e.message));
});

test('exception handling (try/catch/catch_all/delegate/rethrow) computes the same', async () => {
  const src = `(module
    (tag $e (param i32))
    (func $thrower (param i32) (if (i32.gt_s (local.get 0) (i32.const 3)) (then (throw $e (local.get 0)))))
    (func (export "run") (param $n i32) (result i32) (local $acc i32)
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (try
          (do (call $thrower (local.get $n)) (local.set $acc (i32.add (local.get $acc) (i32.const 1))))
          (catch $e (local.set $acc (i32.add (local.get $acc))))
          (catch_all (unreachable)))
        (try (do (try (do (call $thrower (i32.const 9))) (delegate 0))) (catch_all (local.set $acc (i32.add (local.get $acc) (i32.const 100)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
      (local.get $acc)))`;
  const bytes = await wat(src, { exceptions: true });
  const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, (n: number) => number>;
  const m = load(bytes);
  for (const n of [0, 1, 5, 10]) assert.equal(m.exports['run']!(n), plain['run']!(n));
  assert.ok(m.used() > 0n);
});

test('loops whose refill is out of line: results, branches out across loops, same fuel whatever the slice', async () => {
  const bytes = await wat(`(module
    (func (export "f") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $acc i32)
      (block $done
        (local.set $acc
          (loop $outer (result i32)
            (local.set $j (i32.rem_u (local.get $i) (i32.const 6)))
            (block $next
              (loop $inner
                (br_if $done (i32.gt_u (local.get $acc) (local.get $n)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (local.set $acc (i32.add (local.get $acc) (local.get $j)))
                (br_table $inner $inner $inner $next $next $next $done (local.get $j))))
            (local.set $acc (i32.add (local.get $acc) (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $outer (i32.lt_u (local.get $i) (local.get $n)))
            (i32.mul (local.get $acc) (i32.const 3))))
        (return (local.get $acc)))
      (i32.const -1)))`);
  const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as Record<string, (n: number) => number>;
  const run = (n: number, slice: bigint): [unknown, bigint] => {
    const meter = new LimitMeter(1n << 40n, 60_000, slice);
    const inst = instrument(bytes, {});
    const instance = new WebAssembly.Instance(new WebAssembly.Module(inst.bytes), { warden: { fuel: meter.refill } });
    const r = (instance.exports['f'] as (n: number) => unknown)(n);
    return [r, meter.used((instance.exports[inst.requires.fuel!.global] as WebAssembly.Global).value as bigint)];
  };
  for (const n of [0, 1, 5, 40, 300, 1000, 3000]) {
    const [r, fuel] = run(n, 1n << 30n);
    assert.equal(r, plain['f']!(n));
    assert.deepEqual(run(n, 3n), [r, fuel]);
    assert.deepEqual(run(n, 1n), [r, fuel]);
  }
});

test('a table initialiser (table ... (ref.func $f)) is renumbered with fuel on, with or without a table cap', (t) => {
  // (type (func (result i32))) (func $f (result i32) (i32.const 7)) (table 1 funcref (ref.func $f))
  // (func (export "g") (result i32) (call_indirect (type 0) (i32.const 0)))
  const bytes = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 3, 2, 0, 0, 4, 9, 1, 0x40, 0x00, 0x70, 0x00, 0x01, 0xd2, 0x00, 0x0b, 7, 5, 1, 1, 0x67, 0, 1, 10, 14,
    2, 4, 0, 0x41, 7, 0x0b, 7, 0, 0x41, 0, 0x11, 0, 0, 0x0b,
  ]);
  if (!WebAssembly.validate(bytes)) return t.skip(`V8 in Node ${process.versions.node} has no table initialisers`);
  for (const options of [{}, { tableElements: 10 }]) {
    const inst = instrument(bytes, options);
    const meter = new LimitMeter(1n << 40n, 60_000);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(inst.bytes), { warden: { fuel: meter.refill } });
    assert.equal((instance.exports['g'] as () => number)(), 7, JSON.stringify(options));
  }
});
