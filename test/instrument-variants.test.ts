// Register variants: a private function without calls takes the fuel counter as an extra parameter and
// returns it as an extra result. It charges exactly what it charged with the counter in the global, limits
// still stop it, and whatever reaches a function from outside (exports, tables, ref.func, the start function,
// tail calls, global-mode callers) keeps the original signature, so none of them can skip fuel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import wabtInit from 'wabt';
import { instrument } from '../src/index.js';
import { LimitMeter } from '../src/limits/meter.js';
import { wat } from './api-modules.js';

const FEATURES = { exceptions: true, tail_call: true };

/** Fuel one call of export `f` with `args` uses (a fresh instance and meter each time), and its result. */
async function fuelOf(text: string, ...args: number[]): Promise<[bigint, unknown]> {
  const meter = new LimitMeter(1n << 40n, 60_000);
  const inst = instrument(await wat(text, FEATURES), {});
  const instance = new WebAssembly.Instance(new WebAssembly.Module(inst.bytes), { warden: { fuel: meter.refill } });
  const r = (instance.exports['f'] as (...a: number[]) => unknown)(...args);
  return [meter.used((instance.exports[inst.requires.fuel!.global] as WebAssembly.Global).value as bigint), r];
}

/** The instrumented module as text. */
async function rewritten(text: string): Promise<string> {
  const wabt = await wabtInit();
  const m = wabt.readWasm(instrument(await wat(text, FEATURES), {}).bytes, { exceptions: true, tail_call: true, readDebugNames: true });
  m.applyNames();
  return m.toText({});
}

/** Matches the rewritten function `name` (returning an i32) as a register variant: the counter is its last result. */
const variant = (name: string): RegExp => new RegExp(`\\(func \\$${name} \\(type \\d+\\) [^\\n]*\\(result i32 i64\\)`);

/** A leaf with a loop (strlen-like over n), an early return and an if; `extra` adds to the module. */
const leafModule = (extra = '', order: 'leaf-first' | 'leaf-last' = 'leaf-first'): string => {
  const leaf = `(func $leaf (param $n i32) (result i32) (local $i i32) (local $acc i32)
      (if (i32.eqz (local.get $n)) (then (return (i32.const -1))))
      (block $out (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.mul (local.get $i) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (local.get $acc))`;
  const f = `(func $f (export "f") (param $n i32) (result i32) (local $k i32) (local $s i32)
      (block $out (loop $l
        (br_if $out (i32.ge_u (local.get $k) (i32.const 5)))
        (local.set $s (i32.add (local.get $s) (call $leaf (i32.add (local.get $n) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $l)))
      (local.get $s))`;
  return `(module ${order === 'leaf-first' ? leaf + f : f + leaf} ${extra})`;
};

test('a private leaf called directly becomes a register variant and charges exactly as before', async () => {
  for (const order of ['leaf-first', 'leaf-last'] as const) {
    const text = leafModule('', order);
    const out = await rewritten(text);
    assert.match(out, variant('leaf'), `${order}: the leaf is a variant`);
    assert.doesNotMatch(out.slice(out.indexOf('(func $leaf')), /global\.(get|set) \$__warden_fuel/, `${order}: no global access in the leaf`);
    // the same module with the leaf exported (so not a variant) charges the same for every input
    const pub = leafModule('(export "leaf" (func $leaf))', order);
    assert.doesNotMatch(await rewritten(pub), variant('leaf'));
    for (const n of [0, 1, 3, 50]) {
      const [fuel, result] = await fuelOf(text, n);
      assert.deepEqual(await fuelOf(pub, n), [fuel, result], `${order}, n = ${n}`);
      assert.ok(fuel > 20n);
    }
  }
});

test('a register variant is stopped by the fuel limit inside its loop, within the slice', async () => {
  const text = `(module
    (func $spin (param $n i32) (result i32) (loop $l (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l)) (local.get $n))
    (func (export "f") (result i32) (call $spin (i32.const 0))))`;
  assert.match(await rewritten(text), variant('spin'));
  const inst = instrument(await wat(text), {});
  const meter = new LimitMeter(100_000n, 60_000);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(inst.bytes), { warden: { fuel: meter.refill } });
  assert.throws(() => (instance.exports['f'] as () => number)(), /fuel/);
  const used = meter.used();
  assert.ok(used >= 100_000n && used < 100_000n + 100n, `used ${used}`);
});

test('exports, tables, ref.func and the start function keep the original signature and pay fuel', async () => {
  const text = `(module
    (type $t (func (param i32) (result i32)))
    (table 2 funcref)
    (table $refs 1 funcref)
    (elem (i32.const 0) $inTable)
    (elem declare func $byRef)
    (global $g (mut i32) (i32.const 0))
    (func $inTable (type $t) (i32.mul (local.get 0) (i32.const 3)))
    (func $byRef (type $t) (i32.add (local.get 0) (i32.const 1)))
    (func $exported (export "exported") (type $t) (i32.sub (local.get 0) (i32.const 1)))
    (func $start (global.set $g (i32.const 7)))
    (start $start)
    (func $private (type $t) (i32.xor (local.get 0) (i32.const 5)))
    (func (export "f") (param i32) (result i32)
      (i32.add (call_indirect (type $t) (local.get 0) (i32.const 0))
        (i32.add (call $private (local.get 0))
          (i32.add (call $exported (local.get 0))
            (table.set $refs (i32.const 0) (ref.func $byRef))
            (call_indirect $refs (type $t) (local.get 0) (i32.const 0)))))))`;
  const wasm = await wat(text);
  const out = instrument(wasm, {});
  const wabt = await wabtInit();
  const m = wabt.readWasm(out.bytes, { readDebugNames: true });
  m.applyNames();
  const body = m.toText({});
  for (const name of ['inTable', 'byRef', 'exported', 'start']) {
    assert.doesNotMatch(body, new RegExp(`\\(func \\$${name} \\(type \\d+\\) (\\(param[^)]*\\) )?\\(result[^)]* i64\\)`), name);
  }
  assert.match(body, variant('private'));
  const meter = new LimitMeter(1n << 40n, 60_000);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(out.bytes), { warden: { fuel: meter.refill } });
  const fuel = (): bigint => meter.used((instance.exports[out.requires.fuel!.global] as WebAssembly.Global).value as bigint);
  const before = fuel();
  assert.equal((instance.exports['f'] as (x: number) => number)(10), 30 + 15 + 9 + 11);
  assert.ok(fuel() - before > 20n);
  // the exported function, called from outside, charges its own cost
  const mid = fuel();
  assert.equal((instance.exports['exported'] as (x: number) => number)(10), 9);
  assert.equal(fuel() - mid, 3n); // local.get, i32.const, i32.sub
});

test('tail calls, global-mode callers and conditional exits: fuel is the same as with the leaf exported', async () => {
  const cases: [string, string][] = [
    // a tail call of a leaf: of a variant (rewritten before), a call taking the counter from the global and
    // returning; of a leaf rewritten after the call, the leaf stays plain
    ['tail-after', `(func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 2)))
      (func (export "f") (param i32) (result i32) (return_call $leaf (local.get 0)))`],
    ['tail-before', `(func (export "f") (param i32) (result i32) (return_call $leaf (local.get 0)))
      (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 2)))`],
    // a leaf first called by a function with exception handling (global mode), then by a local-mode one
    ['eh-after', `(tag $e) (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 2)))
      (func $g (param i32) (result i32) (try (result i32) (do (call $leaf (local.get 0))) (catch $e (i32.const 0))))
      (func (export "f") (param i32) (result i32) (i32.add (call $g (local.get 0)) (call $leaf (local.get 0))))`],
    ['eh-before', `(tag $e) (func $g (param i32) (result i32) (try (result i32) (do (call $leaf (local.get 0))) (catch $e (i32.const 0))))
      (func (export "f") (param i32) (result i32) (i32.add (call $g (local.get 0)) (call $leaf (local.get 0))))
      (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 2)))`],
    // a conditional exit (br_if to the function's label) and a throw: not variants
    ['br_if', `(func $leaf (param i32) (result i32) (br_if 0 (i32.const 9) (local.get 0)) (drop) (i32.const 4))
      (func (export "f") (param i32) (result i32) (call $leaf (local.get 0)))`],
    ['throw', `(tag $e) (func $leaf (param i32) (result i32) (if (local.get 0) (then (throw $e))) (i32.const 4))
      (func (export "f") (param i32) (result i32) (call $leaf (local.get 0)))`],
  ];
  for (const [name, body] of cases) {
    const text = `(module ${body})`;
    const pub = `(module ${body} (export "leaf" (func $leaf)))`;
    for (const n of [0, 5]) {
      let a: unknown;
      let b: unknown;
      try {
        a = await fuelOf(text, n);
      } catch (e) {
        a = String(e);
      }
      try {
        b = await fuelOf(pub, n);
      } catch (e) {
        b = String(e);
      }
      assert.deepEqual(a, b, `${name}, n = ${n}`);
    }
    if (name.endsWith('-after')) assert.match(await rewritten(text), variant('leaf'), name);
    else assert.doesNotMatch(await rewritten(text), variant('leaf'), name);
  }
});

test('a tail call of a variant with another number of results than the caller is refused, not made valid', async () => {
  // invalid (return_call checks the results), as a call followed by a return it would not be
  const wabt = await wabtInit();
  const m = wabt.parseWat('t.wat', `(module (func $f (result i32 i32) unreachable) (func (result i32) return_call $f))`, { tail_call: true });
  m.resolveNames();
  const bytes = new Uint8Array(m.toBinary({}).buffer);
  m.destroy();
  assert.throws(() => new WebAssembly.Module(bytes));
  assert.throws(() => instrument(bytes, {}), /type mismatch: return_call of a function with another number of results/);
  // with the same results it is rewritten (a call of the variant, then return)
  const ok = `(module (func $f (result i32) (i32.const 3)) (func (export "f") (result i32) (return_call $f)))`;
  assert.deepEqual(await fuelOf(ok), await fuelOf(ok.replace('(func $f', '(func $f (export "g")')));
});
