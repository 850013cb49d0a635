// Instance recycling (src/pool/recycle.ts): a reused instance must be indistinguishable from a fresh one.
// Adversarial guests change every piece of instance state (memory, data segments, i32/i64/f64/funcref/
// externref globals, already-exported globals), then end every way a run can end (return, trap, proc_exit,
// fuel, a host-call error); the next run checks it sees the initial state. Modules whose state cannot be
// reset (table writes, dropped segments, a start function) are never recycled, and still behave freshly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../src/index.js';
import { DEFAULT_PROFILE } from '../src/sandbox/compile.js';
import { memoryPool, MemoryPool } from '../src/pool/index.js';
import { MemoryImage, recyclePlan } from '../src/pool/recycle.js';
import { memoryToImport } from '../src/pool/rewrite.js';
import { wat } from './api-modules.js';

/**
 * check() returns 0 when the state is initial, else a code naming what leaked. spoil() changes all of it;
 * spoil_trap/spoil_exit/spoil_spin/spoil_badcall change it and then trap, proc_exit(7), spin until fuel
 * runs out, or call fd_write with a hostile pointer and trap.
 */
const STATE_WAT = `(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 3)
  (data (i32.const 100) "INITIAL")
  (global $g32 (mut i32) (i32.const 7))
  (global $g64 (mut i64) (i64.const -5))
  (global $gf (mut f64) (f64.const 2.5))
  (global $fr (mut funcref) (ref.func $marker))
  (global $er (mut externref) (ref.null extern))
  (global $exported (export "counter") (mut i32) (i32.const 40))
  (global $const i32 (i32.const 1))
  (elem declare func $marker $spoil)
  (func $marker)
  (func $spoil
    (global.set $g32 (i32.const 99))
    (global.set $g64 (i64.const 99))
    (global.set $gf (f64.const 99))
    (global.set $fr (ref.null func))
    (global.set $exported (i32.add (global.get $exported) (i32.const 1)))
    (memory.fill (i32.const 0) (i32.const 0x5A) (i32.const 65536)))
  (func (export "check") (result i32) (local $i i32)
    (if (i32.ne (global.get $g32) (i32.const 7)) (then (return (i32.const 1))))
    (if (i64.ne (global.get $g64) (i64.const -5)) (then (return (i32.const 2))))
    (if (f64.ne (global.get $gf) (f64.const 2.5)) (then (return (i32.const 3))))
    (if (ref.is_null (global.get $fr)) (then (return (i32.const 4))))
    (if (i32.eqz (ref.is_null (global.get $er))) (then (return (i32.const 5))))
    (if (i32.ne (global.get $exported) (i32.const 40)) (then (return (i32.const 6))))
    (if (i32.ne (memory.size) (i32.const 1)) (then (return (i32.const 7))))
    (if (i64.ne (i64.and (i64.load (i32.const 100)) (i64.const 0x00FFFFFFFFFFFFFF)) (i64.const 0x004C414954494E49))
      (then (return (i32.const 8))))
    (loop $next
      (if (i32.or (i32.lt_u (local.get $i) (i32.const 100)) (i32.ge_u (local.get $i) (i32.const 107)))
        (then (if (i32.load8_u (local.get $i)) (then (return (i32.add (i32.const 1000) (local.get $i)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 65536))))
    (i32.const 0))
  (func (export "spoil") (call $spoil))
  (func (export "spoiler") (result funcref) (ref.func $spoil))
  (func (export "spoil_trap") (call $spoil) unreachable)
  (func (export "spoil_exit") (call $spoil) (call $exit (i32.const 7)))
  (func (export "spoil_spin") (call $spoil) (loop $l (br $l)))
  (func (export "spoil_badcall") (call $spoil) (drop (call $write (i32.const 1) (i32.const -8) (i32.const 1) (i32.const -4))) unreachable)
  (func (export "spoil_grow") (call $spoil) (drop (memory.grow (i32.const 1))))
)`;

async function recyclingPool(bytes: Uint8Array): Promise<MemoryPool> {
  const pool = await memoryPool(await compile(bytes), DEFAULT_PROFILE);
  assert.ok(pool instanceof MemoryPool);
  return pool;
}

describe('instance recycling', () => {
  it('every way of changing state and ending a run leaves the next run a fresh state', async () => {
    const bytes = await wat(STATE_WAT);
    const cm = await compile(bytes);
    const check = async (after: string): Promise<void> => {
      const r = await cm.run({ invoke: 'check' });
      assert.equal(r.error, undefined, after);
      assert.deepEqual(r.returnValues, [0], `state leaked after ${after}`);
    };
    await check('nothing');
    const endings: [string, (r: Awaited<ReturnType<typeof cm.run>>) => void][] = [
      ['spoil', (r) => assert.equal(r.exitCode, 0)],
      ['spoil_trap', (r) => assert.equal(r.error?.kind, 'trap')],
      ['spoil_exit', (r) => assert.equal(r.exitCode, 7)],
      ['spoil_badcall', (r) => assert.equal(r.error?.kind, 'trap')],
      ['spoil_grow', (r) => assert.equal(r.peakMemoryBytes, 2 * 65536)],
      ['spoil', (r) => assert.equal(r.exitCode, 0)],
    ];
    for (const [name, expect] of endings) {
      expect(await cm.run({ invoke: name }));
      await check(name);
      await check(`${name} (again)`);
    }
    const spun = await cm.run({ invoke: 'spoil_spin', limits: { fuel: 100_000 } });
    assert.equal(spun.error?.kind, 'fuel');
    await check('fuel exhaustion');
    const pool = await memoryPool(cm, DEFAULT_PROFILE);
    assert.ok(pool instanceof MemoryPool);
    assert.deepEqual(pool.recycle, { globals: ['__warden_global_0', '__warden_global_1', '__warden_global_2', '__warden_global_3', '__warden_global_4', 'counter', '__warden_fuel'] });
    assert.ok(pool.instancesReused >= 10, `instances reused: ${pool.instancesReused}`);
    assert.ok(pool.instancesCreated <= 3, `instances created: ${pool.instancesCreated} (a grown memory retires one)`);
  });

  it('a memory image restores every byte over any contents (runs at both ends, gaps around the split length)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const size = 65536;
    const images: Uint8Array[] = [new Uint8Array(size), new Uint8Array(size).fill(0xff)];
    const edges = new Uint8Array(size);
    edges[0] = 1;
    edges[size - 1] = 2;
    images.push(edges);
    for (const gap of [1, 62, 63, 64, 65, 66, 200]) {
      const img = new Uint8Array(size);
      for (let at = 5, k = 1; at < size; at += gap + 1, k++) img[at] = k & 0xff || 1;
      images.push(img);
    }
    for (let t = 0; t < 20; t++) {
      const img = new Uint8Array(size);
      for (let k = rand(40); k > 0; k--) {
        const at = rand(size);
        for (let j = at, len = rand(300); j < Math.min(size, at + len); j++) img[j] = rand(4) === 0 ? 0 : rand(256);
      }
      images.push(img);
    }
    for (const [i, img] of images.entries()) {
      const image = new MemoryImage(img);
      assert.equal(image.size, size);
      const mem = new Uint8Array(size);
      for (let j = 0; j < size; j++) mem[j] = rand(256);
      image.restore(mem);
      assert.ok(Buffer.from(mem).equals(Buffer.from(img)), `image ${i} not restored`);
    }
  });

  it('fuel used is the same on a first, a new and a recycled instance', async () => {
    const cm = await compile(await wat(STATE_WAT));
    const fuels = [];
    for (let i = 0; i < 4; i++) fuels.push((await cm.run({ invoke: 'check' })).fuelUsed);
    assert.equal(new Set(fuels).size, 1, `fuel: ${fuels.join(', ')}`);
    assert.ok(fuels[0]! > 65536);
  });

  it('a guest function a run handed to the host, called while the instance is idle, cannot reach the next run', async () => {
    const cm = await compile(await wat(STATE_WAT));
    await cm.run({ invoke: 'check' });
    const r = await cm.run({ invoke: 'spoiler' }); // a recycled instance from here on
    const spoil = r.returnValues?.[0];
    assert.equal(typeof spoil, 'function');
    // Outside a run its host functions are gone (the fuel refill among them): the call ends at once.
    assert.throws(() => (spoil as () => void)(), /called outside its run/);
    // Whatever it or anything else wrote to the idle instance: scribble over its memory and globals directly.
    const pool0 = await memoryPool(cm, DEFAULT_PROFILE);
    assert.ok(pool0 instanceof MemoryPool);
    const idle = (pool0 as unknown as { idleInstances: { memory: WebAssembly.Memory; instance: WebAssembly.Instance }[] }).idleInstances;
    assert.equal(idle.length, 1);
    new Uint8Array(idle[0]!.memory.buffer).fill(0x77);
    (idle[0]!.instance.exports['counter'] as WebAssembly.Global).value = 1234;
    const next = await cm.run({ invoke: 'check' });
    assert.deepEqual(next.returnValues, [0], 'state written while idle leaked into the next run');
    const pool = await memoryPool(cm, DEFAULT_PROFILE);
    assert.ok(pool instanceof MemoryPool && pool.instancesReused >= 1, 'the run did reuse the instance');
  });

  it('a grown memory retires its instance', async () => {
    const cm = await compile(await wat(STATE_WAT));
    await cm.run({ invoke: 'check' });
    await cm.run({ invoke: 'check' });
    const pool = await memoryPool(cm, DEFAULT_PROFILE);
    assert.ok(pool instanceof MemoryPool);
    const idle = pool.idleInstanceCount;
    assert.equal(idle, 1);
    await cm.run({ invoke: 'spoil_grow' });
    assert.equal(pool.idleInstanceCount, 0);
    assert.deepEqual((await cm.run({ invoke: 'check' })).returnValues, [0]);
  });

  const UNRECYCLABLE: [string, string, string, string][] = [
    // [why, module, the export to run, what every run must return]
    [
      'mutates a table',
      `(module (memory (export "memory") 1) (table 2 funcref) (elem (i32.const 0) $a) (func $a (result i32) (i32.const 1)) (func $b (result i32) (i32.const 2))
        (elem declare func $b)
        (func (export "run") (result i32) (local $r i32) (local.set $r (call_indirect (result i32) (i32.const 0))) (table.set (i32.const 0) (ref.func $b)) (local.get $r)))`,
      'run',
      '1',
    ],
    [
      'drops a segment',
      `(module (memory (export "memory") 1) (data $d "\\2a")
        (func (export "run") (result i32) (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)) (data.drop $d) (i32.load8_u (i32.const 0))))`,
      'run',
      '42',
    ],
    [
      'start function',
      `(module (memory (export "memory") 1) (global $n (mut i32) (i32.const 0)) (func $s (global.set $n (i32.add (global.get $n) (i32.const 1)))) (start $s)
        (func (export "run") (result i32) (global.get $n)))`,
      'run',
      '1',
    ],
  ];
  for (const [why, text, entry, expected] of UNRECYCLABLE) {
    it(`a module that ${why === 'start function' ? 'has a start function' : why} is not recycled, and each run is fresh`, async () => {
      const bytes = await wat(text);
      const rw = memoryToImport(bytes);
      assert.ok(typeof rw !== 'string');
      assert.equal(recyclePlan(rw.bytes), why);
      const cm = await compile(bytes);
      for (let i = 0; i < 4; i++) {
        const r = await cm.run({ invoke: entry });
        assert.equal(r.error, undefined);
        assert.deepEqual(r.returnValues?.map(String), [expected], `run ${i}`);
      }
      const pool = await recyclingPool(bytes);
      assert.equal(pool.recycle, why);
      assert.equal(pool.instancesReused, 0);
    });
  }

  it('globals already exported keep their export; added exports do not clash with the module\'s names', async () => {
    const bytes = await wat(`(module (memory (export "memory") 1) (global (export "__warden_global_0") (mut i32) (i32.const 1)) (global (mut i32) (i32.const 2))
      (func (export "_start")))`);
    const rw = memoryToImport(bytes);
    assert.ok(typeof rw !== 'string');
    const plan = recyclePlan(rw.bytes);
    assert.ok(typeof plan !== 'string');
    assert.deepEqual(plan.globals, ['__warden_global_0', '__warden_global_1']);
    const names = WebAssembly.Module.exports(new WebAssembly.Module(plan.bytes)).map((e) => e.name);
    assert.deepEqual(names, ['memory', '__warden_global_0', '_start', '__warden_global_1']);
  });

  it('a data segment out of bounds fails the run as a fresh instantiation does, every time', async () => {
    const cm = await compile(await wat('(module (memory (export "memory") 1) (data (i32.const 65535) "ab") (func (export "_start")))'));
    for (let i = 0; i < 3; i++) {
      const r = await cm.run();
      assert.equal(r.exitCode, 134, `run ${i}`);
      assert.match(String(r.error?.message), /data segment|out of bounds/i);
    }
  });
});
