// The fuel cost model where it merges charges: an if's arms are charged with the segment the if is in (the
// larger arm), code after a targeted block is paid only on the paths that reach it (charged with the segment
// before it and refunded by the branches that skip it), and every loop iteration still pays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import wabtInit from 'wabt';
import { instrument } from '../src/index.js';
import { LimitMeter } from '../src/limits/meter.js';
import { wat } from './api-modules.js';

/** Fuel one call of export `f` with `args` uses (a fresh instance and meter each time). */
async function fuelOf(text: string, ...args: number[]): Promise<bigint> {
  const meter = new LimitMeter(1n << 40n, 60_000);
  const inst = instrument(await wat(text), {});
  const instance = new WebAssembly.Instance(new WebAssembly.Module(inst.bytes), { warden: { fuel: meter.refill } });
  (instance.exports['f'] as (...a: number[]) => unknown)(...args);
  return meter.used((instance.exports[inst.requires.fuel!.global] as WebAssembly.Global).value as bigint);
}

test('an if is charged with its larger arm, whichever arm runs', async () => {
  // local.get, if, then: 1 | else: 3 (end and else cost nothing) -> 2 + max(1, 3)
  const text = `(module (func (export "f") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.add (i32.const 2) (i32.const 3))))))`;
  assert.equal(await fuelOf(text, 1), 5n);
  assert.equal(await fuelOf(text, 0), 5n);
  // without else: local.get, if, then 2 (drop of a const), i32.const after it -> 5
  const noElse = `(module (func (export "f") (param i32) (result i32)
    (if (local.get 0) (then (drop (i32.const 1)))) (i32.const 7)))`;
  assert.equal(await fuelOf(noElse, 1), 5n);
  assert.equal(await fuelOf(noElse, 0), 5n);
});

test('a loop with ifs and small blocks inside pays for every iteration', async () => {
  const text = `(module (func (export "f") (param $n i32) (local $acc i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get $n)))
      (block $skip (br_if $skip (i32.and (local.get $n) (i32.const 1))) (local.set $acc (i32.add (local.get $acc) (i32.const 1))))
      (if (i32.and (local.get $n) (i32.const 2)) (then (local.set $acc (i32.sub (local.get $acc) (i32.const 1)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))))`;
  const [a, b, c] = [await fuelOf(text, 100), await fuelOf(text, 200), await fuelOf(text, 300)];
  assert.ok(b - a >= 100n * 10n, `${b - a} units for 100 iterations`);
  assert.equal(b - a, c - b);
  assert.equal(await fuelOf(text, 200), b);
});

test('code after a targeted block is paid only on the paths that reach it', async () => {
  // arg 1: br_if to $b's end, then the two drops run; arg 0: br $out skips them
  const text = `(module (func (export "f") (param i32)
    (block $out (block $b (br_if $b (local.get 0)) (br $out)) (drop (i32.const 1)) (drop (i32.const 2)))))`;
  assert.equal(await fuelOf(text, 1), 9n);
  assert.equal(await fuelOf(text, 0), 5n);
});

test('a loop with early exits updates the counter once per iteration; each exit refunds what it skips', async () => {
  // like strncmp: two exit tests per iteration, each a block whose end the loop goes on from
  const text = `(module (func (export "f") (param $a i32) (param $n i32) (result i32)
    (block $done (result i32)
      (loop $l
        (block $b1 (br_if $b1 (local.get $a)) (br $done (i32.const 1)))
        (block $b2 (br_if $b2 (local.get $n)) (br $done (i32.const 2)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))
      (i32.const 0))))`;
  // the same fuel as with a charge where each part starts (these numbers predate merged segments)
  assert.equal(await fuelOf(text, 0, 5), 8n);
  assert.equal(await fuelOf(text, 1, 0), 13n);
  assert.equal(await fuelOf(text, 1, 1), 29n);
  assert.equal(await fuelOf(text, 1, 10), 173n);
  // in one counter update per iteration: entry and loop header charge (i64.sub); the two exits refund and the
  // refill after the loop adds back the header's charge (i64.add)
  const wabt = await wabtInit();
  const out = wabt.readWasm(instrument(await wat(text), {}).bytes, {}).toText({});
  assert.equal(out.match(/i64\.sub/g)?.length, 2, out);
  assert.equal(out.match(/i64\.add/g)?.length, 3, out);
});
