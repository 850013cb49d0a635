// Policy files: the one schema (TOML and JSON), every malformed field rejected naming the field, keys and
// host paths relative to the policy file, inline keys, and the frozen Policy that comes out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyFile, parsePolicy, POLICY_FEATURES } from '../src/policy/index.js';
import { encodePublicKey, generateKeyPair, keyFingerprint } from '../src/trust/keys.js';
import { WardenError } from '../src/errors.js';

let tmp = '';
const key = generateKeyPair();
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'warden-policy-'));
  mkdirSync(join(tmp, 'keys'));
  writeFileSync(join(tmp, 'keys/alice.pub'), encodePublicKey(key.publicKey, 'pem'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Asserts parsePolicy(data) fails with a 'config' error naming `field`, and whose message matches `re`. */
function rejects(data: unknown, field: string, re: RegExp): void {
  assert.throws(
    () => parsePolicy(data, 'p.toml', tmp),
    (e: unknown) => {
      assert.ok(e instanceof WardenError, String(e));
      assert.equal(e.kind, 'config');
      assert.equal(e.details.field, field, e.message);
      assert.ok(e.message.startsWith(`p.toml: ${field}: `), e.message);
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    },
  );
}

describe('policy fields: every malformed one is named', () => {
  it('unknown fields, with a hint for near misses', () => {
    rejects({ requireSignature: ['keys/alice.pub'] }, 'requireSignature', /unknown field \(did you mean "require-signature"\?\)/);
    rejects({ digest: [] }, 'digest', /did you mean "digests"/);
    rejects({ features: { denied: ['simd'] } }, 'features.denied', /unknown field.*known fields of features: deny, allow/);
    rejects({ capabilities: { dirs: [{ host: 'x', guest: '/x', mode: 'ro' }] } }, 'capabilities.dirs[0].mode', /unknown field/);
    rejects({ limits: { fuels: 5 } }, 'limits.fuels', /did you mean "fuel"/);
  });

  it('wrong types', () => {
    rejects({ digests: 'sha256:' + 'a'.repeat(64) }, 'digests', /expected a list, got the string/);
    rejects({ 'require-signature': 'keys/alice.pub' }, 'require-signature', /expected a list/);
    rejects({ 'require-all-signatures': 'yes', 'require-signature': ['keys/alice.pub'] }, 'require-all-signatures', /expected true or false/);
    rejects({ features: ['simd'] }, 'features', /expected a table, got a list/);
    rejects({ capabilities: { env: { A: 1 } } }, 'capabilities.env.A', /expected a string/);
    rejects({ capabilities: { dirs: [{ host: 'x', guest: '/x', ro: 'no' }] } }, 'capabilities.dirs[0].ro', /expected true or false/);
    rejects({ limits: { memory: 'lots' } }, 'limits.memory', /.+/);
    rejects({ limits: { timeout: -5 } }, 'limits.timeout', /milliseconds/);
  });

  it('bad digests', () => {
    rejects({ digests: ['sha256:123'] }, 'digests[0]', /expected a digest sha256:<64 hex digits>/);
    rejects({ digests: ['a'.repeat(64), 'sha512:' + 'b'.repeat(64)] }, 'digests[1]', /expected a digest/);
  });

  it('missing, unreadable or wrong key files, and bad inline keys', () => {
    rejects({ 'require-signature': ['keys/nobody.pub'] }, 'require-signature[0]', /keys\/nobody\.pub: no such public key file/);
    rejects({ 'require-signature': ['keys'] }, 'require-signature[0]', /is a directory/);
    writeFileSync(join(tmp, 'keys/secret.pem'), key.object.export({ format: 'pem', type: 'pkcs8' }) as string);
    rejects({ 'require-signature': ['keys/alice.pub', 'keys/secret.pem'] }, 'require-signature[1]', /this is a secret key; pass the public key/);
    rejects({ 'require-signature': ['ed25519:abcd'] }, 'require-signature[0]', /no such public key file|not an Ed25519/);
    rejects({ 'require-signature': ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5'] }, 'require-signature[0]', /OpenSSH|truncated/);
    rejects({ 'require-signature': [] }, 'require-signature', /lists no key/);
    rejects({ 'require-all-signatures': true }, 'require-all-signatures', /needs require-signature/);
  });

  it('unknown feature names list the known ones', () => {
    rejects({ features: { deny: ['simd128'] } }, 'features.deny[0]', /expected one of "sign-extension".*"simd".*"threads"/);
    rejects({ features: { allow: ['shared-memory'] } }, 'features.allow[0]', /expected one of/);
  });

  it('bad import patterns, dirs and env names', () => {
    rejects({ imports: { allow: ['wasi_snapshot_preview1 fd_write'] } }, 'imports.allow[0]', /expected an import pattern MODULE::NAME/);
    rejects({ imports: { deny: [3] } }, 'imports.deny[0]', /expected a string/);
    rejects({ capabilities: { dirs: [{ host: 'x' }] } }, 'capabilities.dirs[0].guest', /missing required field/);
    rejects({ capabilities: { dirs: [{ guest: '/x' }] } }, 'capabilities.dirs[0].host', /missing required field/);
    rejects({ capabilities: { dirs: [{ host: 'a', guest: '/x' }, { host: 'b', guest: '/x' }] } }, 'capabilities.dirs[1].guest', /granted twice/);
    rejects({ capabilities: { env: { 'A=B': 'x' } } }, 'capabilities.env."A=B"', /invalid key/);
    rejects({ capabilities: { 'env-allow': ['A=B'] } }, 'capabilities.env-allow[0]', /variable name/);
  });

  it('not a table at all', () => {
    assert.throws(() => parsePolicy([], 'p.json'), /p\.json: expected a table, got a list/);
    assert.throws(() => parsePolicy(null, 'p.json'), /expected a table, got null/);
  });
});

describe('policy files', () => {
  it('a full TOML policy: keys and host dirs relative to the policy file, whatever the cwd', () => {
    const file = join(tmp, 'full.toml');
    writeFileSync(
      file,
      `# every field
digests = ["sha256:${'AB'.repeat(32)}", "${'cd'.repeat(32)}"]
require-signature = ["keys/alice.pub", "ed25519:${Buffer.from(key.publicKey.raw).toString('hex')}"]
require-all-signatures = false

[features]
deny = ["threads", "simd", "exceptions", "gc", "memory64", "multi-memory", "tail-call"]

[imports]
allow = ["wasi_snapshot_preview1"]
deny = ["wasi_snapshot_preview1::sock_*"]

[capabilities]
dirs = [{ host = "data", guest = "/data" }, { host = "/tmp", guest = "/scratch", ro = false }]
env = { LANG = "C.UTF-8" }
env-allow = ["APP_*"]

[limits]
fuel = "1e9"
timeout = "2s"
memory = "64MiB"
`,
    );
    const p = loadPolicyFile(file);
    assert.equal(p.source, file);
    assert.deepEqual(p.digests, [`sha256:${'ab'.repeat(32)}`, `sha256:${'cd'.repeat(32)}`]);
    assert.equal(p.requireSignature!.keys.length, 2);
    assert.equal(keyFingerprint(p.requireSignature!.keys[0]!), keyFingerprint(key.publicKey));
    assert.equal(p.requireSignature!.keys[0]!.source, join(tmp, 'keys/alice.pub'));
    assert.equal(p.requireSignature!.all, false);
    assert.deepEqual(p.features!.deny, ['threads', 'simd', 'exceptions', 'gc', 'memory64', 'multi-memory', 'tail-call']);
    assert.deepEqual(p.capabilities!.dirs, [
      { host: join(tmp, 'data'), guest: '/data', readOnly: true },
      { host: '/tmp', guest: '/scratch', readOnly: false },
    ]);
    assert.deepEqual(p.capabilities!.env, { LANG: 'C.UTF-8' });
    assert.deepEqual(p.limits, { fuel: 1_000_000_000n, timeoutMs: 2000, memoryBytes: 64 * 1024 * 1024 });
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.capabilities!.dirs) && Object.isFrozen(p.features!.deny));
  });

  it('JSON by extension; the same field names', () => {
    const file = join(tmp, 'p.json');
    writeFileSync(file, JSON.stringify({ 'require-signature': ['keys/alice.pub'], imports: { deny: ['env::*'] }, limits: { fuel: 1000 } }));
    const p = loadPolicyFile(file);
    assert.equal(p.requireSignature!.keys.length, 1);
    assert.equal(p.imports!.deny![0]!.text, 'env::*');
    assert.equal(p.limits!.fuel, 1000n);
  });

  it('syntax errors name the file, line and column; a missing file is named too', () => {
    const file = join(tmp, 'broken.toml');
    writeFileSync(file, 'digests = [\n  "x",\n  = 3\n');
    assert.throws(() => loadPolicyFile(file), (e: unknown) => e instanceof WardenError && e.kind === 'config' && e.message.startsWith(`${file}:3:`));
    assert.throws(() => loadPolicyFile(join(tmp, 'none.toml')), /none\.toml: no such file/);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"features": {"deny": ["simd", "threadz"]}}');
    assert.throws(() => loadPolicyFile(bad), (e: unknown) => e instanceof WardenError && e.message.startsWith(`${bad}: features.deny[1]: expected one of`));
  });

  it('an empty policy is valid and refuses nothing', () => {
    const p = parsePolicy({}, 'empty');
    assert.deepEqual({ ...p }, { source: 'empty' });
  });

  it('the feature names are the ones featuresUsed() reports', () => {
    for (const f of ['threads', 'simd', 'exceptions', 'gc', 'memory64', 'multi-memory', 'tail-call', 'relaxed-simd']) assert.ok((POLICY_FEATURES as readonly string[]).includes(f), f);
  });
});
