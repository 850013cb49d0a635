// Fuel through the library and the CLI: deterministic counts, limits in --json, strict flag parsing,
// `warden instrument`, and the limit profile caching of compiled modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearCompileCache, compile, run } from '../src/index.js';
import { parseBytes, parseDuration, parseFuel } from '../src/limits/parse.js';
import { LimitMeter } from '../src/limits/meter.js';
import { FIRST_FUEL_SLICE, FUEL_SLICE, MIN_FUEL_SLICE, REFILL_INTERVAL_MS } from '../src/limits/defaults.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const WORK = join(ROOT, 'test/guests/limits/work.wasm');
const LOOP = join(ROOT, 'test/guests/limits/tight_loop.wasm');
const work = new Uint8Array(readFileSync(WORK));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('same module + same input = same fuel, across runs and fresh compiles', async () => {
  const fuel = async (arg: string): Promise<number> => {
    const r = await run(work, { args: [arg] });
    assert.equal(r.error, undefined);
    return r.fuelUsed;
  };
  const a = await fuel('5000');
  assert.ok(a > 5000);
  assert.equal(await fuel('5000'), a);
  clearCompileCache();
  assert.equal(await fuel('5000'), a);
  const m = await compile(work, { cache: false });
  assert.equal((await m.run({ args: ['5000'], limits: { memoryBytes: 32 << 20 } })).fuelUsed, a, 'another limit profile, same fuel');
  assert.ok((await fuel('6000')) > a);
});

test('limit options are checked', async () => {
  const m = await compile(work);
  await assert.rejects(m.run({ limits: { fuel: -1 } }), /limits\.fuel must be a non-negative integer/);
  await assert.rejects(m.run({ limits: { timeoutMs: 1.5 } }), /limits\.timeoutMs must be an integer/);
  await assert.rejects(m.run({ limits: { memoryBytes: Number.NaN } }), /limits\.memoryBytes must be an integer/);
});

test('limit values parse strictly', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('1.5s'), 1500);
  for (const bad of ['', '5', '5x', '-1s', '0ms', '1.0001ms', 's']) assert.throws(() => parseDuration(bad), /expected a duration|not a whole number/, bad);
  assert.equal(parseBytes('64MiB'), 64 * 1024 * 1024);
  assert.equal(parseBytes('1GiB'), 1024 ** 3);
  assert.equal(parseBytes('65536'), 65536);
  for (const bad of ['', 'MiB', '1 XiB', '-5', '1.5']) assert.throws(() => parseBytes(bad), /expected a size|not a whole number/, bad);
  assert.equal(parseFuel('1e9'), 1_000_000_000n);
  assert.equal(parseFuel('1_000'), 1000n);
  for (const bad of ['', '-1', '1.5', 'lots', '1e30']) assert.throws(() => parseFuel(bad), /expected a non-negative|largest budget/, bad);
});

test('CLI: --fuel, --timeout and --max-memory end the run with their kind; fuel used in --json', () => {
  const fuel = cli('run', '--fuel', '100000', '--json', LOOP);
  assert.equal(fuel.status, 134);
  const j = JSON.parse(fuel.stdout) as { fuelUsed: number; error: { kind: string; message: string } };
  assert.deepEqual(j.error, { kind: 'fuel', message: 'fuel exhausted after 100000 units' });
  assert.equal(j.fuelUsed, 100000);
  const timeout = cli('run', '--timeout', '100ms', LOOP);
  assert.equal(timeout.status, 134);
  assert.equal(timeout.stderr, 'error: deadline of 100ms passed\n');
  const mem = cli('run', '--max-memory', '64KiB', WORK);
  assert.equal(mem.status, 134);
  assert.match(mem.stderr, /^error: memory limit: the module's initial memory is \d+ bytes, above the limit of 65536 bytes\n$/);
  const ok = JSON.parse(cli('run', '--json', WORK, '100').stdout) as { fuelUsed: number; peakMemoryBytes: number; exitCode: number };
  assert.equal(ok.exitCode, 0);
  assert.ok(ok.fuelUsed > 0 && ok.peakMemoryBytes >= 65536);
});

test('CLI: malformed limit flags are usage errors naming the flag', () => {
  for (const [flag, value, why] of [
    ['--timeout', '5x', 'expected a duration such as 500ms, 2s or 1m, got "5x"'],
    ['--max-memory', 'lots', 'expected a size such as 64MiB, 1GiB or a byte count, got "lots"'],
    ['--fuel', '-3', 'expected a non-negative whole number of fuel units (e.g. 1000000 or 1e9), got "-3"'],
  ] as const) {
    const r = cli('run', flag, value, WORK);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `error: ${flag}: ${why}\n`);
  }
});

test('CLI: warden instrument writes a module other runtimes can run, and says what to supply', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'warden-instr-')), 'out.wasm');
  const r = cli('instrument', '--max-memory', '1MiB', '-o', out, LOOP);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /import "warden" "fuel": \(i64\) -> i64/);
  assert.match(r.stdout, /export "__warden_fuel": mutable i64 global/);
  const bytes = readFileSync(out);
  assert.ok(WebAssembly.validate(bytes));
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  assert.ok(imports.some((i) => i.module === 'warden' && i.name === 'fuel' && i.kind === 'function'));
  const missing = cli('instrument', LOOP);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, 'error: missing -o OUT.wasm\n');
});

test('CLI: warden instrument refuses a file that is not a module with the same messages as warden run', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'warden-instr-')), 'out.wasm');
  for (const input of ['examples/data/poem.txt', 'examples', 'nope.wasm']) {
    const r = cli('instrument', '-o', out, input);
    const same = cli('run', input);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: (not a WebAssembly module \(expected \\0asm magic, found 54 68 65 20 "The "\)|cannot read \w+(\.wasm)?: (is a directory|no such file))\n$/);
    assert.deepEqual([r.status, r.stderr], [same.status, same.stderr], input);
  }
  assert.throws(() => readFileSync(out), /ENOENT/);
});

test('limits.instances: 0 refuses the run with a memory-kind limit error', async () => {
  const r = await run(work, { limits: { instances: 0 } });
  assert.equal(r.error?.kind, 'memory');
  assert.match(r.error!.message, /instance limit/);
  await assert.rejects(run(work, { limits: { instances: -1 } }), /limits\.instances must be an integer/);
});

test('the meter hands out smaller slices when fuel buys more time than usual, and larger ones again when it does not', () => {
  const meter = new LimitMeter(1n << 40n, 60_000);
  const spin = (ms: number): void => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  // the first slice is small, and doubles at each quick refill up to FUEL_SLICE
  let counter = meter.refill(0n);
  assert.equal(counter, FIRST_FUEL_SLICE);
  const seen: bigint[] = [];
  for (let i = 0; i < 200 && counter < FUEL_SLICE; i++) seen.push((counter = meter.refill(-1n)));
  assert.equal(counter, FUEL_SLICE, `slices: ${seen.join(', ')}`);
  // a slice that took 8x the interval: the next is at most an eighth (never below MIN_FUEL_SLICE)
  spin(REFILL_INTERVAL_MS * 8);
  const shrunk = meter.refill(-1n);
  assert.ok(shrunk <= FUEL_SLICE / 8n && shrunk >= MIN_FUEL_SLICE, `after a slow slice: ${shrunk}`);
  // slow slices again and again: down to MIN_FUEL_SLICE, not below
  const slow: bigint[] = [];
  for (let i = 0; i < 10; i++) {
    spin(REFILL_INTERVAL_MS * 8);
    slow.push(meter.refill(-1n));
  }
  assert.equal(slow.at(-1), MIN_FUEL_SLICE, `slow slices: ${slow.join(', ')}`);
  assert.ok(slow.every((x) => x >= MIN_FUEL_SLICE));
  // every unit handed out is accounted for, whatever the slices were (each refill above paid a 1-unit overdraft)
  const slices = [FIRST_FUEL_SLICE, ...seen, shrunk, ...slow];
  const handedOut = slices.reduce((a, b) => a + b, 0n);
  assert.equal(meter.used(5n), handedOut + BigInt(slices.length - 1) - 5n);
});
