// Memory pooling: the memory-to-import rewrite, and adversarial reuse: a guest that writes a secret over
// all of its memory (data segments included), grows it or traps, and the next run (on the reused memory)
// scans every byte. Pooled and unpooled runs give identical results (stdout, exit code, fuel, memory).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compile, run, type RunOptions } from '../src/index.js';
import { DEFAULT_PROFILE } from '../src/sandbox/compile.js';
import { memoryPool, memoryToImport, isPool, MemoryPool } from '../src/pool/index.js';
import { comparable, wat } from './api-modules.js';

const load = (p: string): Uint8Array => readFileSync(new URL(`../../${p}`, import.meta.url));

/**
 * 2 pages (max 4), data "SEGMENT" at 1000. scan() returns 0 if memory is exactly 2 pages, all zero except
 * the segment, which must be intact; else 1 + the offset of the first non-zero byte (-1: wrong size, -2: segment).
 * scribble() fills every byte with 0xA5 (segment included); scribble_grow() also grows and fills the new
 * page; scribble_trap() fills and traps.
 */
const SNOOP_WAT = `(module
  (memory (export "memory") 2 4)
  (data (i32.const 1000) "SEGMENT")
  (func $fill (memory.fill (i32.const 0) (i32.const 0xA5) (i32.mul (memory.size) (i32.const 65536))))
  (func (export "scan") (result i32) (local $i i32)
    (if (i32.ne (memory.size) (i32.const 2)) (then (return (i32.const -1))))
    (if (i64.ne (i64.and (i64.load (i32.const 1000)) (i64.const 0x00FFFFFFFFFFFFFF)) (i64.const 0x00544E454D474553))
      (then (return (i32.const -2))))
    (loop $next
      (if (i32.or (i32.lt_u (local.get $i) (i32.const 1000)) (i32.ge_u (local.get $i) (i32.const 1007)))
        (then (if (i32.load8_u (local.get $i)) (then (return (i32.add (local.get $i) (i32.const 1)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 131072))))
    (i32.const 0))
  (func (export "scribble") (call $fill))
  (func (export "scribble_grow") (drop (memory.grow (i32.const 1))) (call $fill))
  (func (export "scribble_trap") (call $fill) unreachable)
)`;


describe('memory pool: rewrite', () => {
  it('turns the one defined memory into warden.memory with the same limits, export kept', async () => {
    const bytes = await wat(SNOOP_WAT);
    const rw = memoryToImport(bytes);
    assert.ok(typeof rw !== 'string');
    assert.equal(rw.initial, 2);
    assert.equal(rw.maximum, 4);
    const m = new WebAssembly.Module(rw.bytes);
    assert.deepEqual(WebAssembly.Module.imports(m), [{ module: 'warden', name: 'memory', kind: 'memory' }]);
    assert.ok(WebAssembly.Module.exports(m).some((e) => e.name === 'memory' && e.kind === 'memory'));
  });

  const HEADER = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
  const REFUSED: [string, () => Promise<Uint8Array>, string][] = [
    ['no memory', () => wat('(module (func (export "_start")))'), 'no memory'],
    ['imported memory', () => wat('(module (import "env" "m" (memory 1)))'), 'imported memory'],
    // memory section: two memories of 1 page / one shared memory of 1..2 pages
    ['several memories', async () => new Uint8Array([...HEADER, 5, 5, 2, 0, 1, 0, 1]), 'several memories'],
    ['shared memory', async () => new Uint8Array([...HEADER, 5, 4, 1, 3, 1, 2]), 'shared memory'],
  ];
  for (const [name, make, why] of REFUSED) {
    it(`leaves a module with ${name} unpooled`, async () => {
      assert.equal(memoryToImport(await make()), why);
    });
  }
});

describe('memory pool: reuse leaks nothing', () => {
  it('a reused memory is all zero apart from its data segments, after scribbling, growing and trapping', async () => {
    const bytes = await wat(SNOOP_WAT);
    const cm = await compile(bytes);
    const scan = async (): Promise<void> => {
      const r = await cm.run({ invoke: 'scan' });
      assert.equal(r.error, undefined);
      assert.deepEqual(r.returnValues, [0], 'the run saw bytes of an earlier run');
    };
    await scan();
    for (const spoil of ['scribble', 'scribble_trap', 'scribble', 'scribble_grow', 'scribble']) {
      const r = await cm.run({ invoke: spoil });
      assert.equal(r.error?.kind, spoil === 'scribble_trap' ? 'trap' : undefined);
      await scan();
    }
    const pool = await memoryPool(cm, DEFAULT_PROFILE);
    assert.ok(pool instanceof MemoryPool);
    // Reused as a recycled instance (its memory with it), or as a bare memory where recycling does not apply.
    const reused = pool.reused + pool.instancesReused;
    assert.ok(reused >= 8, `memories reused: ${reused}`);
    assert.ok(pool.created <= 3, `memories created: ${pool.created}`);
  });

  it('a grown memory is not reused', async () => {
    const cm = await compile(await wat(SNOOP_WAT.replace('(memory (export "memory") 2 4)', '(memory (export "memory") 2 5)')));
    const pool = await memoryPool(cm, DEFAULT_PROFILE);
    assert.ok(isPool(pool));
    await cm.run({ invoke: 'scan' }); // a module's first run is never pooled (no second compile for one-shot runs)
    await cm.run({ invoke: 'scan' });
    const idle = pool.idle + pool.idleInstanceCount;
    assert.equal(idle, 1);
    const r = await cm.run({ invoke: 'scribble_grow' });
    assert.equal(r.peakMemoryBytes, 3 * 65536);
    assert.equal(pool.idle + pool.idleInstanceCount, idle - 1, 'the grown memory went back to the pool');
  });

  it('memories above POOL_MAX_BYTES are not pooled', async () => {
    const cm = await compile(await wat('(module (memory (export "memory") 100) (func (export "_start")))'));
    assert.equal(await memoryPool(cm, DEFAULT_PROFILE), 'large memory');
    assert.equal((await cm.run()).exitCode, 0);
    assert.equal((await cm.run()).peakMemoryBytes, 100 * 65536);
  });

  it('the memory limit binds pooled memories (maximum from limits.memoryBytes)', async () => {
    const cm = await compile(await wat(SNOOP_WAT.replace('(memory (export "memory") 2 4)', '(memory (export "memory") 2)')));
    const capped = await memoryPool(cm, { ...DEFAULT_PROFILE, memoryBytes: 2 * 65536 });
    assert.ok(isPool(capped));
    assert.equal(capped.maximum, 2);
    const r = await cm.run({ invoke: 'scribble_grow', limits: { memoryBytes: 2 * 65536 } });
    assert.equal(r.peakMemoryBytes, 2 * 65536);
  });
});

const CASES: [string, string, RunOptions][] = [
    ['wc', 'examples/wc.wasm', { stdin: 'one two three\nfour\n' }],
    ['cat', 'examples/cat.wasm', { stdin: 'x'.repeat(70_000) }],
    ['args/env', 'test/guests/wasi/args_env.wasm', { args: ['a'], env: { A: 'b' } }],
    ['exit', 'test/guests/wasi/exit.wasm', { args: ['3'] }],
    ['fuel', 'test/guests/limits/tight_loop.wasm', { limits: { fuel: 50_000 } }],
    ['malloc bomb under a memory cap', 'test/guests/limits/malloc_bomb.wasm', { limits: { memoryBytes: 4 * 1024 * 1024 } }],
    ['bench hello', 'bench/guests/hello.wasm', {}],
];

describe('memory pool: pooled and unpooled runs are identical', () => {
  for (const [name, path, options] of CASES) {
    it(name, async () => {
      const bytes = load(path);
      const pooled1 = await run(bytes, options);
      const pooled2 = await run(bytes, options);
      const unpooled = await run(bytes, { ...options, pool: false });
      assert.deepEqual(comparable(pooled1), comparable(unpooled));
      assert.deepEqual(comparable(pooled2), comparable(unpooled));
    });
  }
});

describe('CompiledModule.runNow: a run without a promise once its sandbox is ready', () => {
  for (const [name, path, options] of CASES) {
    it(name, async () => {
      const cm = await compile(load(path));
      // limits no other test uses: this profile's code and pool are not ready yet
      const o: RunOptions = { ...options, limits: { ...options.limits, memoryBytes: (options.limits?.memoryBytes ?? 64 * 1024 * 1024) + 7 * 65536 } };
      assert.equal(cm.runNow(o), undefined, 'not ready: nothing done');
      const first = await cm.run(o);
      const second = await cm.run(o); // (the pool is set up on the second run)
      const now = cm.runNow(o);
      assert.ok(now !== undefined, 'ready after two runs');
      assert.deepEqual(comparable(now), comparable(first));
      assert.deepEqual(comparable(now), comparable(second));
      assert.equal(cm.runNow({ ...o, digest: cm.digest }), undefined, 'a gated run goes through run()');
    });
  }
});
