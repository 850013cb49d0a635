// The CPU bench programs compute the right thing in Warden (instrumented, under limits): their checksums at
// test size match bench/cpu/expected.txt (made from native clang -O2 builds). Correctness only, never timing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run } from '../src/index.js';
import { CPU_PROGRAMS, checksumOf, readExpected, wasmPath } from '../bench/cpu-programs.js';

const expected = readExpected();

describe('CPU bench programs', () => {
  it('has at least 6 programs, each with an expected checksum for every size', () => {
    assert.ok(CPU_PROGRAMS.length >= 6);
    for (const p of CPU_PROGRAMS) {
      for (const size of ['test', 'quick', 'full'] as const) {
        assert.match(expected.get(`${p.name} ${p.arg[size]}`) ?? '', /\S/, `${p.name} ${size}`);
      }
    }
  });

  for (const p of CPU_PROGRAMS) {
    it(`${p.name}: the wasm build prints the expected checksum under Warden, with fuel counted`, async () => {
      const r = await run(new Uint8Array(readFileSync(wasmPath(p))), { args: [p.arg.test], stdout: 'buffer' });
      assert.equal(r.error, undefined, r.error?.message);
      assert.equal(r.exitCode, 0);
      assert.equal(checksumOf(r.stdout.toString('utf8')), expected.get(`${p.name} ${p.arg.test}`));
      assert.ok(r.fuelUsed > 0);
    });
  }
});
