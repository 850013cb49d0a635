// Ed25519 key files: PEM and DER (what OpenSSL writes), wasmsign2's raw files, OpenSSH keys from ssh-keygen,
// round trips, and one-line errors for every key that is not usable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodePublicKey,
  encodeSecretKey,
  generateKeyPair,
  parsePublicKey,
  parseSecretKey,
  parsePublicKeys,
  readPublicKeyFile,
  readPublicKeyFiles,
  readSecretKeyFile,
  secretKeyFromSeed,
} from '../src/trust/keys.js';
import { signModule } from '../src/trust/sign.js';
import { verifyModule } from '../src/trust/verify.js';
import { WardenError } from '../src/errors.js';

const MODULE = new Uint8Array(Buffer.from('0061736d01000000010401600000030201000a040102000b', 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const has = (cmd: string): boolean => spawnSync(cmd, ['-h'], { stdio: 'ignore' }).error === undefined;

let tmp = '';
before(() => (tmp = mkdtempSync(join(tmpdir(), 'warden-keys-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

function configError(re: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof WardenError, String(e));
    assert.equal(e.kind, 'config');
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
    return true;
  };
}

describe('key formats', () => {
  it('PEM and raw (wasmsign2) round trips, secret and public', () => {
    const k = generateKeyPair();
    for (const format of ['pem', 'raw'] as const) {
      const sk = parseSecretKey(encodeSecretKey(k, format), 'sk');
      const pk = parsePublicKey(encodePublicKey(k.publicKey, format), 'pk');
      assert.equal(hex(sk.publicKey.raw), hex(k.publicKey.raw));
      assert.equal(hex(pk.raw), hex(k.publicKey.raw));
    }
    const raw = encodeSecretKey(k, 'raw');
    assert.equal(raw.length, 65);
    assert.equal(raw[0], 0x81);
    assert.equal(hex(raw.subarray(33)), hex(k.publicKey.raw));
    const rawPub = encodePublicKey(k.publicKey, 'raw');
    assert.deepEqual([rawPub.length, rawPub[0]], [33, 0x01]);
    assert.match(Buffer.from(encodeSecretKey(k, 'pem')).toString(), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(Buffer.from(encodePublicKey(k.publicKey, 'pem')).toString(), /^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('DER (PKCS#8, SPKI) and the inline ed25519:HEX form', () => {
    const k = secretKeyFromSeed(new Uint8Array(32).fill(9));
    const der = k.object.export({ format: 'der', type: 'pkcs8' });
    assert.equal(hex(parseSecretKey(der, 'der').publicKey.raw), hex(k.publicKey.raw));
    const spki = k.publicKey.object.export({ format: 'der', type: 'spki' });
    assert.equal(hex(parsePublicKey(spki, 'spki').raw), hex(k.publicKey.raw));
    assert.equal(hex(parsePublicKey(`ed25519:${hex(k.publicKey.raw).toUpperCase()}`, 'inline').raw), hex(k.publicKey.raw));
  });

  it('keys from OpenSSL', { skip: !has('openssl') && 'openssl not installed' }, () => {
    const sk = join(tmp, 'openssl.pem');
    const pk = join(tmp, 'openssl.pub.pem');
    assert.equal(spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', sk]).status, 0);
    assert.equal(spawnSync('openssl', ['pkey', '-in', sk, '-pubout', '-out', pk]).status, 0);
    const signed = signModule(MODULE, readSecretKeyFile(sk));
    assert.equal(verifyModule(signed.module, [readPublicKeyFile(pk)]).verified, true);
  });

  it('keys from ssh-keygen (unencrypted); an encrypted one is refused with a hint', { skip: !has('ssh-keygen') && 'ssh-keygen not installed' }, () => {
    const id = join(tmp, 'id_ed25519');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'warden test', '-f', id]).status, 0);
    const sk = readSecretKeyFile(id);
    const pk = readPublicKeyFile(`${id}.pub`);
    assert.equal(hex(sk.publicKey.raw), hex(pk.raw));
    assert.equal(verifyModule(signModule(MODULE, sk).module, [pk]).verified, true);
    const locked = join(tmp, 'id_locked');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', locked]).status, 0);
    assert.throws(() => readSecretKeyFile(locked), configError(/id_locked: encrypted OpenSSH keys are not supported/));
    const rsa = join(tmp, 'id_rsa');
    assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '1024', '-N', '', '-f', rsa]).status, 0);
    assert.throws(() => readPublicKeyFile(`${rsa}.pub`), configError(/only ssh-ed25519 OpenSSH keys are supported, got ssh-rsa/));
  });
});

describe('OpenSSH keys files with several keys', () => {
  it('every ssh-ed25519 line is a key (comments, options and other key types skipped, duplicates once)', () => {
    const [a, b] = [generateKeyPair(), generateKeyPair()];
    const line = (k: ReturnType<typeof generateKeyPair>, comment: string): string => {
      const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), k.publicKey.raw]);
      return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
    };
    const file = join(tmp, 'team.keys');
    writeFileSync(file, ['# the release team', line(a, 'alice@ci'), 'ssh-rsa AAAAB3NzaC1yc2E bob-rsa', `no-pty ${line(b, 'bob')}`, line(a, 'alice again'), ''].join('\n'));
    const keys = readPublicKeyFiles(file);
    assert.deepEqual(keys.map((k) => hex(k.raw)), [hex(a.publicKey.raw), hex(b.publicKey.raw)]);
    assert.deepEqual(keys.map((k) => k.source), [`${file}:2`, `${file}:4`]);
    assert.equal(verifyModule(signModule(MODULE, b).module, keys).verified, true);
    assert.equal(readPublicKeyFiles(join(tmp, 'team.keys')).length, 2);
    writeFileSync(join(tmp, 'one.keys'), line(a, 'x') + '\n');
    assert.equal(parsePublicKeys(readFileSync(join(tmp, 'one.keys')), 'one').length, 1);
  });
});

describe('unusable keys: one line each, naming the file', () => {
  it('wrong kind, wrong algorithm, garbage, missing files', () => {
    const k = generateKeyPair();
    assert.throws(() => parsePublicKey(encodeSecretKey(k, 'pem'), 'a.pem'), configError(/^a\.pem: this is a secret key; pass the public key/));
    assert.throws(() => parsePublicKey(encodeSecretKey(k, 'raw'), 'a.key'), configError(/this is a secret key/));
    assert.throws(() => parseSecretKey(encodePublicKey(k.publicKey, 'pem'), 'a.pub'), configError(/^a\.pub: this is a public key; signing needs the secret key/));
    assert.throws(() => parseSecretKey(encodePublicKey(k.publicKey, 'raw'), 'a.pub'), configError(/this is a public key/));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => parsePublicKey(rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string, 'rsa.pub'), configError(/expected an Ed25519 key, got rsa key/));
    assert.throws(() => parseSecretKey(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 'rsa.pem'), configError(/expected an Ed25519 key, got rsa key/));
    assert.throws(() => parsePublicKey(new Uint8Array([1, 2, 3, 0xff]), 'junk'), configError(/^junk: not an Ed25519 public key \(expected PEM, OpenSSH, DER or a wasmsign2 raw key\)$/));
    assert.throws(() => parseSecretKey('hello', 'junk'), configError(/not an Ed25519 secret key/));
    const corrupt = new Uint8Array(encodeSecretKey(k, 'raw'));
    corrupt[64] ^= 1;
    assert.throws(() => parseSecretKey(corrupt, 'c.key'), configError(/public half does not match/));
    assert.throws(() => readPublicKeyFile(join(tmp, 'missing.pub')), configError(/missing\.pub: no such public key file/));
    assert.throws(() => readSecretKeyFile(tmp), configError(/is a directory, expected a secret key file/));
    const big = join(tmp, 'big.pem');
    writeFileSync(big, Buffer.alloc(100_000, 0x41));
    assert.throws(() => readPublicKeyFile(big), configError(/too large/));
    assert.ok(readFileSync(big).length > 0);
  });
});
