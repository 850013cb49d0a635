// Signing a module (wasmsign2-compatible, layout in signature-format.ts): embedded as the first custom section
// or detached; a module already signed keeps its signatures and gains one more.
import { sign as edSign, verify as edVerify } from 'node:crypto';
import { WardenError } from '../errors.js';
import type { SecretKey } from './keys.js';
import {
  ALG_ED25519,
  CONTENT_TYPE_MODULE,
  HASH_SHA256,
  SIGNATURE_SECTION,
  SPEC_VERSION,
  customData,
  customSection,
  decodeSignatureData,
  encodeSignatureData,
  isSignatureSection,
  standardSection,
  moduleSections,
  partHashes,
  signedMessage,
  type RawSection,
  type SignatureData,
} from './signature-format.js';
import { leb } from '../binary/writer.js';

export interface SignOptions {
  /** Return the signature data alone; the module keeps no new section (default false: embed it). */
  detached?: boolean;
  /** Key id stored with the signature: default wasmsign2's default key id of the key; null stores none. */
  keyId?: Uint8Array | null;
  /** An existing detached signature to add this signature to (default: the module's embedded one, if any). */
  addTo?: Uint8Array;
}

export interface SignedModule {
  /** The signed module (embedded), or the module the detached signature is for. */
  module: Uint8Array;
  /** The signature data: the `signature` section's payload, or the detached signature file's bytes. */
  signature: Uint8Array;
  /** Signatures now in the data, this one included. */
  signatureCount: number;
  /** Whether section headers had to be re-encoded (shortest LEB128), so `module` differs from the input. */
  canonicalized: boolean;
}

const HEADER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/** A section as wasmsign2 writes it: id, shortest LEB128 size, payload (custom: shortest name length). */
function canonicalSection(bytes: Uint8Array, s: RawSection): Uint8Array {
  const lebLength = (at: number): number => {
    let n = 1;
    while (bytes[at + n - 1]! & 0x80) n++;
    return n;
  };
  const sizeCanonical = s.payload - s.start - 1 === leb(s.end - s.payload).length;
  const nameCanonical = s.id !== 0 || lebLength(s.payload) === leb(Buffer.byteLength(s.name!, 'utf8')).length;
  if (sizeCanonical && nameCanonical) return bytes.subarray(s.start, s.end);
  return s.id === 0 ? customSection(s.name!, customData(bytes, s)) : standardSection(s.id, bytes.subarray(s.payload, s.end));
}

/** Signs `bytes` with `key`. Throws WardenError: 'invalid-module' (malformed), 'policy' (bad existing signature data), 'config' (already signed by this key). */
export function signModule(bytes: Uint8Array, key: SecretKey, options: SignOptions = {}): SignedModule {
  const sections = moduleSections(bytes);
  const misplaced = sections.findIndex((s, i) => i > 0 && isSignatureSection(s));
  if (misplaced > 0) {
    throw new WardenError('invalid-module', `a "${SIGNATURE_SECTION}" custom section at offset 0x${sections[misplaced]!.start.toString(16)} is not the first section: cannot sign this module`, {
      offset: sections[misplaced]!.start,
    });
  }
  const embedded = isSignatureSection(sections[0]) ? sections[0]! : undefined;
  const rest = embedded ? sections.slice(1) : sections;
  const parts = rest.map((s) => canonicalSection(bytes, s));
  const canonicalized = parts.some((p) => p.buffer !== bytes.buffer); // a re-encoded section is a new array
  const body = Buffer.concat(parts);
  const hashes = partHashes(body, moduleSectionsOfBody(body));

  const previousBytes = options.addTo ?? (embedded ? customData(bytes, embedded) : undefined);
  const data: SignatureData = previousBytes ? decodeSignatureData(previousBytes) : { specVersion: SPEC_VERSION, contentType: CONTENT_TYPE_MODULE, hashFunction: HASH_SHA256, sets: [] };
  if (data.hashFunction !== HASH_SHA256) {
    throw new WardenError('policy', `the existing signature uses hash function 0x${data.hashFunction.toString(16)}, not SHA-256 (0x01): cannot add a signature to it`);
  }
  const message = signedMessage(hashes, data);
  const signature = new Uint8Array(edSign(null, message, key.object));
  const keyId = options.keyId === undefined ? key.publicKey.keyId : (options.keyId ?? new Uint8Array(0));
  const entry = { keyId: new Uint8Array(keyId), algorithm: ALG_ED25519, signature };
  const same = data.sets.find((s) => s.hashes.length === hashes.length && s.hashes.every((h, i) => Buffer.from(h).equals(hashes[i]!)));
  if (same) {
    const already = same.signatures.some((g) => g.algorithm === ALG_ED25519 && g.signature.length === 64 && edVerify(null, message, key.publicKey.object, g.signature));
    if (already) throw new WardenError('config', `the module is already signed by this key (${key.source})`);
    same.signatures.push(entry);
  } else {
    data.sets.push({ hashes, signatures: [entry] });
  }
  const encoded = encodeSignatureData(data);
  const head = options.detached ? (embedded ? [bytes.subarray(embedded.start, embedded.end)] : []) : [customSection(SIGNATURE_SECTION, encoded)];
  const module = new Uint8Array(Buffer.concat([HEADER, ...head, body]));
  return { module, signature: encoded, signatureCount: data.sets.reduce((n, s) => n + s.signatures.length, 0), canonicalized };
}

/** The sections of a module body (sections without the 8-byte header). */
function moduleSectionsOfBody(body: Uint8Array): RawSection[] {
  const withHeader = Buffer.concat([HEADER, body]);
  return moduleSections(withHeader).map((s) => ({ ...s, start: s.start - 8, payload: s.payload - 8, end: s.end - 8 }));
}

/** The module without its embedded signature, and that signature's data (for `--detached` output from a signed module). */
export function detachSignature(bytes: Uint8Array): { module: Uint8Array; signature: Uint8Array | undefined } {
  const sections = moduleSections(bytes);
  if (!isSignatureSection(sections[0])) return { module: bytes, signature: undefined };
  const s = sections[0]!;
  return { module: new Uint8Array(Buffer.concat([bytes.subarray(0, s.start), bytes.subarray(s.end)])), signature: new Uint8Array(customData(bytes, s)) };
}
