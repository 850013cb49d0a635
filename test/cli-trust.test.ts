// `warden keygen`, `warden sign`, `warden verify`, `warden run --policy` and `warden inspect --policy`,
// spawned as a user would: files written, exit codes and one-line messages.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wat } from './api-modules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const DATA = join(ROOT, 'examples/data');
const POEM_LINE = '      7      42     220 /data/poem.txt\n';

interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

let tmp = '';
const warden = (...args: string[]): Out => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: tmp, input: '', encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const at = (name: string): string => join(tmp, name);
/** Runs warden and asserts it succeeded (its stderr in the message otherwise). */
const ok = (...args: string[]): Out => {
  const r = warden(...args);
  assert.equal(r.status, 0, `warden ${args.join(' ')}: ${r.stderr}`);
  return r;
};

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'warden-cli-trust-'));
  copyFileSync(join(ROOT, 'examples/wc.wasm'), at('wc.wasm'));
  writeFileSync(at('simd.wasm'), await wat('(module (func (export "_start") (drop (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))))', { simd: true }));
  writeFileSync(
    at('sock.wasm'),
    await wat('(module (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32))) (memory (export "memory") 1) (func (export "_start")))'),
  );
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('warden keygen', () => {
  it('writes KEYFILE (mode 0600) and KEYFILE.pub; refuses to overwrite without --force', () => {
    const r = warden('keygen', '-o', 'alice');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^wrote secret key alice \(keep it private\) and public key alice\.pub: ed25519:[0-9a-f]{16}\n$/);
    assert.equal(statSync(at('alice')).mode & 0o777, 0o600);
    assert.match(readFileSync(at('alice'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(readFileSync(at('alice.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    const again = warden('keygen', '-o', 'alice');
    assert.deepEqual([again.status, again.stderr], [2, 'error: cannot write alice: file exists (use --force to overwrite)\n']);
    ok('keygen', '-o', 'bob');
    ok('keygen', '--force', '-o', 'bob');
  });
  it('--format raw writes wasmsign2 key files', () => {
    ok('keygen', '--format', 'raw', '-o', 'carol.key');
    assert.equal(readFileSync(at('carol.key')).length, 65);
    assert.equal(readFileSync(at('carol.key.pub')).length, 33);
    assert.equal(statSync(at('carol.key')).mode & 0o777, 0o600);
    const bad = warden('keygen', '--format', 'der', '-o', 'x');
    assert.deepEqual([bad.status, bad.stderr], [2, 'error: --format: expected pem or raw, got "der"\n']);
    assert.equal(warden('keygen').status, 2);
  });
});

describe('warden sign and verify', () => {
  it('signs into a new file and in place; verify exits 0 for the signer, 1 for anyone else', () => {
    const s = warden('sign', '--key', 'alice', '-o', 'wc.signed.wasm', 'wc.wasm');
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /^signed wc\.wasm with alice \(ed25519:[0-9a-f]{16}\): wc\.signed\.wasm \(1 signature\)\n$/);
    const v = warden('verify', '--key', 'alice.pub', 'wc.signed.wasm');
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^verified: wc\.signed\.wasm is signed by alice\.pub \(ed25519:[0-9a-f]{16}\)\n$/);
    const wrong = warden('verify', '--key', 'bob.pub', 'wc.signed.wasm');
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /^error: wc\.signed\.wasm: not verified: no valid signature by bob\.pub \(ed25519:[0-9a-f]{16}\) \(1 signature by other keys\)\n$/);
    const unsigned = warden('verify', '--key', 'alice.pub', 'wc.wasm');
    assert.equal(unsigned.status, 1);
    assert.match(unsigned.stderr, /not verified: the module is not signed/);
    copyFileSync(at('wc.wasm'), at('inplace.wasm'));
    chmodSync(at('inplace.wasm'), 0o640);
    ok('sign', '--key', 'carol.key', 'inplace.wasm');
    assert.equal(statSync(at('inplace.wasm')).mode & 0o777, 0o640, 'signing in place keeps the file mode');
    ok('verify', '--key', 'carol.key.pub', 'inplace.wasm');
  });

  it('a second key adds a signature; --all needs both; signing twice with one key is refused', () => {
    ok('sign', '--key', 'bob', '-o', 'both.wasm', 'wc.signed.wasm');
    ok('verify', '--key', 'alice.pub', 'both.wasm');
    ok('verify', '--key', 'bob.pub', 'both.wasm');
    ok('verify', '--all', '--key', 'alice.pub', '--key', 'bob.pub', 'both.wasm');
    const partial = warden('verify', '--all', '--key', 'alice.pub', '--key', 'carol.key.pub', 'both.wasm');
    assert.equal(partial.status, 1);
    assert.match(partial.stderr, /not signed by carol\.key\.pub .*\(--all\)/);
    const twice = warden('sign', '--key', 'alice', '-o', 'x.wasm', 'both.wasm');
    assert.deepEqual([twice.status, twice.stderr], [2, 'error: the module is already signed by this key (alice)\n']);
    const json = JSON.parse(warden('verify', '--json', '--key', 'alice.pub', '--key', 'carol.key.pub', 'both.wasm').stdout);
    assert.deepEqual(json, { module: 'both.wasm', verified: true, signature: 'embedded', signatures: 2, validKeys: ['alice.pub'] });
  });

  it('a tampered module does not verify', () => {
    const bytes = readFileSync(at('wc.signed.wasm'));
    for (const pos of [bytes.length - 1, Math.floor(bytes.length / 2), 300]) {
      const t = Buffer.from(bytes);
      t[pos]! ^= 0x20;
      writeFileSync(at('tampered.wasm'), t);
      const r = warden('verify', '--key', 'alice.pub', 'tampered.wasm');
      assert.equal(r.status, 1, `byte ${pos}`);
      assert.match(r.stderr, /^error: tampered\.wasm: not verified: /);
    }
  });

  it('detached signatures: the module is unchanged; a second signer adds to the file; --signature verifies', () => {
    const before = readFileSync(at('wc.wasm'));
    ok('sign', '--key', 'alice', '--detached', 'wc.sig', 'wc.wasm');
    assert.deepEqual(readFileSync(at('wc.wasm')), before);
    const second = warden('sign', '--key', 'bob', '--detached', 'wc.sig', 'wc.wasm');
    assert.match(second.stdout, /detached signature wc\.sig \(2 signatures\)/);
    ok('verify', '--all', '--key', 'alice.pub', '--key', 'bob.pub', '--signature', 'wc.sig', 'wc.wasm');
    assert.equal(warden('verify', '--key', 'alice.pub', 'wc.wasm').status, 1);
    const missing = warden('verify', '--key', 'alice.pub', '--signature', 'nope.sig', 'wc.wasm');
    assert.deepEqual([missing.status, missing.stderr], [2, 'error: cannot read nope.sig: no such file\n']);
  });

  it('usage errors and unusable keys: exit 2, one line', () => {
    const cases: [string[], RegExp][] = [
      [['sign', 'wc.wasm'], /^error: missing --key KEYFILE/],
      [['sign', '--key', 'alice.pub', 'wc.wasm'], /^error: alice\.pub: this is a public key; signing needs the secret key\n$/],
      [['sign', '--key', 'nobody', 'wc.wasm'], /^error: nobody: no such secret key file\n$/],
      [['verify', 'wc.wasm'], /^error: missing --key PUBFILE/],
      [['verify', '--key', 'alice', 'wc.wasm'], /^error: alice: this is a secret key; pass the public key \(the \.pub file\)\n$/],
      [['verify', '--key', 'alice.pub'], /^error: missing MODULE\.wasm/],
      [['verify', '--key', 'alice.pub', 'nothere.wasm'], /^error: cannot read nothere\.wasm: no such file\n$/],
    ];
    for (const [args, re] of cases) {
      const r = warden(...args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
    }
    writeFileSync(at('notwasm.wasm'), 'hello');
    const bad = warden('sign', '--key', 'alice', '-o', 'y.wasm', 'notwasm.wasm');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^error: invalid module: expected the WebAssembly module header/);
  });

  it('--help for each command', () => {
    for (const cmd of ['keygen', 'sign', 'verify']) {
      const r = warden(cmd, '--help');
      assert.equal(r.status, 0);
      assert.match(r.stdout, new RegExp(`Usage: warden ${cmd} `));
      assert.match(r.stdout, /Exit status:/);
    }
    assert.match(warden('--help').stdout, /sign .*\n.*verify .*\n.*keygen /);
  });
});

describe('warden run --policy and inspect --policy', () => {
  before(() => {
    writeFileSync(
      at('policy.toml'),
      `require-signature = ["alice.pub"]
[features]
deny = ["simd", "threads"]
[imports]
allow = ["wasi_snapshot_preview1"]
deny = ["wasi_snapshot_preview1::sock_*"]
[capabilities]
dirs = [{ host = "${DATA}", guest = "/data" }]
[limits]
fuel = "1e9"
`,
    );
  });

  it('runs a module signed by a required key, with the directory the policy grants', () => {
    const r = warden('run', '--policy', 'policy.toml', 'wc.signed.wasm', '/data/poem.txt');
    assert.deepEqual(r, { status: 0, stdout: POEM_LINE, stderr: '' });
    const detached = warden('run', '--policy', 'policy.toml', '--signature', 'wc.sig', 'wc.wasm', '/data/poem.txt');
    assert.deepEqual(detached, { status: 0, stdout: POEM_LINE, stderr: '' });
  });

  it('refuses unsigned and wrongly-signed modules, denied proposals and imports: exit 1, one line', () => {
    const unsigned = warden('run', '--policy', 'policy.toml', 'wc.wasm', '/data/poem.txt');
    assert.deepEqual([unsigned.status, unsigned.stdout], [1, '']);
    assert.match(unsigned.stderr, /^error: refused by policy policy\.toml: signature required: the module is not signed .*\n$/);
    ok('sign', '--key', 'bob', '-o', 'wc.bob.wasm', 'wc.wasm');
    assert.match(warden('run', '--policy', 'policy.toml', 'wc.bob.wasm').stderr, /signature required: no valid signature by .*alice\.pub/);
    ok('sign', '--key', 'alice', '-o', 'simd.signed.wasm', 'simd.wasm');
    const simd = warden('run', '--policy', 'policy.toml', 'simd.signed.wasm');
    assert.deepEqual([simd.status, simd.stderr], [1, 'error: refused by policy policy.toml: uses simd, denied by features.deny\n']);
    ok('sign', '--key', 'alice', '-o', 'sock.signed.wasm', 'sock.wasm');
    const sock = warden('run', '--policy', 'policy.toml', 'sock.signed.wasm');
    assert.match(sock.stderr, /^error: refused by policy policy\.toml: imports wasi_snapshot_preview1::sock_accept \(func\), denied by imports\.deny "wasi_snapshot_preview1::sock_\*"\n$/);
    const json = JSON.parse(warden('run', '--json', '--policy', 'policy.toml', 'sock.signed.wasm').stdout);
    assert.equal(json.error.kind, 'policy');
  });

  it('flags may lower the policy limits, not raise them, nor grant other directories', () => {
    const lower = warden('run', '--policy', 'policy.toml', '--fuel', '100', 'wc.signed.wasm', '/data/poem.txt');
    assert.equal(lower.status, 134);
    assert.match(lower.stderr, /fuel/);
    const higher = warden('run', '--policy', 'policy.toml', '--fuel', '1e12', 'wc.signed.wasm', '/data/poem.txt');
    assert.equal(higher.status, 1);
    assert.match(higher.stderr, /^error: policy policy\.toml refuses the run options: limit fuel 1000000000000 is above the policy's 1000000000/);
    const dir = warden('run', '--policy', 'policy.toml', '--dir', '/tmp::/tmp', 'wc.signed.wasm', '/tmp/x');
    assert.equal(dir.status, 1);
    assert.match(dir.stderr, /directory "\/tmp" is not granted by the policy \(it grants \/data \(read-only\)\)/);
    const rw = warden('run', '--policy', 'policy.toml', '--dir', `${DATA}::/data`, 'wc.signed.wasm', '/data/poem.txt');
    assert.match(rw.stderr, /granted read-only, but asked read-write/);
    const ro = warden('run', '--policy', 'policy.toml', '--dir', `${DATA}::/data:ro`, 'wc.signed.wasm', '/data/poem.txt');
    assert.deepEqual(ro, { status: 0, stdout: POEM_LINE, stderr: '' });
  });

  it('a malformed policy file: exit 2 naming the file and the field', () => {
    writeFileSync(at('bad.toml'), '[features]\ndeny = ["simd", "threadz"]\n');
    const r = warden('run', '--policy', 'bad.toml', 'wc.wasm');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: bad\.toml: features\.deny\[1\]: expected one of "sign-extension", .*\n$/);
    writeFileSync(at('bad2.toml'), 'require-signature = ["nobody.pub"]\n');
    assert.match(warden('run', '--policy', 'bad2.toml', 'wc.wasm').stderr, /^error: bad2\.toml: require-signature\[0\]: .*nobody\.pub: no such public key file\n$/);
    assert.equal(warden('run', '--policy', 'missing.toml', 'wc.wasm').stderr, 'error: missing.toml: no such file\n');
    assert.equal(warden('run', '--signature', 'wc.sig', 'wc.wasm').status, 2);
  });

  it('inspect --policy lists every refusal (exit 1), or says allowed (exit 0); --json carries the findings', () => {
    const r = warden('inspect', '--policy', 'policy.toml', 'sock.wasm');
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\npolicy policy\.toml: REFUSED \(2 reasons\)\n  require-signature: signature required: the module is not signed.*\n  imports\.deny: imports wasi_snapshot_preview1::sock_accept \(func\), denied by imports\.deny "wasi_snapshot_preview1::sock_\*"\n$/);
    const allowed = warden('inspect', '--policy', 'policy.toml', 'wc.signed.wasm');
    assert.equal(allowed.status, 0);
    assert.match(allowed.stdout, /\nsignatures: embedded \(wasmsign2 format; check keys with warden verify\)\n  1 signature over 1 part hash \(matching this module\): key id [0-9a-f]{24}\n\npolicy policy\.toml: allowed\n$/);
    const both = JSON.parse(warden('inspect', '--json', 'both.wasm').stdout);
    assert.equal(both.signatures.sets[0].signatures.length, 2);
    assert.equal(both.signatures.sets[0].coversModule, true);
    assert.doesNotMatch(warden('inspect', 'wc.wasm').stdout, /signatures:/);
    const json = JSON.parse(warden('inspect', '--json', '--policy', 'policy.toml', 'simd.wasm').stdout);
    assert.equal(json.policy.allowed, false);
    assert.deepEqual(json.policy.findings.map((f: { rule: string; field: string }) => `${f.rule} ${f.field}`), ['signature require-signature', 'feature features.deny']);
    ok('inspect', '--policy', 'policy.toml', '--signature', 'wc.sig', 'wc.wasm');
    assert.ok(existsSync(at('wc.sig')));
  });
});
