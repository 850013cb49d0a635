// memory64 and table64 through the fuel rewriter (V8 runs them from Node 24; on older Node these tests skip):
// rewritten modules behave as the originals, i64 lengths of bulk operations are charged without wrapping,
// memory.grow / table.grow on 64-bit memories and tables respect the caps (-1 as an i64 past them), and an
// initial size over the memory cap is refused at instrumentation and at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instrument } from '../src/instrument/index.js';
import { LimitMeter } from '../src/limits/meter.js';
import { RunAbort } from '../src/wasi/options.js';
import { WardenError } from '../src/errors.js';
import { run } from '../src/index.js';
import wabtInit from 'wabt';

/** (module (memory i64 0)) and (module (table i64 0 funcref)): whether V8 here runs memory64 / table64. */
const MEMORY64 = WebAssembly.validate(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 4, 0]));
const TABLE64 = WebAssembly.validate(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 4, 4, 1, 0x70, 4, 0]));
const skip = MEMORY64 ? false : `V8 in Node ${process.versions.node} does not run memory64`;
const skipTable = TABLE64 ? false : `V8 in Node ${process.versions.node} does not run table64`;
const FEATURES = { memory64: true, multi_memory: true, bulk_memory: true, reference_types: true };
const PAGE = 65536;

/** Assembles WAT with wabt (whose validator refuses several memories even with multi_memory: V8 validates). */
async function wat(text: string, features: Record<string, boolean> = FEATURES): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('test.wat', text, features);
  try {
    m.resolveNames();
    const bytes = new Uint8Array(m.toBinary({}).buffer);
    assert.ok(WebAssembly.validate(bytes), 'the test module is valid');
    return bytes;
  } finally {
    m.destroy();
  }
}

type Exports = Record<string, (...a: unknown[]) => unknown>;

/** Instantiates `bytes` (a rewritten module when `meter` is given, with its fuel import served by it). */
function instantiate(bytes: Uint8Array, meter?: LimitMeter, imports: Record<string, Record<string, unknown>> = {}): WebAssembly.Instance {
  const all = { ...imports, ...(meter ? { warden: { fuel: meter.refill } } : {}) };
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), all as WebAssembly.Imports);
}

/** Calls `name(...args)`: its result, or the trap / abort as a string. */
function call(i: WebAssembly.Instance, name: string, ...args: unknown[]): unknown {
  try {
    return (i.exports as Exports)[name]!(...args);
  } catch (e) {
    return e instanceof RunAbort ? `abort: ${e.error.kind}` : `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

/** Fuel used by the rewritten instance so far. */
function fuelUsed(i: WebAssembly.Instance, meter: LimitMeter, global: string): bigint {
  return meter.used((i.exports[global] as WebAssembly.Global).value as bigint);
}

const MIXED = `(module
  (memory $m64 i64 2 4)
  (memory $m32 1 2)
  (table $t64 i64 2 10 funcref)
  (table $t32 2 funcref)
  (data (memory $m64) (i64.const 0x10) "hello, memory64")
  (data $passive "passive")
  (elem declare func $f)
  (func $f (result i32) (i32.const 7))
  (func (export "load") (param i64) (result i64) (i64.load offset=0x10 (local.get 0)))
  (func (export "store") (param i64 i64) (i64.store $m64 offset=0x100000000 (local.get 0) (local.get 1)))
  (func (export "size") (result i64) (memory.size $m64))
  (func (export "grow") (param i64) (result i64) (memory.grow $m64 (local.get 0)))
  (func (export "grow32") (param i32) (result i32) (memory.grow $m32 (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill $m64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (memory.copy $m64 $m64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_to32") (param i32 i64 i32) (memory.copy $m32 $m64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_to64") (param i64 i32 i32) (memory.copy $m64 $m32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i64 i32 i32) (memory.init $m64 $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load32") (param i32) (result i64) (i64.load $m32 (local.get 0)))
  (func (export "tgrow") (param i64) (result i64) (table.grow $t64 (ref.func $f) (local.get 0)))
  (func (export "tfill") (param i64 i64) (table.fill $t64 (local.get 0) (ref.func $f) (local.get 1)))
  (func (export "tcopy") (param i64 i64 i64) (table.copy $t64 $t64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "tcopy_mixed") (param i32 i64 i32) (table.copy $t32 $t64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "tsize") (result i64) (table.size $t64))
  (func (export "tcall") (param i64) (result i32) (call_indirect $t64 (result i32) (local.get 0))))`;

/**
 * Calls run against the original and the rewritten module in the same order (state carries over). Lengths
 * stay below 2^61 elements / 2^62 bytes: larger ones are charged more than the budget (see the next test).
 */
const CALLS: [string, ...unknown[]][] = [
  ['load', 0n], ['load', 8n], ['load', 2n ** 64n - 1n], ['load', 2n * BigInt(PAGE) - 8n],
  ['store', 0n, 5n], ['size'], ['fill', 0x20n, 0x41, 100n], ['load', 0x20n], ['fill', 0n, 1, 2n ** 32n + 16n],
  ['fill', 0n, 1, -1n], ['copy', 0x1000n, 0x10n, 15n], ['load', 0x1000n - 0x10n], ['copy', 0n, 0n, 2n ** 40n],
  ['copy_to32', 8, 0x10n, 8], ['load32', 8], ['copy_to64', 0x2000n, 8, 8], ['load', 0x2000n - 0x10n], ['copy_to32', 0, 0n, -1],
  ['init', 0x3000n, 1, 5], ['load', 0x3000n - 0x10n], ['init', 0n, 0, 100],
  ['grow', 1n], ['size'], ['grow', 2n], ['grow', 2n ** 40n], ['grow32', 1], ['grow32', 1],
  ['tsize'], ['tgrow', 3n], ['tgrow', 2n ** 40n], ['tgrow', 2n ** 59n], ['tfill', 0n, 5n], ['tcall', 4n], ['tfill', 0n, 2n ** 33n],
  ['tcopy', 1n, 0n, 3n], ['tcopy', 0n, 0n, 2n ** 59n], ['tcopy_mixed', 0, 0n, 2], ['tcall', 3n], ['tcall', 5n], ['tcall', 2n ** 63n],
];

test('memory64 and table64: the rewritten module gives the same results and traps as the original', { skip: skip || skipTable }, async () => {
  const bytes = await wat(MIXED, FEATURES);
  const results = (b: Uint8Array, meter?: LimitMeter): unknown[] => {
    const i = instantiate(b, meter);
    return CALLS.map(([name, ...args]) => call(i, name, ...args));
  };
  const want = results(bytes);
  assert.ok(want.includes(-1n) && want.some((r) => typeof r === 'string' && r.includes('out of bounds')), 'the calls exercise failures too');
  assert.deepEqual(results(instrument(bytes).bytes, new LimitMeter(1n << 62n, 1e9)), want);
  // with caps the module's own maxima are below them: the same again
  assert.deepEqual(results(instrument(bytes, { memoryBytes: 6 * PAGE, tableElements: 10 }).bytes, new LimitMeter(1n << 62n, 1e9)), want);
});

test('memory64: bulk operations are charged in proportion to their i64 length, without wrapping at 2^32', { skip }, async () => {
  const bytes = await wat(
    `(module (memory i64 40)
      (func (export "fill") (param i64) (memory.fill (i64.const 0) (i32.const 1) (local.get 0)))
      (func (export "copy") (param i64) (memory.copy (i64.const 0) (i64.const 8) (local.get 0))))`,
    FEATURES,
  );
  const r = instrument(bytes);
  const global = r.requires.fuel!.global;
  const used = (name: string, n: bigint): bigint => {
    const meter = new LimitMeter(1n << 62n, 1e9);
    const i = instantiate(r.bytes, meter);
    const before = fuelUsed(i, meter, global);
    assert.equal(call(i, name, n), undefined);
    return fuelUsed(i, meter, global) - before;
  };
  for (const name of ['fill', 'copy']) {
    const one = used(name, 1n << 20n);
    const two = used(name, 2n << 20n);
    assert.equal(two - one, (1n << 20n) / 16n, `${name}: 1 unit per 16 bytes`);
  }
  // 2^32 + 16 bytes (beyond the memory: it traps) is charged for all its bytes first: a budget of 2^27 units
  // ends the run before the trap. Had the length wrapped to 32 bits, 16 bytes would be charged and it would trap.
  for (const n of [2n ** 32n + 16n, 2n ** 63n, 2n ** 64n - 1n]) {
    const meter = new LimitMeter(1n << 27n, 1e9);
    assert.equal(call(instantiate(r.bytes, meter), 'fill', BigInt.asIntN(64, n)), 'abort: fuel', `fill of ${n} bytes`);
  }
  // with enough fuel the trap is the original's
  const meter = new LimitMeter(1n << 40n, 1e9);
  const i = instantiate(r.bytes, meter);
  assert.match(String(call(i, 'fill', 2n ** 32n + 16n)), /RuntimeError: .*out of bounds/);
  assert.ok(fuelUsed(i, meter, global) >= (2n ** 32n + 16n) / 16n);
});

test('memory64: memory.grow past the memory cap returns -1 (i64), for defined, imported and mixed memories', { skip }, async () => {
  const cap = 4 * PAGE;
  const meter = (): LimitMeter => new LimitMeter(1n << 62n, 1e9);
  // a defined memory without a maximum: the rewrite gives it the cap as its maximum
  const own = instrument(await wat('(module (memory i64 1) (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0))))', FEATURES), {
    memoryBytes: cap,
  });
  let i = instantiate(own.bytes, meter());
  assert.deepEqual([5n, 2n, 2n ** 40n, 1n, 1n].map((n) => call(i, 'grow', n)), [-1n, 1n, -1n, 3n, -1n]);
  // (a grow by 2^50 pages or more is charged 2^62 units, more than any budget: the run ends on fuel, as a
  // 32-bit grow by 2^32 - 1 pages ends a run with the default budget of 10^12)
  assert.equal(call(i, 'grow', 2n ** 63n), 'abort: fuel');
  // an imported memory (its maximum is the host's): the grow is checked inline
  const imported = instrument(
    await wat('(module (import "m" "mem" (memory i64 1)) (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0))))', FEATURES),
    { memoryBytes: cap },
  );
  const mem = new WebAssembly.Memory({ initial: 1n, address: 'i64' } as unknown as WebAssembly.MemoryDescriptor);
  i = instantiate(imported.bytes, meter(), { m: { mem } });
  assert.deepEqual([5n, 2n, 2n ** 40n, 2n ** 49n, 1n, 1n].map((n) => call(i, 'grow', n)), [-1n, 1n, -1n, -1n, 3n, -1n]);
  assert.equal(mem.buffer.byteLength, cap);
  // a 32-bit and a 64-bit memory share the cap
  const mixed = instrument(
    await wat(
      `(module (memory $a 1) (memory $b i64 1)
        (func (export "grow32") (param i32) (result i32) (memory.grow $a (local.get 0)))
        (func (export "grow64") (param i64) (result i64) (memory.grow $b (local.get 0))))`,
      FEATURES,
    ),
    { memoryBytes: cap },
  );
  i = instantiate(mixed.bytes, meter());
  assert.deepEqual(
    [call(i, 'grow64', 3n), call(i, 'grow32', 1), call(i, 'grow64', 1n), call(i, 'grow32', 1), call(i, 'grow64', 2n ** 40n)],
    [-1n, 1, 1n, -1, -1n],
  );
});

test('table64: table.grow of an imported 64-bit table past the table cap returns -1 (i64)', { skip: skipTable }, async () => {
  const r = instrument(
    await wat('(module (import "m" "t" (table i64 1 funcref)) (func (export "grow") (param i64) (result i64) (table.grow (ref.null func) (local.get 0))))', FEATURES),
    { tableElements: 5 },
  );
  const table = new WebAssembly.Table({ element: 'anyfunc', initial: 1n, address: 'i64' } as unknown as WebAssembly.TableDescriptor);
  const i = instantiate(r.bytes, new LimitMeter(1n << 62n, 1e9), { m: { t: table } });
  assert.deepEqual([5n, 3n, 2n ** 40n, 2n ** 61n, 1n, 1n].map((n) => call(i, 'grow', n)), [-1n, 1n, -1n, -1n, 4n, -1n]);
  assert.equal(call(i, 'grow', -1n), 'abort: fuel', '2^64 - 1 elements: charged more than any budget');
});

test('memory64: an initial size above the memory cap is refused, by instrument() and by a run', { skip }, async () => {
  const bytes = await wat('(module (memory i64 5) (func (export "_start")))', FEATURES);
  assert.throws(
    () => instrument(bytes, { memoryBytes: 4 * PAGE }),
    (e: unknown) => e instanceof WardenError && e.kind === 'memory' && /initial memory is 327680 bytes, above the limit of 262144 bytes/.test(e.message),
  );
  const refused = await run(bytes, { limits: { memoryBytes: 4 * PAGE } });
  assert.equal(refused.error?.kind, 'memory');
  assert.match(refused.error!.message, /initial memory is 327680 bytes, above the limit of 262144 bytes/);
  const ok = await run(bytes, { limits: { memoryBytes: 5 * PAGE } });
  assert.equal(ok.error, undefined);
  assert.equal(ok.peakMemoryBytes, 5 * PAGE);
});

test('memory64: a memory cap above 4 GiB binds a 64-bit memory exactly (not clamped to 65536 pages)', { skip }, async () => {
  const bytes = await wat('(module (memory i64 1) (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0))))', FEATURES);
  const r = instrument(bytes, { memoryBytes: 70000 * PAGE + 1 });
  assert.equal(r.requires.memoryCapBytes, 70000 * PAGE);
  const i = instantiate(r.bytes, new LimitMeter(1n << 62n, 1e9));
  // (does not allocate: a grow beyond the maximum fails before V8 reserves anything)
  assert.equal(call(i, 'grow', 70000n), -1n);
  // a 32-bit memory under the same cap keeps the wasm32 limit
  const r32 = instrument(await wat('(module (memory 1))'), { memoryBytes: 70000 * PAGE });
  assert.equal(r32.requires.memoryCapBytes, 65536 * PAGE);
});
