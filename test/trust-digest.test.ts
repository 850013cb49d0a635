// Digest pins: parsing (sha256:HEX and bare hex), moduleDigest/checkDigest, and the `digest` option of
// compile(), run(), CompiledModule.run/instantiate and `warden run --digest`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDigest, moduleDigest, parseDigest } from '../src/trust/digest.js';
import { compile, run, WardenError } from '../src/index.js';
import { wat, HELLO } from './api-modules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const HEX = 'ab'.repeat(32);
const OTHER = 'sha256:' + '0'.repeat(64);

function isKind(kind: string, ...parts: string[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof WardenError, String(e));
    assert.equal(e.kind, kind);
    for (const p of parts) assert.ok(e.message.includes(p), `${e.message} should include ${p}`);
    return true;
  };
}

describe('parseDigest', () => {
  it('accepts sha256:HEX and bare hex in any case, normalised to sha256:lowercase', () => {
    assert.equal(parseDigest(`sha256:${HEX}`), `sha256:${HEX}`);
    assert.equal(parseDigest(HEX.toUpperCase()), `sha256:${HEX}`);
    assert.equal(parseDigest(`SHA256:${HEX.toUpperCase()}`), `sha256:${HEX}`);
    assert.equal(parseDigest(`  ${HEX}\n`), `sha256:${HEX}`);
  });
  it('refuses anything else with a config error naming the text', () => {
    for (const bad of ['', 'abc', HEX + '0', HEX.slice(1), `sha256:${HEX.slice(2)}zz`, `sha512:${HEX}`, `sha256-${HEX}`, `md5:${HEX}`]) {
      assert.throws(() => parseDigest(bad), isKind('config', JSON.stringify(bad)), bad);
    }
    assert.throws(() => parseDigest(`sha512:${HEX}`), /only sha256/);
  });
});

describe('moduleDigest and checkDigest', () => {
  it('name a module by the sha256 of its bytes; a mismatch names both digests', async () => {
    const bytes = await wat(HELLO);
    const hex = createHash('sha256').update(bytes).digest('hex');
    assert.equal(moduleDigest(bytes), `sha256:${hex}`);
    assert.equal(checkDigest(bytes, hex), `sha256:${hex}`);
    assert.equal(checkDigest(bytes, `sha256:${hex.toUpperCase()}`), `sha256:${hex}`);
    assert.throws(() => checkDigest(bytes, OTHER), isKind('policy', OTHER, `sha256:${hex}`));
    assert.throws(() => checkDigest(bytes, 'nope'), isKind('config', '"nope"'));
  });
});

describe('the digest option', () => {
  it('compile() refuses a mismatch before compiling and accepts a match', async () => {
    const bytes = await wat(HELLO);
    const good = moduleDigest(bytes);
    const cm = await compile(bytes, { digest: good });
    assert.equal(`sha256:${cm.digest}`, good);
    await assert.rejects(compile(bytes, { digest: OTHER }), isKind('policy', OTHER, good));
    await assert.rejects(compile(bytes, { digest: 'sha256:zz' }), isKind('config'));
  });

  it('run() resolves with a policy error (exit 1, nothing run) on a mismatch', async () => {
    const bytes = await wat(HELLO);
    const bad = await run(bytes, { digest: OTHER });
    assert.equal(bad.exitCode, 1);
    assert.equal(bad.error?.kind, 'policy');
    assert.match(bad.error!.message, /expected sha256:0{64}, got sha256:[0-9a-f]{64}/);
    assert.equal(bad.stdout.length, 0);
    const ok = await run(bytes, { digest: moduleDigest(bytes).slice(7) });
    assert.equal(ok.stdout.toString(), 'hello\n');
  });

  it('CompiledModule.run and instantiate check the pin against the compiled bytes', async () => {
    const cm = await compile(await wat(HELLO));
    const r = await cm.run({ digest: OTHER });
    assert.equal(r.error?.kind, 'policy');
    await assert.rejects(cm.instantiate({ digest: OTHER }), isKind('policy', OTHER));
    assert.equal((await cm.run({ digest: cm.digest })).exitCode, 0);
  });
});

describe('warden run --digest', () => {
  const warden = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, encoding: 'utf8', input: '' });
  it('runs a module with the pinned digest, bare or prefixed', () => {
    const hex = createHash('sha256').update(spawnSync('cat', [join(ROOT, 'examples/wc.wasm')]).stdout).digest('hex');
    for (const pin of [hex, `sha256:${hex}`]) {
      const r = warden(['run', '--digest', pin, '--dir', 'examples/data::/data', 'examples/wc.wasm', '/data/poem.txt']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /220 \/data\/poem.txt/);
    }
  });
  it('refuses a mismatch with exit 1 naming both digests, and a malformed digest with exit 2', () => {
    const r = warden(['run', '--digest', OTHER, 'examples/wc.wasm']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: module digest mismatch: expected sha256:0{64}, got sha256:[0-9a-f]{64}\n$/);
    const bad = warden(['run', '--digest', 'sha256:123', 'examples/wc.wasm']);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'error: --digest: invalid digest "sha256:123": expected sha256:<64 hex digits> or 64 hex digits\n');
  });
  it('--json reports the refusal', () => {
    const r = warden(['run', '--json', '--digest', OTHER, 'examples/wc.wasm']);
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).error.kind, 'policy');
  });
});
