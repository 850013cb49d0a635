// Checking modules against policies with real guests (a SIMD module, shared memory, a module importing
// sock_accept, the C word counter): findings name the rule and the field; the library's policy option on
// compile(), run(), CompiledModule.run and instantiate; run options layered under the policy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPolicy, checkPolicy, enforcePolicy, parsePolicy, policyRunOptions, type Policy, type PolicyFinding } from '../src/policy/index.js';
import { compile, createWorkerPool, run, WardenError } from '../src/index.js';
import { generateKeyPair, type SecretKey } from '../src/trust/keys.js';
import { signModule } from '../src/trust/sign.js';
import { moduleDigest } from '../src/trust/digest.js';
import { wat, HELLO } from './api-modules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DATA = join(ROOT, 'examples/data');
const WC = new Uint8Array(readFileSync(join(ROOT, 'examples/wc.wasm')));

const SIMD = `(module (memory (export "memory") 1)
  (func (export "_start") (drop (i32x4.extract_lane 0 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8))))))`;
const SOCKETS = `(module
  (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "host_fn" (func))
  (memory (export "memory") 1)
  (func (export "_start")))`;

const policy = (data: unknown): Policy => parsePolicy(data, 'test-policy');
const brief = (fs: PolicyFinding[]): string[] => fs.map((f) => `${f.rule} ${f.field} ${f.subject ?? ''}`.trim());

let simd: Uint8Array, shared: Uint8Array, sockets: Uint8Array, hello: Uint8Array;
let alice: SecretKey, bob: SecretKey;
let tmp = '';
before(async () => {
  simd = await wat(SIMD, { simd: true });
  // (memory 1 1 shared), by hand: wabt's validator here refuses shared memories
  shared = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x05, 0x04, 0x01, 0x03, 0x01, 0x01]);
  sockets = await wat(SOCKETS);
  hello = await wat(HELLO);
  alice = generateKeyPair();
  bob = generateKeyPair();
  tmp = mkdtempSync(join(tmpdir(), 'warden-policy-check-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const inline = (k: SecretKey): string => `ed25519:${Buffer.from(k.publicKey.raw).toString('hex')}`;

describe('checkPolicy: features', () => {
  it('denies SIMD and threads (shared memory) by name; allow-lists refuse anything unlisted', () => {
    const deny = policy({ features: { deny: ['simd', 'threads'] } });
    assert.deepEqual(brief(checkPolicy(simd, deny)), ['feature features.deny simd']);
    assert.deepEqual(brief(checkPolicy(shared, deny)), ['feature features.deny threads']);
    assert.match(checkPolicy(simd, deny)[0]!.message, /^uses simd, denied by features.deny$/);
    assert.deepEqual(checkPolicy(hello, deny), []);
    assert.deepEqual(checkPolicy(WC, deny), []);
    const allow = policy({ features: { allow: ['bulk-memory'] } });
    assert.deepEqual(brief(checkPolicy(simd, allow)), ['feature features.allow simd']);
    assert.deepEqual(checkPolicy(hello, allow), []);
  });
});

describe('checkPolicy: imports', () => {
  it('"no sockets": a deny pattern refuses sock_accept; an allow-list refuses host imports', () => {
    const p = policy({ imports: { allow: ['wasi_snapshot_preview1'], deny: ['wasi_snapshot_preview1::sock_*'] } });
    const f = checkPolicy(sockets, p);
    assert.deepEqual(brief(f), ['import imports.deny wasi_snapshot_preview1::sock_accept', 'import imports.allow env::host_fn']);
    assert.equal(f[0]!.message, 'imports wasi_snapshot_preview1::sock_accept (func), denied by imports.deny "wasi_snapshot_preview1::sock_*"');
    assert.equal(f[1]!.message, 'imports env::host_fn (func), not allowed by imports.allow');
    assert.deepEqual(checkPolicy(WC, p), []);
  });
  it('patterns glob module and name; a module alone means every name', () => {
    const p = policy({ imports: { allow: ['wasi_*::fd_*', 'env::host_?'] } });
    assert.deepEqual(brief(checkPolicy(sockets, p)), ['import imports.allow wasi_snapshot_preview1::sock_accept', 'import imports.allow env::host_fn']);
    assert.deepEqual(checkPolicy(sockets, policy({ imports: { allow: ['*'] } })), []);
  });
});

describe('checkPolicy: digests and signatures', () => {
  it('a digest pin refuses other modules, naming the module digest and the pin', () => {
    const p = policy({ digests: [moduleDigest(hello)] });
    assert.deepEqual(checkPolicy(hello, p), []);
    const f = checkPolicy(WC, p);
    assert.deepEqual(brief(f), [`digest digests ${moduleDigest(WC)}`]);
    assert.equal(f[0]!.message, `module digest ${moduleDigest(WC)} is not the pinned ${moduleDigest(hello)}`);
  });

  it('require-signature: unsigned and wrongly-signed modules are refused; a signed one passes, embedded or detached', () => {
    const p = policy({ 'require-signature': [inline(alice)] });
    assert.match(checkPolicy(WC, p)[0]!.message, /^signature required: the module is not signed/);
    const byBob = signModule(WC, bob).module;
    assert.match(checkPolicy(byBob, p)[0]!.message, /^signature required: no valid signature by test-policy: require-signature\[0\] \(inline key\)/);
    const byAlice = signModule(WC, alice).module;
    assert.deepEqual(checkPolicy(byAlice, p), []);
    const detached = signModule(WC, alice, { detached: true }).signature;
    assert.deepEqual(checkPolicy(WC, p, { detachedSignature: detached }), []);
    const tampered = new Uint8Array(byAlice);
    tampered[tampered.length - 1] ^= 1;
    assert.match(checkPolicy(tampered, p)[0]!.message, /modified after it was signed/);
  });

  it('any one key by default; every key with require-all-signatures', () => {
    const any = policy({ 'require-signature': [inline(alice), inline(bob)] });
    const all = policy({ 'require-signature': [inline(alice), inline(bob)], 'require-all-signatures': true });
    const byAlice = signModule(WC, alice).module;
    assert.deepEqual(checkPolicy(byAlice, any), []);
    assert.deepEqual(brief(checkPolicy(byAlice, all)), ['signature require-all-signatures']);
    assert.deepEqual(checkPolicy(signModule(byAlice, bob).module, all), []);
  });

  it('reports every refusal at once, and a malformed module as a finding (never throws)', () => {
    const p = policy({ digests: [moduleDigest(hello)], 'require-signature': [inline(alice)], features: { deny: ['simd'] } });
    assert.deepEqual(brief(checkPolicy(simd, p)).map((s) => s.split(' ')[0]), ['digest', 'signature', 'feature']);
    const junk = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1]);
    const f = checkPolicy(junk, p);
    assert.deepEqual(f.map((x) => x.rule), ['digest', 'signature', 'module']);
    assert.match(f[2]!.message, /^cannot check the module: .*offset/);
    assert.deepEqual(brief(checkPolicy(new Uint8Array(0), policy({ imports: { deny: ['x'] } }))).map((s) => s.split(' ')[0]), ['module']);
  });

  it('enforcePolicy throws a policy error listing the findings', () => {
    const p = policy({ features: { deny: ['simd'] }, imports: { deny: ['env'] } });
    assert.throws(
      () => enforcePolicy(simd, p),
      (e: unknown) => e instanceof WardenError && e.kind === 'policy' && e.message === 'refused by policy test-policy: uses simd, denied by features.deny' && Array.isArray(e.details.findings),
    );
    assert.doesNotThrow(() => enforcePolicy(hello, p));
  });
});

describe('run options under a policy', () => {
  const p = (): Policy =>
    policy({
      capabilities: { dirs: [{ host: DATA, guest: '/data' }, { host: tmp, guest: '/out', ro: false }], env: { LANG: 'C' }, 'env-allow': ['APP_*'] },
      limits: { fuel: 1_000_000, memory: '16MiB' },
    });

  it('policyRunOptions: what the policy grants', () => {
    assert.deepEqual(policyRunOptions(p()), {
      dirs: [
        { host: DATA, guest: '/data', readOnly: true },
        { host: tmp, guest: '/out', readOnly: false },
      ],
      env: { LANG: 'C' },
      limits: { fuel: 1_000_000n, memoryBytes: 16 * 1024 * 1024 },
    });
    assert.deepEqual(policyRunOptions(policy({})), {});
  });

  it('applyPolicy: defaults from the policy, narrower caller options kept, anything wider refused (all listed)', () => {
    const a = applyPolicy({ args: ['x'] }, p());
    assert.deepEqual(a.dirs!.map((d) => d.guest), ['/data', '/out']);
    assert.deepEqual(a.env, { LANG: 'C' });
    assert.deepEqual(a.limits, { fuel: 1_000_000n, memoryBytes: 16 * 1024 * 1024 });
    const narrow = applyPolicy({ dirs: [{ host: DATA, guest: '/data', readOnly: true }], env: { APP_MODE: 'x' }, limits: { fuel: 10, timeoutMs: 50 } }, p());
    assert.deepEqual(narrow.dirs!.map((d) => d.guest), ['/data']);
    assert.deepEqual(narrow.env, { LANG: 'C', APP_MODE: 'x' });
    assert.deepEqual(narrow.limits, { fuel: 10, timeoutMs: 50, memoryBytes: 16 * 1024 * 1024 });
    assert.throws(
      () => applyPolicy({ dirs: [{ host: '/etc', guest: '/etc' }, { host: DATA, guest: '/data' }, { host: '/', guest: '/out' }], env: { HOME: '/root' }, limits: { fuel: 2_000_000, memoryBytes: 1 } }, p()),
      (e: unknown) => {
        assert.ok(e instanceof WardenError && e.kind === 'policy');
        const r = e.details.refusals as string[];
        assert.deepEqual(r, [
          'directory "/etc" is not granted by the policy (it grants /data (read-only), /out)',
          'directory /data is granted read-only, but asked read-write',
          `directory /out is granted from ${tmp}, not /`,
          'environment variable "HOME" is not granted by the policy (see capabilities.env-allow)',
          "limit fuel 2000000 is above the policy's 1000000 (a run may lower a policy limit, not raise it)",
        ]);
        return true;
      },
    );
  });
});

describe('the library policy option', () => {
  const deny = (): Policy => policy({ features: { deny: ['simd'] } });

  it('compile() refuses before compiling; run() resolves with exit 1 and a policy error', async () => {
    await assert.rejects(compile(simd, { policy: deny() }), (e: unknown) => e instanceof WardenError && e.kind === 'policy' && /uses simd/.test(e.message));
    const r = await run(simd, { policy: deny() });
    assert.equal(r.exitCode, 1);
    assert.equal(r.error?.kind, 'policy');
    const ok = await run(hello, { policy: deny() });
    assert.equal(ok.stdout.toString(), 'hello\n');
  });

  it('CompiledModule.run and instantiate check a module compiled without the policy', async () => {
    const cm = await compile(simd);
    const r = await cm.run({ policy: deny() });
    assert.equal(r.error?.kind, 'policy');
    await assert.rejects(cm.instantiate({ policy: deny() }), (e: unknown) => e instanceof WardenError && e.kind === 'policy');
  });

  it('the policy grants directories and caps limits; a caller cannot raise them', async () => {
    const p = policy({ capabilities: { dirs: [{ host: DATA, guest: '/data' }] }, limits: { fuel: 100 } });
    const starved = await run(WC, { args: ['/data/poem.txt'], policy: p });
    assert.equal(starved.error?.kind, 'fuel', 'the policy fuel ceiling applies');
    const roomy = policy({ capabilities: { dirs: [{ host: DATA, guest: '/data' }] }, limits: { fuel: '1e9' } });
    const r = await run(WC, { args: ['/data/poem.txt'], policy: roomy });
    assert.equal(r.stdout.toString(), '      7      42     220 /data/poem.txt\n');
    await assert.rejects(run(WC, { args: ['/data/poem.txt'], policy: roomy, limits: { fuel: 10n ** 10n } }), /above the policy's 1000000000/);
    await assert.rejects(run(WC, { policy: roomy, dirs: [{ host: '/', guest: '/' }] }), /not granted by the policy/);
  });

  it('require-signature with a detached signature passed as the signature option', async () => {
    const p = policy({ 'require-signature': [inline(alice)] });
    const sig = signModule(hello, alice, { detached: true }).signature;
    assert.equal((await run(hello, { policy: p })).error?.kind, 'policy');
    const r = await run(hello, { policy: p, signature: sig });
    assert.equal(r.stdout.toString(), 'hello\n');
    const cm = await compile(hello, { policy: p, signature: sig });
    assert.equal((await cm.run({ policy: p, signature: sig })).exitCode, 0);
  });

  it('a policy that is not one, or a signature that is not bytes, is a config error', async () => {
    await assert.rejects(compile(hello, { policy: {} as Policy }), (e: unknown) => e instanceof WardenError && e.kind === 'config');
    const p = policy({});
    await assert.rejects(compile(hello, { policy: p, signature: 'sig' as unknown as Uint8Array }), (e: unknown) => e instanceof WardenError && e.kind === 'config');
  });

  it('worker pool runs apply the policy too', async () => {
    const p = policy({ 'require-signature': [inline(alice)], capabilities: { dirs: [{ host: DATA, guest: '/data' }] } });
    const pool = createWorkerPool({ size: 1 });
    try {
      const refused = await pool.run(WC, { policy: p, args: ['/data/poem.txt'] });
      assert.equal(refused.error?.kind, 'policy');
      const ok = await pool.run(signModule(WC, alice).module, { policy: p, args: ['/data/poem.txt'] });
      assert.equal(ok.stdout.toString(), '      7      42     220 /data/poem.txt\n');
    } finally {
      await pool.close();
    }
  });
});
