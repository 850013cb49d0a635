// Long-lived instances: state kept between calls, every call with the full limits (fuel refilled, own
// deadline), output per call, a trap or limit poisons the instance, close() ends it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compile, WardenError } from '../src/index.js';
import { wat } from './api-modules.js';

const PLUGIN = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hi\\n")
  (global $n (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "counter") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (i32.store (i32.const 200) (global.get $n))
    (i32.load (i32.const 200)))
  (func (export "spin") (param $k i32)
    (loop $l (local.set $k (i32.sub (local.get $k) (i32.const 1))) (br_if $l (i32.gt_s (local.get $k) (i32.const 0)))))
  (func (export "forever") (loop $l (br $l)))
  (func (export "boom") unreachable)
  (func (export "print")
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)`;

const isKind = (kind: string) => (e: unknown): boolean => {
  assert.ok(e instanceof WardenError, `expected a WardenError, got ${String(e)}`);
  assert.equal(e.kind, kind);
  return true;
};

describe('long-lived instances', () => {
  it('keeps state between calls and returns values', async () => {
    const inst = await (await compile(await wat(PLUGIN))).instantiate();
    try {
      assert.deepEqual((await inst.call('add', 2, 40)).values, [42]);
      const seen: unknown[] = [];
      for (let i = 0; i < 3; i++) seen.push((await inst.call('counter')).values[0]);
      assert.deepEqual(seen, [1, 2, 3]);
    } finally {
      inst.close();
    }
  });

  it('gives every call the full fuel budget (same fuel each time, far more than one budget in total)', async () => {
    const inst = await (await compile(await wat(PLUGIN))).instantiate({ limits: { fuel: 100_000 } });
    try {
      const used: number[] = [];
      for (let i = 0; i < 30; i++) used.push((await inst.call('spin', 10_000)).fuelUsed);
      assert.ok(used[0]! > 10_000 && used[0]! < 100_000, `fuel per call ${used[0]}`);
      assert.ok(used.every((u) => u === used[0]), used.join(' '));
      await assert.rejects(inst.call('spin', 1_000_000), isKind('fuel'));
      await assert.rejects(inst.call('add', 1, 2), isKind('poisoned'));
    } finally {
      inst.close();
    }
  });

  it('gives every call its own deadline; a timeout poisons the instance', async () => {
    const inst = await (await compile(await wat(PLUGIN))).instantiate({ limits: { timeoutMs: 100 } });
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 60)); // more than the timeout in total: each call has its own
        assert.deepEqual((await inst.call('add', i, 1)).values, [i + 1]);
      }
      await assert.rejects(inst.call('forever'), isKind('timeout'));
      await assert.rejects(inst.call('add', 1, 2), isKind('poisoned'));
      assert.equal(inst.failed?.kind, 'timeout');
    } finally {
      inst.close();
    }
  });

  it("a call looping over heavy WASI calls also ends at the call's deadline (the calls read it, not only fuel refills)", async () => {
    const heavy = readFileSync(new URL('../../test/guests/limits/heavy_writes.wat', import.meta.url), 'utf8').replace('(export "_start")', '(export "flood")');
    const inst = await (await compile(await wat(heavy))).instantiate({ limits: { timeoutMs: 100, stdoutBytes: 256 * 1024 * 1024 } });
    try {
      await assert.rejects(inst.call('flood'), isKind('timeout'));
    } finally {
      inst.close();
    }
  });

  it('a trap poisons the instance; a missing export does not', async () => {
    const inst = await (await compile(await wat(PLUGIN))).instantiate();
    await assert.rejects(inst.call('nope'), isKind('no-entry'));
    assert.deepEqual((await inst.call('add', 1, 1)).values, [2]);
    await assert.rejects(inst.call('boom'), isKind('trap'));
    await assert.rejects(inst.call('counter'), (e: unknown) => isKind('poisoned')(e) && /trap/.test((e as Error).message));
    inst.close();
  });

  it('collects output per call; close() ends the instance', async () => {
    const inst = await (await compile(await wat(PLUGIN))).instantiate();
    for (let i = 0; i < 3; i++) assert.equal((await inst.call('print')).stdout.toString(), 'hi\n');
    inst.close();
    await assert.rejects(inst.call('add', 1, 1), isKind('poisoned'));
  });

  it('refuses invoke and reports link errors at instantiation', async () => {
    const cm = await compile(await wat(PLUGIN));
    await assert.rejects(cm.instantiate({ invoke: 'add' } as never), isKind('config'));
    const env = await compile(await wat('(module (import "env" "f" (func)) (func (export "g")))'));
    await assert.rejects(env.instantiate(), isKind('link'));
  });
});
