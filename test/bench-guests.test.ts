// The bench guests compute the same thing under Warden as under node:wasi (correctness only:
// never timing), so `npm run bench` compares runtimes doing identical work.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { nodeWasi, type Contender } from '../bench/contenders.js';
import { Wasm } from '../bench/wasm.js';
import { warden } from '../bench/warden.js';
import { guestPath, WORKLOADS } from '../bench/workloads.js';

/** What each workload prints at test size (so both runtimes being wrong the same way fails too). */
const EXPECTED: Record<string, RegExp> = {
  stdout: /^line 0 of output\n(line \d+ of output\n){499}lines=500 sum=\d+\n$/,
  'stdout-capture': /^line 0 of output\n(line \d+ of output\n){499}lines=500 sum=\d+\n$/,
  bigfile: /^bytes=1048576 bad_chunks=0 sum=\d+\n$/,
  manyfiles: /^files=50 bytes=390 gone=1\n$/,
  readdir: /^entries=202 per_listing=101 sum=\d+\n$/,
  fresh: /^hello from a fresh sandbox\n$/,
};

async function runOnce(c: Contender, name: string): Promise<{ exitCode: number; stdout: string; left: string[] }> {
  const w = WORKLOADS.find((x) => x.name === name)!;
  const dir = mkdtempSync(join(tmpdir(), `warden-bench-test-${name}-`));
  try {
    w.setup?.(dir, 'test');
    const before = readdirSync(dir).sort();
    const path = guestPath(w.guest);
    const bytes = new Uint8Array(readFileSync(path));
    const spec = { path, bytes, module: await Wasm.compile(bytes), argv: [basename(w.guest), ...w.args('test')], hostDir: dir, stdout: 'capture' as const };
    const out = await c.run(spec, 1);
    const after = readdirSync(dir).sort();
    // Scratch files the guest left behind (it cleans up after itself), relative to the setup.
    const left = after.filter((f) => !before.includes(f));
    return { exitCode: out.exitCode, stdout: out.stdout ?? '', left };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('bench guests: same output under Warden and node:wasi', () => {
  const base = nodeWasi();
  const ours = warden();
  for (const w of WORKLOADS) {
    it(w.name, async () => {
      const expected = await runOnce(base, w.name);
      const actual = await runOnce(ours, w.name);
      assert.equal(expected.exitCode, 0, 'node:wasi exit code');
      assert.match(expected.stdout, EXPECTED[w.name]!, 'node:wasi output');
      assert.deepEqual(actual, expected);
    });
  }
});
