// Round-trip fuzzing in the test suite: ~100 modules from binaryen's `wasm-opt -ttf` (bench/fuzz-roundtrip.ts
// runs any number): byte-identical round trip, and identical behaviour wherever V8 here runs the module.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_V8_FEATURES, NODE_FEATURES, fuzzCase } from './binary-fuzz.js';

test('80 generated modules with the proposals Node runs: identical bytes, same results and traps', async () => {
  let runnable = 0;
  for (let i = 0; i < 80; i++) {
    const r = await fuzzCase(i, NODE_FEATURES);
    assert.equal(r.failure, null, `case ${i}: ${r.failure}`);
    if (r.runnable) runnable++;
  }
  assert.ok(runnable >= 70, `only ${runnable} cases ran`);
});

test('20 generated modules with every proposal (GC, exnref, memory64, multi-memory, ...): identical bytes', async () => {
  for (let i = 1000; i < 1020; i++) {
    const r = await fuzzCase(i, ALL_V8_FEATURES);
    assert.equal(r.failure, null, `case ${i}: ${r.failure}`);
  }
});
