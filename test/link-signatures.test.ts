// The link check's wasi_snapshot_preview1 signatures, derived from the one definition table in
// src/wasi/preview1.ts: every function has one, with the core wasm types each parameter kind maps to.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { wasiP1Signature } from '../src/sandbox/link.js';
import { PREVIEW1_FUNCTIONS } from '../src/wasi/context.js';

describe('preview1 signatures for the link check', () => {
  it('come from the definition table: pointer+length paths, 64-bit rights and offsets, proc_exit without result', () => {
    assert.equal(PREVIEW1_FUNCTIONS.length, 46);
    for (const name of PREVIEW1_FUNCTIONS) assert.ok(wasiP1Signature(name), name);
    const sig = (name: string): string => {
      const s = wasiP1Signature(name)!;
      return `${s.params.join(',')}->${s.results.join(',')}`;
    };
    assert.equal(sig('path_open'), 'i32,i32,i32,i32,i32,i64,i64,i32,i32->i32');
    assert.equal(sig('fd_seek'), 'i32,i64,i32,i32->i32');
    assert.equal(sig('path_filestat_set_times'), 'i32,i32,i32,i32,i64,i64,i32->i32');
    assert.equal(sig('proc_exit'), 'i32->');
    assert.equal(sig('sched_yield'), '->i32');
    assert.equal(wasiP1Signature('fd_nonexistent'), undefined);
  });
});
