// Adversarial guests (test/guests/limits/): each is stopped by the right limit with its own error kind and
// message, and the next run in the same process works normally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run, type RunOptions, type RunResult } from '../src/index.js';
import { wat } from './api-modules.js';

const dir = fileURLToPath(new URL('../../test/guests/limits/', import.meta.url));

async function guest(name: string): Promise<Uint8Array> {
  if (name.endsWith('.wat')) return wat(readFileSync(dir + name, 'utf8'), { exceptions: true, tail_call: true });
  return new Uint8Array(readFileSync(dir + name));
}

interface Case {
  guest: string;
  options: RunOptions;
  kind: string | null;
  message?: RegExp;
  check?: (r: RunResult) => void;
}

const MiB = 1024 * 1024;
const CASES: Case[] = [
  { guest: 'tight_loop.wasm', options: { limits: { fuel: 1_000_000 } }, kind: 'fuel', message: /^fuel exhausted after 1000000 units$/ },
  { guest: 'tight_loop.wasm', options: { limits: { timeoutMs: 150, fuel: 10n ** 15n } }, kind: 'timeout', message: /^deadline of 150ms passed$/ },
  { guest: 'loop_calls.wasm', options: { limits: { fuel: 1_000_000 } }, kind: 'fuel' },
  { guest: 'tail_recursion.wat', options: { limits: { fuel: 1_000_000 } }, kind: 'fuel' },
  { guest: 'mutual_recursion.wat', options: {}, kind: 'stack-overflow' },
  { guest: 'call_tree.wat', options: { limits: { fuel: 10_000_000 } }, kind: 'fuel' },
  { guest: 'call_tree.wat', options: { limits: { timeoutMs: 100, fuel: 10n ** 15n } }, kind: 'timeout' },
  { guest: 'start_forever.wat', options: { limits: { fuel: 1_000_000 } }, kind: 'fuel' },
  { guest: 'start_forever.wat', options: { limits: { timeoutMs: 100, fuel: 10n ** 15n } }, kind: 'timeout' },
  { guest: 'output_flood.wasm', options: { limits: { stdoutBytes: 100_000 } }, kind: 'output-limit' },
  { guest: 'fill_loop.wat', options: { limits: { fuel: 20_000_000 } }, kind: 'fuel' },
  { guest: 'bulk_memory.wasm', options: { limits: { fuel: 30_000_000, memoryBytes: 128 * MiB } }, kind: 'fuel' },
  { guest: 'sleeper.wasm', options: { limits: { timeoutMs: 200 } }, kind: 'timeout', message: /^deadline of 200ms passed$/ },
  { guest: 'big_data.wat', options: { limits: { memoryBytes: 64 * MiB } }, kind: 'memory', message: /data segment 0 ends at byte 536870920, beyond the limit of 67108864 bytes/ },
  {
    guest: 'malloc_bomb.wasm',
    options: { limits: { memoryBytes: 16 * MiB } },
    kind: null,
    check: (r) => {
      const got = Number(r.stdout.toString());
      assert.ok(got > 0 && got <= 16, `allocated ${got} MiB`);
      assert.ok(r.peakMemoryBytes <= 16 * MiB && r.peakMemoryBytes > 8 * MiB, `peak ${r.peakMemoryBytes}`);
    },
  },
  {
    guest: 'memory_bomb.wat',
    options: { invoke: 'grow', limits: { memoryBytes: 4 * MiB } },
    kind: null,
    check: (r) => {
      assert.deepEqual(r.returnValues, [64]);
      assert.equal(r.peakMemoryBytes, 4 * MiB);
    },
  },
  { guest: 'grow_forever.wat', options: { limits: { timeoutMs: 100, memoryBytes: 1024 * MiB } }, kind: 'timeout' },
  { guest: 'heavy_writes.wat', options: { limits: { timeoutMs: 100, stdoutBytes: 256 * MiB } }, kind: 'timeout' },
  { guest: 'table_bomb.wat', options: { invoke: 'grow', limits: { tableElements: 250_000 } }, kind: null, check: (r) => assert.deepEqual(r.returnValues, [200_000]) },
  {
    guest: 'catch_abort.wat',
    options: { limits: { fuel: 1_000_000 } },
    kind: 'fuel',
    check: (r) => assert.equal(r.stdout.toString(), '', 'the handler ran a WASI call after the abort'),
  },
  { guest: 'catch_abort_noloop.wat', options: { limits: { fuel: 1_000_000 } }, kind: 'fuel' },
  { guest: 'catch_abort_noloop.wat', options: { limits: { timeoutMs: 100, fuel: 10n ** 15n } }, kind: 'timeout' },
];

const work = new Uint8Array(readFileSync(dir + 'work.wasm'));

for (const c of CASES) {
  test(`${c.guest} ${JSON.stringify(c.options, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))} -> ${c.kind ?? 'runs within the cap'}`, async () => {
    const r = await run(await guest(c.guest), c.options);
    if (c.kind === null) {
      assert.equal(r.error, undefined, r.error?.message);
      assert.equal(r.exitCode, 0);
    } else {
      assert.equal(r.error?.kind, c.kind, r.error?.message);
      assert.equal(r.exitCode, 134);
      if (c.message) assert.match(r.error!.message, c.message);
    }
    c.check?.(r);
    // The next run in the same process is unaffected.
    const next = await run(work, { args: ['1000'] });
    assert.equal(next.error, undefined);
    assert.match(next.stdout.toString(), /^\d+\n$/);
  });
}

test('fuel exhaustion reports the whole budget as used', async () => {
  const r = await run(await guest('tight_loop.wasm'), { limits: { fuel: 123_456 } });
  assert.equal(r.error?.kind, 'fuel');
  assert.equal(r.fuelUsed, 123_456);
});
