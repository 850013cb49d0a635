// The wasmsign2 / WebAssembly tool-conventions (Signatures.md) signature format, byte for byte: the module's
// sections as signing sees them, the rolling part hashes, the signed message, and the signature data codec.
//
// A signed module (embedded signature):
//
//   00 61 73 6d 01 00 00 00          module header (not hashed)
//   00 <size> 09 "signature" DATA    custom section `signature`: must be the FIRST section (not hashed)
//   <section> <section> ...          every other section, as raw bytes: id, LEB128 size, payload (hashed)
//
// A detached signature is DATA alone; the module then has no `signature` section (one present at the start
// is skipped, as when embedded). The sections after the signature section form parts: a custom section
// named `signature_delimiter` (16 random bytes) ends a part. The part hashes are a rolling SHA-256 over the
// raw section bytes, h_i = SHA-256(p1 ‖ d1 ‖ ... ‖ p_i ‖ d_i); a trailing part without a delimiter adds a
// final hash of everything. A module without delimiters therefore has ONE hash, of all its sections.
//
// DATA (all integers unsigned LEB128, "vec(x)" = LEB128 byte length, then x):
//
//   spec_version          varuint   0x01
//   content_type          varuint   0x01 (WebAssembly module)
//   hash_fn               varuint   0x01 (SHA-256)
//   signed_hashes_count   varuint   number of signed hash sets (<= 64)
//   signed_hashes_count x vec(SIGNED_HASHES)
//
// SIGNED_HASHES:
//   hashes_count          varuint   (<= 64)
//   hashes                hashes_count x 32 bytes: h1 ‖ ... ‖ hn
//   signature_count       varuint   (<= 256)
//   signature_count x vec(SIGNATURE)
//
// SIGNATURE:
//   key_id                vec(bytes)  0 bytes = no key id; wasmsign2's default key id (written by Warden) is
//                                     the first 12 bytes of HMAC-SHA256(key = raw public key, "key_id")
//   algorithm             byte        0x01 Ed25519
//   signature             vec(bytes)  64 bytes: Ed25519(secret key, MESSAGE)
//
// MESSAGE = "wasmsig" ‖ spec_version ‖ content_type ‖ hash_fn ‖ h1 ‖ ... ‖ hn  (the three ids as single bytes)
//
// The length prefixes of SIGNED_HASHES and SIGNATURE are what wasmsign2 writes (Signatures.md's tables leave
// them out). Verification (Signatures.md "for an entire module"): a set whose hashes equal the module's part
// hashes, all of them and in order, and one of its signatures valid under the key: then every byte after the
// signature section is covered, code, data, imports, names and every other custom section included.
import { createHash, type Hash } from 'node:crypto';
import { WardenError } from '../errors.js';
import { leb } from '../binary/writer.js';

export const SIGNATURE_SECTION = 'signature';
export const DELIMITER_SECTION = 'signature_delimiter';
export const SIGNATURE_DOMAIN = 'wasmsig';
export const SPEC_VERSION = 0x01;
export const CONTENT_TYPE_MODULE = 0x01;
export const HASH_SHA256 = 0x01;
export const ALG_ED25519 = 0x01;
/** wasmsign2's caps on what it decodes. */
export const MAX_HASH_SETS = 64;
export const MAX_HASHES = 64;
export const MAX_SIGNATURES = 256;

export interface SignatureEntry {
  /** Key identifier, or empty (none). A hint only: Warden tries every key against every signature. */
  keyId: Uint8Array;
  /** Signature algorithm (0x01 Ed25519; others are kept when re-encoding but never verify). */
  algorithm: number;
  signature: Uint8Array;
}

export interface SignedHashes {
  /** h1 ... hn, 32 bytes each. */
  hashes: Uint8Array[];
  signatures: SignatureEntry[];
}

export interface SignatureData {
  specVersion: number;
  contentType: number;
  hashFunction: number;
  sets: SignedHashes[];
}

/** One section of a module, as found in its bytes. */
export interface RawSection {
  id: number;
  /** Offset of the section id byte; the section's bytes are [start, end). */
  start: number;
  /** Offset of the payload (after id and size; for custom sections the name is part of the payload). */
  payload: number;
  end: number;
  /** Custom sections: the name. */
  name?: string;
}

function formatError(what: string, offset: number): WardenError {
  return new WardenError('policy', `malformed signature data: ${what} at offset 0x${offset.toString(16)}`, { offset });
}

/** A cursor over bytes with LEB128 reads; `fail` builds the error for a malformed read. */
class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    readonly fail: (what: string, offset: number) => WardenError,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  byte(what: string): number {
    if (this.pos >= this.end) throw this.fail(`${what}: unexpected end`, this.pos);
    return this.bytes[this.pos++]!;
  }
  /** Unsigned LEB128 of at most 32 bits (5 bytes). */
  u32(what: string): number {
    const at = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte(what);
      if (i === 4 && b > 0x0f) throw this.fail(`${what}: LEB128 value out of range`, at);
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return result;
    }
    throw this.fail(`${what}: LEB128 longer than 5 bytes`, at);
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.end - this.pos) throw this.fail(`${what}: ${n} bytes needed, ${this.end - this.pos} left`, this.pos);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  /** A length-prefixed byte string. */
  vec(what: string): Uint8Array {
    return this.take(this.u32(`${what} length`), what);
  }
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * The sections of a module, strictly: header, then id/size/payload to the last byte; custom section names
 * must be UTF-8 (wasmsign2 requires it). Malformed bytes are a WardenError 'invalid-module' with the offset.
 */
export function moduleSections(bytes: Uint8Array): RawSection[] {
  const fail = (what: string, offset: number): WardenError =>
    new WardenError('invalid-module', `invalid module: ${what} at offset 0x${offset.toString(16)}`, { offset });
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== HEADER[i]) throw fail('expected the WebAssembly module header 00 61 73 6d 01 00 00 00', Math.min(i, bytes.length));
  }
  const r = new Reader(bytes, 8, bytes.length, fail);
  const out: RawSection[] = [];
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  while (!r.done) {
    const start = r.pos;
    const id = r.byte('section id');
    if (id >= 0x80) throw fail(`section id 0x${id.toString(16)} out of range`, start);
    const size = r.u32('section size');
    const payload = r.pos;
    r.take(size, `section ${id} payload`);
    const s: RawSection = { id, start, payload, end: r.pos };
    if (id === 0) {
      const inner = new Reader(bytes, payload, s.end, fail);
      const nameBytes = inner.vec('custom section name');
      try {
        s.name = utf8.decode(nameBytes);
      } catch {
        throw fail('custom section name is not UTF-8', payload);
      }
    }
    out.push(s);
  }
  return out;
}

/** The payload of a custom section after its name. */
export function customData(bytes: Uint8Array, s: RawSection): Uint8Array {
  const r = new Reader(bytes, s.payload, s.end, formatError);
  r.vec('name');
  return bytes.subarray(r.pos, s.end);
}

export const isSignatureSection = (s: RawSection | undefined): boolean => s?.id === 0 && s.name === SIGNATURE_SECTION;
export const isDelimiter = (s: RawSection): boolean => s.id === 0 && s.name === DELIMITER_SECTION;

/** The part hashes of `sections` (everything but a leading signature section): rolling SHA-256, see the top. */
export function partHashes(bytes: Uint8Array, sections: readonly RawSection[]): Uint8Array[] {
  const hashed = isSignatureSection(sections[0]) ? sections.slice(1) : sections;
  const hashes: Uint8Array[] = [];
  const h: Hash = createHash('sha256');
  let trailing = false;
  for (const s of hashed) {
    h.update(bytes.subarray(s.start, s.end));
    if (isDelimiter(s)) {
      hashes.push(new Uint8Array(h.copy().digest()));
      trailing = false;
    } else trailing = true;
  }
  if (trailing || hashes.length === 0) hashes.push(new Uint8Array(h.digest()));
  return hashes;
}

/** MESSAGE, what each signature signs: "wasmsig" ‖ spec_version ‖ content_type ‖ hash_fn ‖ hashes. */
export function signedMessage(hashes: readonly Uint8Array[], data: Pick<SignatureData, 'specVersion' | 'contentType' | 'hashFunction'> = DEFAULT_IDS): Buffer {
  return Buffer.concat([Buffer.from(SIGNATURE_DOMAIN, 'latin1'), Buffer.from([data.specVersion, data.contentType, data.hashFunction]), ...hashes]);
}

const DEFAULT_IDS = { specVersion: SPEC_VERSION, contentType: CONTENT_TYPE_MODULE, hashFunction: HASH_SHA256 };


const withLength = (b: Uint8Array | number[]): number[] => [...leb(b.length), ...b];

/** DATA for `d` (layout at the top of this file). */
export function encodeSignatureData(d: SignatureData): Uint8Array {
  const out: number[] = [...leb(d.specVersion), ...leb(d.contentType), ...leb(d.hashFunction), ...leb(d.sets.length)];
  for (const set of d.sets) {
    const s: number[] = [...leb(set.hashes.length)];
    for (const h of set.hashes) s.push(...h);
    s.push(...leb(set.signatures.length));
    for (const sig of set.signatures) s.push(...withLength([...withLength(sig.keyId), sig.algorithm, ...withLength(sig.signature)]));
    out.push(...withLength(s));
  }
  return new Uint8Array(out);
}

/**
 * Decodes DATA. Refuses (WardenError 'policy', "malformed signature data ... at offset") what wasmsign2 refuses:
 * another spec version or content type, more than 64 sets or hashes or 256 signatures, truncation, trailing bytes.
 * Signatures with an unknown algorithm are kept (they never verify).
 */
export function decodeSignatureData(bytes: Uint8Array): SignatureData {
  const r = new Reader(bytes, 0, bytes.length, formatError);
  const specVersion = r.u32('spec_version');
  if (specVersion !== SPEC_VERSION) throw formatError(`unsupported spec_version 0x${specVersion.toString(16)} (expected 0x01)`, 0);
  const contentType = r.u32('content_type');
  if (contentType !== CONTENT_TYPE_MODULE) throw formatError(`unsupported content_type 0x${contentType.toString(16)} (expected 0x01, a module)`, r.pos - 1);
  const hashFunction = r.u32('hash_fn');
  const setCount = r.u32('signed_hashes_count');
  if (setCount > MAX_HASH_SETS) throw formatError(`${setCount} signed hash sets, more than ${MAX_HASH_SETS}`, r.pos - 1);
  const sets: SignedHashes[] = [];
  for (let i = 0; i < setCount; i++) {
    const setBytes = r.vec(`signed_hashes[${i}]`);
    const base = r.pos - setBytes.length;
    const sr = new Reader(bytes, base, r.pos, formatError);
    const hashCount = sr.u32('hashes_count');
    if (hashCount > MAX_HASHES) throw formatError(`${hashCount} hashes, more than ${MAX_HASHES}`, sr.pos - 1);
    const hashes: Uint8Array[] = [];
    for (let k = 0; k < hashCount; k++) hashes.push(new Uint8Array(sr.take(32, `hash ${k}`)));
    const sigCount = sr.u32('signature_count');
    if (sigCount > MAX_SIGNATURES) throw formatError(`${sigCount} signatures, more than ${MAX_SIGNATURES}`, sr.pos - 1);
    const signatures: SignatureEntry[] = [];
    for (let k = 0; k < sigCount; k++) {
      const sigBytes = sr.vec(`signature ${k}`);
      const gr = new Reader(bytes, sr.pos - sigBytes.length, sr.pos, formatError);
      const keyId = new Uint8Array(gr.vec('key_id'));
      const algorithm = gr.byte('signature algorithm');
      const signature = new Uint8Array(gr.vec('signature'));
      if (!gr.done) throw formatError('trailing bytes after a signature', gr.pos);
      signatures.push({ keyId, algorithm, signature });
    }
    if (!sr.done) throw formatError('trailing bytes after a signed hash set', sr.pos);
    sets.push({ hashes, signatures });
  }
  if (!r.done) throw formatError('trailing bytes after the last signed hash set', r.pos);
  return { specVersion, contentType, hashFunction, sets };
}

/** A custom section: id 0, size, name, data. */
export function customSection(name: string, data: Uint8Array): Uint8Array {
  const nameBytes = Buffer.from(name, 'utf8');
  const nameLen = leb(nameBytes.length);
  return new Uint8Array(Buffer.concat([Uint8Array.from([0, ...leb(nameLen.length + nameBytes.length + data.length), ...nameLen]), nameBytes, data]));
}

/** A non-custom section: id, size, payload. */
export function standardSection(id: number, payload: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([Uint8Array.from([id, ...leb(payload.length)]), payload]));
}
