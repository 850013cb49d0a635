// Module signatures (wasmsign2 format): a hand-worked vector written out byte for byte, an independent
// re-implementation of the reference verification rules, tampering with every byte of a signed module,
// multiple signatures, detached signatures and delimiters.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { secretKeyFromSeed, generateKeyPair, type PublicKey } from '../src/trust/keys.js';
import { signModule, detachSignature } from '../src/trust/sign.js';
import { verifyModule, assertSigned, describeSignatures } from '../src/trust/verify.js';
import { customSection, decodeSignatureData, encodeSignatureData, moduleSections } from '../src/trust/signature-format.js';
import { WardenError } from '../src/errors.js';
import { wat } from './api-modules.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 8032 section 7.1, TEST 1: a fixed Ed25519 key.
const SEED = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

// A tiny module: type () -> (), one function, its empty body.
const HEADER = '0061736d 01000000';
const BODY = `01 04 01 60 00 00
              03 02 01 00
              0a 04 01 02 00 0b`;

// Worked by hand from Signatures.md and wasmsign2's encoding (not by Warden's encoder):
//   h      = SHA-256(BODY)                           (the only part: no delimiters)
//   msg    = "wasmsig" 01 01 01 h
//   sig    = Ed25519(SEED, msg)                      (deterministic; computed with OpenSSL and with
//                                                     Python's cryptography: both give this value)
//   key_id = HMAC-SHA256(key = PUBLIC, "key_id")[0..12]   (wasmsign2's default key id)
const H = '287dca0a672f5acf3cd626b1b0704dc3d4f58eb7148fb389161aec938d5f54cb';
const SIG = 'f1873778fbf15fd3918801ff49f9e9ce87ff41ac4d1c229b3a1775d25aa67f70d30a83c929d9fd567d32637e70d7f9dfa9503f0db29b9e4ba5adf6bbd51b9a05';
const KEY_ID = '58fb94a6933f01b8b7707a8b';
// signature     = vec(key_id) 01 vec(sig)               : 0c KEY_ID 01 40 SIG           = 79 bytes (0x4f)
// signed_hashes = 01 h 01 vec(signature)                 : 01 H 01 4f ...              = 114 bytes (0x72)
// DATA          = 01 01 01 01 vec(signed_hashes)         : 4 + 1 + 114                 = 119 bytes
// section       = 00 size vec("signature") DATA          : payload 1 + 9 + 119 = 129  -> size 81 01
const DATA = `01 01 01 01 72
              01 ${H}
              01 4f 0c ${KEY_ID} 01 40 ${SIG}`;
const SIGNED = `${HEADER} 00 81 01 09 7369676e6174757265 ${DATA} ${BODY}`;

/**
 * An independent, straightforward verifier following the reference rules (Signatures.md; wasmsign2's
 * PublicKey::verify): the first section must be the `signature` custom section (or a detached signature is
 * given); a signature must be valid for "wasmsig" ‖ 01 ‖ 01 ‖ 01 ‖ hashes; the SHA-256 of every byte after
 * the signature section must be one of the hashes so signed.
 */
function referenceVerify(module: Uint8Array, publicKeyRaw: Uint8Array, detached?: Uint8Array): boolean {
  let p = 0;
  const u = (): number => {
    let r = 0;
    for (let shift = 0; ; shift += 7) {
      const b = module[p++]!;
      r |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return r >>> 0;
    }
  };
  assert.equal(toHex(module.subarray(0, 8)), '0061736d01000000');
  p = 8;
  let data: Uint8Array;
  if (detached) data = detached;
  else {
    if (module[p++] !== 0) return false;
    const size = u();
    const end = p + size;
    const nameLen = u();
    if (Buffer.from(module.subarray(p, p + nameLen)).toString() !== 'signature') return false;
    p += nameLen;
    data = module.subarray(p, end);
    p = end;
  }
  const rest = module.subarray(p);
  const digest = createHash('sha256').update(rest).digest();
  // parse DATA with its own cursor
  let q = 0;
  const v = (): number => {
    let r = 0;
    for (let shift = 0; ; shift += 7) {
      const b = data[q++]!;
      r |= (b & 0x7f) << shift;
      if (!(b & 0x80)) return r >>> 0;
    }
  };
  if (v() !== 1 || v() !== 1 || v() !== 1) return false;
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKeyRaw]), format: 'der', type: 'spki' });
  const sets = v();
  for (let s = 0; s < sets; s++) {
    const setLen = v();
    const setEnd = q + setLen;
    const n = v();
    const hashes: Buffer[] = [];
    for (let i = 0; i < n; i++, q += 32) hashes.push(Buffer.from(data.subarray(q, q + 32)));
    const msg = Buffer.concat([Buffer.from('wasmsig'), Buffer.from([1, 1, 1]), ...hashes]);
    const sigs = v();
    for (let i = 0; i < sigs; i++) {
      const sigLen = v();
      const sigEnd = q + sigLen;
      const keyIdLen = v();
      q += keyIdLen;
      const alg = data[q++];
      const len = v();
      const sig = data.subarray(q, q + len);
      q = sigEnd;
      if (alg === 1 && edVerify(null, msg, key, sig) && hashes.some((h) => h.equals(digest))) return true;
    }
    q = setEnd;
  }
  return false;
}

const key = secretKeyFromSeed(SEED, 'rfc8032-test-1');

describe('hand-worked vector (RFC 8032 key, tiny module)', () => {
  it('the key is RFC 8032 TEST 1 and its key id is wasmsign2\'s default', () => {
    assert.equal(toHex(key.publicKey.raw), PUBLIC);
    assert.equal(toHex(key.publicKey.keyId), KEY_ID);
  });

  it('signModule writes exactly the hand-worked signature section, first, and the module unchanged after it', () => {
    const signed = signModule(hex(`${HEADER} ${BODY}`), key);
    assert.equal(toHex(signed.module), toHex(hex(SIGNED)));
    assert.equal(toHex(signed.signature), toHex(hex(DATA)));
    assert.equal(signed.signatureCount, 1);
    assert.equal(signed.canonicalized, false);
  });

  it('a detached signature is DATA alone, and the module stays as it was', () => {
    const signed = signModule(hex(`${HEADER} ${BODY}`), key, { detached: true });
    assert.equal(toHex(signed.signature), toHex(hex(DATA)));
    assert.equal(toHex(signed.module), toHex(hex(`${HEADER} ${BODY}`)));
  });

  it('Warden verifies the hand-written bytes, embedded and detached; the reference verifier does too', () => {
    assert.equal(verifyModule(hex(SIGNED), [key.publicKey]).verified, true);
    assert.equal(verifyModule(hex(`${HEADER} ${BODY}`), [key.publicKey], { detachedSignature: hex(DATA) }).verified, true);
    assert.equal(referenceVerify(hex(SIGNED), hex(PUBLIC)), true);
    assert.equal(referenceVerify(hex(`${HEADER} ${BODY}`), hex(PUBLIC), hex(DATA)), true);
    // and the reference verifier is not a rubber stamp
    const other = generateKeyPair();
    assert.equal(referenceVerify(hex(SIGNED), other.publicKey.raw), false);
    const tampered = hex(SIGNED);
    tampered[tampered.length - 2] = 0x01; // the function body: nop instead of end... any change
    assert.equal(referenceVerify(tampered, hex(PUBLIC)), false);
  });

  it('signatures Warden makes for real modules, by several keys, verify under the reference rules', async () => {
    const bytes = await richModule();
    const a = generateKeyPair();
    const b = generateKeyPair();
    const once = signModule(bytes, a);
    const twice = signModule(once.module, b);
    for (const k of [a, b]) assert.equal(referenceVerify(twice.module, k.publicKey.raw), true);
    const detached = signModule(bytes, b, { detached: true });
    assert.equal(referenceVerify(bytes, b.publicKey.raw, detached.signature), true);
    assert.equal(referenceVerify(bytes, a.publicKey.raw, detached.signature), false);
  });
});

/** A module with imports, memory, data, a table, globals, exports, code, a start-less _start, names and a custom section. */
async function richModule(): Promise<Uint8Array> {
  const m = await wat(`(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "env" "limit" (global $limit i32))
    (memory (export "memory") 1)
    (table 2 funcref)
    (global $g (mut i32) (i32.const 7))
    (data (i32.const 16) "signed data!")
    (elem (i32.const 0) $main $helper)
    (func $helper (param i32) (result i32) (i32.add (local.get 0) (global.get $g)))
    (func $main (export "_start")
      (i32.store (i32.const 0) (i32.const 16))
      (i32.store (i32.const 4) (i32.const 12))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (drop (call $helper (global.get $limit)))))`);
  return new Uint8Array(Buffer.concat([m, customSection('producers-like', new TextEncoder().encode('built by test'))]));
}

/** A name for the kind of byte at each offset of a module (for the tamper loop's coverage). */
function byteClasses(module: Uint8Array): string[] {
  const classes = new Array<string>(module.length).fill('header');
  const names = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount'];
  for (const s of moduleSections(module)) {
    classes[s.start] = 'section id';
    for (let i = s.start + 1; i < s.payload; i++) classes[i] = 'section size';
    const what = s.id === 0 ? `custom:${s.name}` : names[s.id]!;
    for (let i = s.payload; i < s.end; i++) classes[i] = what;
  }
  return classes;
}

describe('tampering with a signed module', () => {
  it('changing any byte after the signature section fails verification, for every byte and two kinds of change', async () => {
    const signer = generateKeyPair();
    const { module } = signModule(await richModule(), signer);
    assert.equal(verifyModule(module, [signer.publicKey]).verified, true);
    const sections = moduleSections(module);
    const sigEnd = sections[0]!.end;
    const classes = byteClasses(module);
    const seen = new Map<string, number>();
    for (let pos = sigEnd; pos < module.length; pos++) {
      for (const change of [0x01, 0x80]) {
        const t = new Uint8Array(module);
        t[pos] ^= change;
        const v = verifyModule(t, [signer.publicKey]);
        assert.equal(v.verified, false, `byte ${pos} (${classes[pos]}) ^ 0x${change.toString(16)} still verifies`);
        assert.ok(v.reason && v.reason.length > 0);
      }
      seen.set(classes[pos]!, (seen.get(classes[pos]!) ?? 0) + 1);
    }
    for (const cls of ['section id', 'section size', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'element', 'code', 'data', 'custom:name', 'custom:producers-like']) {
      assert.ok((seen.get(cls) ?? 0) > 0, `no byte of class ${cls} was tampered with (classes: ${[...seen.keys()].join(', ')})`);
    }
  });

  it('inside the signature section only the key id (an unsigned hint) may change; every other byte fails', async () => {
    const signer = generateKeyPair();
    const { module } = signModule(await richModule(), signer);
    const s = moduleSections(module)[0]!;
    // key id bytes: after section header, name, DATA header (4), set length (1), hash count (1), hash (32), sig count (1), sig length (1), key id length (1)
    const dataStart = s.payload + 1 + 'signature'.length;
    const keyIdStart = dataStart + 4 + 1 + 1 + 32 + 1 + 1 + 1;
    assert.equal(toHex(module.subarray(keyIdStart, keyIdStart + 12)), toHex(signer.publicKey.keyId));
    for (let pos = 8; pos < s.end; pos++) {
      const t = new Uint8Array(module);
      t[pos] ^= 0x01;
      const verified = verifyModule(t, [signer.publicKey]).verified;
      assert.equal(verified, pos >= keyIdStart && pos < keyIdStart + 12, `signature section byte ${pos}`);
    }
  });

  it('removing, appending or reordering sections fails; so does truncation', async () => {
    const signer = generateKeyPair();
    const { module } = signModule(await richModule(), signer);
    const sections = moduleSections(module);
    const last = sections[sections.length - 1]!;
    const dropped = module.subarray(0, last.start);
    const appended = Buffer.concat([module, customSection('extra', new Uint8Array([1]))]);
    const a = sections[1]!;
    const b = sections[2]!;
    const swapped = Buffer.concat([module.subarray(0, a.start), module.subarray(b.start, b.end), module.subarray(a.start, a.end), module.subarray(b.end)]);
    for (const t of [dropped, appended, swapped, module.subarray(0, module.length - 1)]) {
      assert.equal(verifyModule(new Uint8Array(t), [signer.publicKey]).verified, false);
    }
    assert.match(verifyModule(new Uint8Array(appended), [signer.publicKey]).reason!, /modified after it was signed/);
    assert.match(verifyModule(module.subarray(0, module.length - 1), [signer.publicKey]).reason!, /cannot verify: invalid module/);
  });
});

describe('signing and verifying', () => {
  it('an unsigned module, a wrong key and malformed signature data are refused with a reason', async () => {
    const bytes = await richModule();
    const signer = generateKeyPair();
    const stranger = generateKeyPair();
    assert.match(verifyModule(bytes, [signer.publicKey]).reason!, /not signed/);
    const { module } = signModule(bytes, signer);
    const wrong = verifyModule(module, [stranger.publicKey]);
    assert.equal(wrong.verified, false);
    assert.match(wrong.reason!, /no valid signature by generated key \(ed25519:[0-9a-f]{16}\) \(1 signature by other keys\)/);
    assert.throws(() => assertSigned(module, [stranger.publicKey]), (e: unknown) => e instanceof WardenError && e.kind === 'policy' && /signature check failed/.test(e.message));
    const bad = verifyModule(bytes, [signer.publicKey], { detachedSignature: new Uint8Array([1, 1, 1, 5]) });
    assert.match(bad.reason!, /malformed signature data/);
    assert.match(verifyModule(bytes, [signer.publicKey], { detachedSignature: new Uint8Array([2, 1, 1, 0]) }).reason!, /unsupported spec_version/);
    assert.match(verifyModule(new Uint8Array([1, 2, 3]), [signer.publicKey]).reason!, /cannot verify: invalid module/);
  });

  it('several keys sign the same module; each signature is kept; signing twice with one key is refused', async () => {
    const bytes = await richModule();
    const [a, b, c] = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    const one = signModule(bytes, a);
    const two = signModule(one.module, b);
    assert.equal(two.signatureCount, 2);
    const v = verifyModule(two.module, [c.publicKey, b.publicKey, a.publicKey]);
    assert.deepEqual(v.validKeys, [b.publicKey, a.publicKey]);
    assert.equal(describeSignatures(two.module).sets.length, 1);
    assert.equal(describeSignatures(two.module).sets[0]!.signatures.length, 2);
    assert.throws(() => signModule(two.module, a), /already signed by this key/);
    // the section is still first, exactly one of it
    assert.equal(moduleSections(two.module).filter((s) => s.name === 'signature').length, 1);
  });

  it('detached signatures: add a second key to a detached signature, verify, embed by hand, detach back', async () => {
    const bytes = await richModule();
    const [a, b] = [generateKeyPair(), generateKeyPair()];
    const s1 = signModule(bytes, a, { detached: true });
    const s2 = signModule(bytes, b, { detached: true, addTo: s1.signature });
    assert.equal(s2.signatureCount, 2);
    assert.deepEqual(verifyModule(bytes, [a.publicKey, b.publicKey], { detachedSignature: s2.signature }).validKeys.length, 2);
    assert.equal(verifyModule(bytes, [a.publicKey]).verified, false, 'a detached signature is not in the module');
    // embedding = a `signature` section with the detached bytes as payload, first
    const embedded = new Uint8Array(Buffer.concat([bytes.subarray(0, 8), customSection('signature', s2.signature), bytes.subarray(8)]));
    assert.equal(verifyModule(embedded, [b.publicKey]).verified, true);
    const back = detachSignature(embedded);
    assert.equal(toHex(back.module), toHex(bytes));
    assert.equal(toHex(back.signature!), toHex(s2.signature));
  });

  it('a key id of another key, or none, does not stop a valid signature from verifying', () => {
    const signed = signModule(hex(`${HEADER} ${BODY}`), key, { keyId: null });
    assert.equal(verifyModule(signed.module, [key.publicKey]).verified, true);
    const other = signModule(hex(`${HEADER} ${BODY}`), key, { keyId: new Uint8Array([1, 2, 3]) });
    assert.equal(verifyModule(other.module, [key.publicKey]).verified, true);
  });

  it('delimiters split the module into parts with rolling hashes; all parts must match', () => {
    const delim = customSection('signature_delimiter', new Uint8Array(16).fill(7));
    const body = hex(BODY);
    const module = new Uint8Array(Buffer.concat([hex(HEADER), body.subarray(0, 6), delim, body.subarray(6)]));
    const signed = signModule(module, key);
    const data = describeSignatures(signed.module);
    assert.equal(data.sets[0]!.hashes, 2);
    assert.equal(verifyModule(signed.module, [key.publicKey]).verified, true);
    // h1 = SHA-256(part 1 ‖ delimiter), h2 = SHA-256(everything)
    const h1 = createHash('sha256').update(Buffer.concat([body.subarray(0, 6), delim])).digest('hex');
    assert.ok(toHex(signed.signature).includes(h1));
    // stripping the parts after the delimiter does not pass as a signed module
    const s = moduleSections(signed.module);
    const cut = signed.module.subarray(0, s[2]!.end);
    assert.equal(verifyModule(cut, [key.publicKey]).verified, false);
  });

  it('a module whose section headers use padded LEB128 is signed in the canonical form (as wasmsign2 writes it)', () => {
    const padded = hex(`${HEADER} 01 84 80 80 80 00 01 60 00 00 03 02 01 00 0a 04 01 02 00 0b`);
    const signed = signModule(padded, key);
    assert.equal(signed.canonicalized, true);
    assert.equal(toHex(signed.module), toHex(hex(SIGNED)));
  });

  it('caps the Ed25519 checks one verification makes (signature data is attacker-controlled)', () => {
    const module = hex(`${HEADER} ${BODY}`);
    const junk = Array.from({ length: 256 }, (_, i) => ({ keyId: new Uint8Array(0), algorithm: 1, signature: new Uint8Array(64).fill(i) }));
    const sets = Array.from({ length: 8 }, () => ({ hashes: [hex(H)], signatures: junk }));
    const data = encodeSignatureData({ specVersion: 1, contentType: 1, hashFunction: 1, sets });
    const keys = [generateKeyPair(), generateKeyPair()].map((k) => k.publicKey);
    const v = verifyModule(module, keys, { detachedSignature: data });
    assert.equal(v.verified, false);
    assert.equal(v.signatureCount, 2048);
    assert.match(v.reason!, /too many signatures to check \(more than 1024/);
    // a real signature in the first set is still found
    const real = signModule(module, key, { detached: true }).signature;
    const withJunk = decodeSignatureData(real);
    withJunk.sets.push(...sets);
    assert.equal(verifyModule(module, [key.publicKey], { detachedSignature: encodeSignatureData(withJunk) }).verified, true);
  });

  it('refuses to sign a module with a signature section that is not first', () => {
    const m = new Uint8Array(Buffer.concat([hex(`${HEADER} ${BODY}`), customSection('signature', new Uint8Array([1, 1, 1, 0]))]));
    assert.throws(() => signModule(m, key), (e: unknown) => e instanceof WardenError && e.kind === 'invalid-module' && /not the first section/.test(e.message));
  });
});

export type { PublicKey };
