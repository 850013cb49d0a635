// Differential fuzzing in CI: wasm-opt -ttf modules run original vs instrumented (same results, traps and
// import calls). scripts/fuzz-instrument.ts runs any number of cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffCase } from './instrument-diff.js';

const CASES = 150;

test(`${CASES} generated modules behave the same instrumented`, async () => {
  const failures: string[] = [];
  let compared = 0;
  for (let i = 0; i < CASES; i++) {
    const r = await diffCase(i);
    if (!r.skipped) compared++;
    if (r.failure) failures.push(`case ${i}: ${r.failure}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(compared >= CASES * 0.9, `only ${compared} cases could be compared`);
});
