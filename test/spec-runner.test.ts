// The .wast runner (scripts/spec-run.ts) on our own scripts in test/spec/: everything passes as-is and
// rewritten (with huge and with tiny fuel refills), wrong expectations are reported as failures with their
// line and exit status 1, what it cannot express is counted as skipped, and literals are read bit-exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Script } from '../scripts/spec/runner.js';
import { parseFloat as floatBits, parseInt as intBits } from '../scripts/spec/values.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runner = fileURLToPath(new URL('../scripts/spec-run.js', import.meta.url));
const spec = (name: string): string => fileURLToPath(new URL(`../../test/spec/${name}`, import.meta.url));

function run(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [runner, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('our control-flow and exception scripts pass as-is and rewritten, with huge and with tiny fuel refills', () => {
  for (const fuel of [[], ['--fuel', '1'], ['--fuel', '13']]) {
    const r = run(...fuel, spec('control.wast'), spec('exceptions.wast'));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /total \[plain\]: 56 passed, 0 failed, 0 skipped/);
    assert.match(r.out, /total \[instrumented\]: 56 passed, 0 failed, 0 skipped/);
  }
});

test('wrong expectations are failures, reported with file:line, and the exit status is 1', () => {
  const r = run('--verbose', spec('failing/wrong.wast'));
  assert.equal(r.status, 1, r.out);
  for (const mode of ['plain', 'instrumented']) {
    assert.match(r.out, new RegExp(`total \\[${mode}\\]: 2 passed, 3 failed, 0 skipped`));
    assert.match(r.out, new RegExp(`FAIL \\[${mode}\\] .*wrong\\.wast:7: assert_return: result 0: got i32:0x1, expected i32:0x2`));
    assert.match(r.out, new RegExp(`FAIL \\[${mode}\\] .*wrong\\.wast:9: assert_trap: expected trap`));
    assert.match(r.out, new RegExp(`FAIL \\[${mode}\\] .*wrong\\.wast:10: assert_invalid`));
  }
  const plainOnly = run('--no-instrument', spec('failing/wrong.wast'));
  assert.equal(plainOnly.status, 1);
  assert.doesNotMatch(plainOnly.out, /instrumented/);
});

test('usage errors exit 2', () => {
  assert.equal(run().status, 2);
  assert.equal(run('--fuel', 'x', spec('control.wast')).status, 2);
  assert.equal(run('/nonexistent/dir').status, 2);
});

test('what the runner cannot express is skipped with a reason, never passed', async () => {
  const script = await Script.load(
    'skips.wast',
    `(module $ok (func (export "f") (result i32) (i32.const 1)))
     (assert_malformed (module quote "(func") "unexpected end")
     (assert_suspension (invoke "f") "suspended")
     (module $bad quote "(module (func (result i32) (nosuchop)))")
     (assert_return (invoke $bad "f") (i32.const 1))
     (assert_return (invoke $ok "f") (i32.const 1))`,
  );
  for (const mode of ['plain', 'instrumented'] as const) {
    const o = script.run(mode);
    assert.deepEqual([o.pass, o.fail, o.skip], [2, 0, 4], JSON.stringify(o));
    // the module that cannot be assembled is skipped, and so is what uses it
    assert.equal(o.skips['malformed text (quote)'], 1);
    assert.equal(o.skips['command assert_suspension'], 1);
  }
});

test('literals are read to exact bits (correct rounding, hex floats, NaN payloads, wrap-around ints)', () => {
  assert.equal(intBits('-1', 32), 0xffffffffn);
  assert.equal(intBits('0xffff_ffff_ffff_ffff', 64), 0xffffffffffffffffn);
  assert.equal(intBits('-0x8000_0000', 32), 0x80000000n);
  assert.equal(floatBits('0x1p-149', 'f32'), 1n);
  assert.equal(floatBits('1e-45', 'f32'), 1n);
  assert.equal(floatBits('0x1.fffffefffffffp127', 'f32'), 0x7f7fffffn);
  assert.equal(floatBits('0x1.ffffffp127', 'f32'), 0x7f800000n); // rounds up to infinity
  assert.equal(floatBits('-inf', 'f32'), 0xff800000n);
  assert.equal(floatBits('nan', 'f64'), 0x7ff8000000000000n);
  assert.equal(floatBits('-nan:0x1', 'f32'), 0xff800001n);
  assert.equal(floatBits('0.1', 'f64'), 0x3fb999999999999an);
  assert.equal(floatBits('0.1', 'f32'), 0x3dcccccdn);
  assert.equal(floatBits('1_000.5e-3', 'f64'), 0x3ff0020c49ba5e35n);
  // ties to even at the f32 subnormal boundary and between two floats
  assert.equal(floatBits('0x1.000001p0', 'f32'), 0x3f800000n);
  assert.equal(floatBits('0x1.000003p0', 'f32'), 0x3f800002n);
  // random doubles: the decimal JS prints reads back to the same bits
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 300; i++) {
    view.setUint32(0, (Math.random() * 2 ** 32) >>> 0);
    view.setUint32(4, (Math.random() * 2 ** 32) >>> 0);
    const x = view.getFloat64(0);
    if (!Number.isFinite(x) || x === 0) continue;
    assert.equal(floatBits(String(x), 'f64'), view.getBigUint64(0) & 0xffffffffffffffffn, String(x));
    const f = Math.fround(x);
    if (!Number.isFinite(f) || f === 0) continue;
    view.setFloat32(0, f);
    assert.equal(floatBits(f.toString(), 'f32'), BigInt(view.getUint32(0)), `f32 ${f}`);
  }
});
