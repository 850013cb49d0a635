// Ed25519 keys for module signatures (node:crypto), read from every format wasmsign2 and OpenSSL users have:
// PEM and DER (PKCS#8 secret keys, SPKI public keys), wasmsign2's raw key files, and OpenSSH keys.
//
// Accepted formats (detected from the content, never from the file name):
//   public key:  PEM "-----BEGIN PUBLIC KEY-----" (SPKI), DER SPKI (44 bytes),
//                wasmsign2 raw: 0x01 ‖ 32-byte key (33 bytes), OpenSSH "ssh-ed25519 AAAA... [comment]"
//                (a file with several such lines, as authorized_keys or a forge's user.keys, holds several keys),
//                inline in a policy: "ed25519:" + 64 hex digits
//   secret key:  PEM "-----BEGIN PRIVATE KEY-----" (PKCS#8), DER PKCS#8 (48 bytes),
//                wasmsign2 raw: 0x81 ‖ 32-byte seed ‖ 32-byte public key (65 bytes),
//                OpenSSH "-----BEGIN OPENSSH PRIVATE KEY-----" (unencrypted only)
// A secret key file also gives its public key. Encrypted keys are refused with a clear message.
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WardenError } from '../errors.js';

export interface PublicKey {
  readonly object: KeyObject;
  /** The raw 32-byte Ed25519 public key. */
  readonly raw: Uint8Array;
  /** wasmsign2's default key id: HMAC-SHA256(key = raw, "key_id"), first 12 bytes. */
  readonly keyId: Uint8Array;
  /** Where the key came from (file path or "inline key"), for messages. */
  readonly source: string;
}

export interface SecretKey {
  readonly object: KeyObject;
  readonly publicKey: PublicKey;
  readonly source: string;
}

export type KeyFormat = 'pem' | 'raw';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const RAW_PK_ID = 0x01;
const RAW_SK_ID = 0x81;

function keyError(source: string, message: string): WardenError {
  return new WardenError('config', `${source}: ${message}`, { source });
}

/** wasmsign2's default key id for a raw public key. */
export function defaultKeyId(raw: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', raw).update('key_id').digest().subarray(0, 12));
}

function publicFromRaw(raw: Uint8Array, source: string): PublicKey {
  if (raw.length !== 32) throw keyError(source, `an Ed25519 public key is 32 bytes, got ${raw.length}`);
  const object = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  return { object, raw: new Uint8Array(raw), keyId: defaultKeyId(raw), source };
}

function publicFromObject(object: KeyObject, source: string): PublicKey {
  if (object.asymmetricKeyType !== 'ed25519') throw keyError(source, `expected an Ed25519 key, got ${object.asymmetricKeyType ?? 'an unknown'} key`);
  const der = object.export({ format: 'der', type: 'spki' });
  return publicFromRaw(der.subarray(der.length - 32), source);
}

/** A secret key from its 32-byte seed (RFC 8032 private key). */
export function secretKeyFromSeed(seed: Uint8Array, source = 'seed'): SecretKey {
  if (seed.length !== 32) throw keyError(source, `an Ed25519 seed is 32 bytes, got ${seed.length}`);
  const object = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return { object, publicKey: publicFromObject(createPublicKey(object), source), source };
}

function secretFromObject(object: KeyObject, source: string): SecretKey {
  if (object.asymmetricKeyType !== 'ed25519') throw keyError(source, `expected an Ed25519 key, got ${object.asymmetricKeyType ?? 'an unknown'} key`);
  return { object, publicKey: publicFromObject(createPublicKey(object), source), source };
}

/** Fields of OpenSSH's binary encodings: uint32 length + bytes. */
class SshReader {
  pos = 0;
  constructor(
    readonly b: Buffer,
    readonly source: string,
  ) {}
  u32(): number {
    if (this.pos + 4 > this.b.length) throw keyError(this.source, 'truncated OpenSSH key');
    const v = this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  string(): Buffer {
    const n = this.u32();
    if (this.pos + n > this.b.length) throw keyError(this.source, 'truncated OpenSSH key');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function sshPublicBlob(blob: Buffer, source: string): Uint8Array {
  const r = new SshReader(blob, source);
  const type = r.string().toString('latin1');
  if (type !== 'ssh-ed25519') throw keyError(source, `expected an ssh-ed25519 key, got ${type}`);
  return r.string();
}

function parseOpensshPrivate(text: string, source: string): SecretKey {
  const body = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const b = Buffer.from(body, 'base64');
  const magic = 'openssh-key-v1\0';
  if (b.subarray(0, magic.length).toString('latin1') !== magic) throw keyError(source, 'not an OpenSSH private key (bad magic)');
  const r = new SshReader(b.subarray(magic.length), source);
  const cipher = r.string().toString('latin1');
  r.string(); // kdf name
  r.string(); // kdf options
  if (cipher !== 'none') throw keyError(source, 'encrypted OpenSSH keys are not supported (remove the passphrase: ssh-keygen -p -N "" -f FILE)');
  if (r.u32() !== 1) throw keyError(source, 'OpenSSH key files with several keys are not supported');
  r.string(); // public key blob
  const p = new SshReader(r.string(), source);
  if (p.u32() !== p.u32()) throw keyError(source, 'corrupt OpenSSH private key (check values differ)');
  const type = p.string().toString('latin1');
  if (type !== 'ssh-ed25519') throw keyError(source, `expected an ssh-ed25519 key, got ${type}`);
  const pub = p.string();
  const priv = p.string(); // seed ‖ public key
  if (priv.length !== 64 || !priv.subarray(32).equals(pub)) throw keyError(source, 'corrupt OpenSSH Ed25519 private key');
  return secretKeyFromSeed(priv.subarray(0, 32), source);
}

const isText = (b: Uint8Array): boolean => b.every((x) => x === 0x09 || x === 0x0a || x === 0x0d || (x >= 0x20 && x < 0x7f));

/** A public key from any accepted format (see the top of this file); `source` names it in errors. */
export function parsePublicKey(data: Uint8Array | string, source: string): PublicKey {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  if (bytes.length === 33 && bytes[0] === RAW_PK_ID) return publicFromRaw(bytes.subarray(1), source);
  if (bytes.length === 44 && bytes.subarray(0, 12).equals(SPKI_PREFIX)) return publicFromRaw(bytes.subarray(12), source);
  if (bytes.length === 65 && bytes[0] === RAW_SK_ID) throw keyError(source, 'this is a secret key; pass the public key (the .pub file)');
  if (!isText(bytes)) throw keyError(source, 'not an Ed25519 public key (expected PEM, OpenSSH, DER or a wasmsign2 raw key)');
  const text = bytes.toString('utf8').trim();
  if (/^ed25519:[0-9a-f]{64}$/i.test(text)) return publicFromRaw(Buffer.from(text.slice(8), 'hex'), source);
  const ssh = /^ssh-ed25519\s+([A-Za-z0-9+/=]+)/m.exec(text);
  if (ssh) return publicFromRaw(sshPublicBlob(Buffer.from(ssh[1]!, 'base64'), source), source);
  if (/^ssh-|^ecdsa-/m.test(text)) throw keyError(source, `only ssh-ed25519 OpenSSH keys are supported, got ${text.split(/\s/)[0]}`);
  if (text.includes('PRIVATE KEY-----')) throw keyError(source, 'this is a secret key; pass the public key (the .pub file)');
  if (text.includes('-----BEGIN PUBLIC KEY-----')) {
    let object: KeyObject;
    try {
      object = createPublicKey({ key: text, format: 'pem' });
    } catch (e) {
      throw keyError(source, `unreadable PEM public key: ${(e as Error).message}`);
    }
    return publicFromObject(object, source);
  }
  throw keyError(source, 'not an Ed25519 public key (expected PEM, OpenSSH, DER or a wasmsign2 raw key)');
}

/** A secret key from any accepted format (see the top of this file). */
export function parseSecretKey(data: Uint8Array | string, source: string): SecretKey {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  if (bytes.length === 65 && bytes[0] === RAW_SK_ID) {
    const sk = secretKeyFromSeed(bytes.subarray(1, 33), source);
    if (!Buffer.from(sk.publicKey.raw).equals(bytes.subarray(33))) throw keyError(source, 'corrupt wasmsign2 secret key: its public half does not match the seed');
    return sk;
  }
  if (bytes.length === 48 && bytes.subarray(0, 16).equals(PKCS8_PREFIX)) return secretKeyFromSeed(bytes.subarray(16), source);
  if ((bytes.length === 33 && bytes[0] === RAW_PK_ID) || (bytes.length === 44 && bytes.subarray(0, 12).equals(SPKI_PREFIX))) {
    throw keyError(source, 'this is a public key; signing needs the secret key');
  }
  if (!isText(bytes)) throw keyError(source, 'not an Ed25519 secret key (expected PEM, OpenSSH, DER or a wasmsign2 raw key)');
  const text = bytes.toString('utf8').trim();
  if (text.includes('-----BEGIN OPENSSH PRIVATE KEY-----')) return parseOpensshPrivate(text, source);
  if (text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) throw keyError(source, 'encrypted PEM keys are not supported (decrypt with: openssl pkey -in KEY -out PLAIN)');
  if (text.includes('-----BEGIN PUBLIC KEY-----') || /^ssh-ed25519\s/.test(text)) throw keyError(source, 'this is a public key; signing needs the secret key');
  if (text.includes('-----BEGIN PRIVATE KEY-----')) {
    let object: KeyObject;
    try {
      object = createPrivateKey({ key: text, format: 'pem' });
    } catch (e) {
      throw keyError(source, `unreadable PEM private key: ${(e as Error).message}`);
    }
    return secretFromObject(object, source);
  }
  throw keyError(source, 'not an Ed25519 secret key (expected PEM, OpenSSH, DER or a wasmsign2 raw key)');
}

/**
 * Every public key in `data`: an OpenSSH keys file (authorized_keys style, e.g. a team's keys) gives each of its
 * ssh-ed25519 lines (other key types are skipped); any other format gives its one key.
 */
export function parsePublicKeys(data: Uint8Array | string, source: string): PublicKey[] {
  const text = typeof data === 'string' ? data : isText(data) ? Buffer.from(data).toString('utf8') : '';
  const found: PublicKey[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /(?:^|\s)ssh-ed25519\s+([A-Za-z0-9+/=]+)/.exec(line);
    if (!m || line.trimStart().startsWith('#')) return;
    const where = `${source}:${i + 1}`;
    const k = publicFromRaw(sshPublicBlob(Buffer.from(m[1]!, 'base64'), where), where);
    if (!found.some((x) => Buffer.from(x.raw).equals(k.raw))) found.push(k);
  });
  return found.length > 1 ? found : [parsePublicKey(data, source)];
}

function readKeyFile(path: string, what: string): Buffer {
  try {
    const b = readFileSync(path);
    if (b.length > 64 * 1024) throw keyError(path, `${b.length} bytes: too large for a ${what}`);
    return b;
  } catch (e) {
    if (e instanceof WardenError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw keyError(path, code === 'ENOENT' ? `no such ${what} file` : code === 'EISDIR' ? `is a directory, expected a ${what} file` : `cannot read ${what}: ${(e as Error).message}`);
  }
}

export const readPublicKeyFile = (path: string): PublicKey => parsePublicKey(readKeyFile(path, 'public key'), path);
/** Every key of a public key file (several for an OpenSSH keys file with several ssh-ed25519 lines). */
export const readPublicKeyFiles = (path: string): PublicKey[] => parsePublicKeys(readKeyFile(path, 'public key'), path);
export const readSecretKeyFile = (path: string): SecretKey => parseSecretKey(readKeyFile(path, 'secret key'), path);

/** A fresh key pair. */
export function generateKeyPair(): SecretKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return secretFromObject(privateKey, 'generated key');
}

/** A secret key file's bytes: PEM (PKCS#8, OpenSSL's) or wasmsign2's raw 0x81 ‖ seed ‖ public key. */
export function encodeSecretKey(k: SecretKey, format: KeyFormat): Uint8Array {
  if (format === 'pem') return Buffer.from(k.object.export({ format: 'pem', type: 'pkcs8' }) as string);
  const der = k.object.export({ format: 'der', type: 'pkcs8' });
  return Buffer.concat([Buffer.from([RAW_SK_ID]), der.subarray(der.length - 32), k.publicKey.raw]);
}

/** A public key file's bytes: PEM (SPKI) or wasmsign2's raw 0x01 ‖ public key. */
export function encodePublicKey(k: PublicKey, format: KeyFormat): Uint8Array {
  if (format === 'pem') return Buffer.from(k.object.export({ format: 'pem', type: 'spki' }) as string);
  return Buffer.concat([Buffer.from([RAW_PK_ID]), k.raw]);
}

/** A short printable name for a key: "ed25519:" and the first 16 hex digits of the raw key. */
export function keyFingerprint(k: PublicKey): string {
  return `ed25519:${Buffer.from(k.raw).toString('hex').slice(0, 16)}`;
}
