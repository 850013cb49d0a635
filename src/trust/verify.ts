// Verifying a module's signatures (wasmsign2-compatible, layout in signature-format.ts) against public keys:
// full-module verification, so every byte after the signature section (code, data, imports, names, any
// custom section) is covered. Never throws for a bad module or signature: the result says why.
import { verify as edVerify } from 'node:crypto';
import { WardenError } from '../errors.js';
import { keyFingerprint, type PublicKey } from './keys.js';
import {
  ALG_ED25519,
  HASH_SHA256,
  customData,
  decodeSignatureData,
  isSignatureSection,
  moduleSections,
  partHashes,
  signedMessage,
  type RawSection,
  type SignatureData,
} from './signature-format.js';

export interface VerifyOptions {
  /** A detached signature (the payload a `signature` section would hold); default: the embedded one. */
  detachedSignature?: Uint8Array;
}

export interface Verification {
  /** At least one of the keys signed the module exactly as it is. */
  verified: boolean;
  /** The keys (of those given) with a valid signature over the whole module, in the order given. */
  validKeys: PublicKey[];
  /** Why the module is not verified (one line), when it is not. */
  reason?: string;
  /** Where the signature data came from. */
  source: 'embedded' | 'detached' | 'none';
  /** Signatures in the data (all keys, all hash sets). */
  signatureCount: number;
}

/** Most Ed25519 verifications one verifyModule() call makes (keys x signatures). */
export const MAX_CHECKS = 1024;

const equalHashes = (a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean =>
  a.length === b.length && a.every((h, i) => Buffer.from(h).equals(b[i]!));

/** The signature data a module carries (embedded) or is given (detached), undecoded. */
export function signatureBytes(bytes: Uint8Array, sections: readonly RawSection[], detached?: Uint8Array): { data?: Uint8Array; source: Verification['source'] } {
  if (detached) return { data: detached, source: 'detached' };
  if (isSignatureSection(sections[0])) return { data: customData(bytes, sections[0]!), source: 'embedded' };
  return { source: 'none' };
}

/** Checks which of `keys` signed `bytes` (see Verification). */
export function verifyModule(bytes: Uint8Array, keys: readonly PublicKey[], options: VerifyOptions = {}): Verification {
  const fail = (reason: string, source: Verification['source'] = 'none', signatureCount = 0): Verification => ({ verified: false, validKeys: [], reason, source, signatureCount });
  let sections: RawSection[];
  try {
    sections = moduleSections(bytes);
  } catch (e) {
    return fail(`cannot verify: ${(e as Error).message}`);
  }
  const { data: raw, source } = signatureBytes(bytes, sections, options.detachedSignature);
  if (!raw) return fail('the module is not signed (no "signature" section at its start, and no detached signature)');
  let data: SignatureData;
  try {
    data = decodeSignatureData(raw);
  } catch (e) {
    return fail((e as Error).message, source);
  }
  const count = data.sets.reduce((n, s) => n + s.signatures.length, 0);
  if (data.hashFunction !== HASH_SHA256) return fail(`unsupported hash function 0x${data.hashFunction.toString(16)} in the signature (only SHA-256, 0x01)`, source, count);
  if (count === 0) return fail('the signature data holds no signatures', source, count);
  const actual = partHashes(bytes, sections);
  const valid = new Set<PublicKey>();
  const signedOtherContent = new Set<PublicKey>();
  // Sets over this module's hashes first; the others only tell "modified after signing" apart. The number of
  // Ed25519 checks is capped: signature data is attacker-controlled (up to 64 sets of 256 signatures).
  const sets = [...data.sets].sort((a, b) => Number(equalHashes(b.hashes, actual)) - Number(equalHashes(a.hashes, actual)));
  let budget = MAX_CHECKS;
  for (const set of sets) {
    const message = signedMessage(set.hashes, data);
    const matches = equalHashes(set.hashes, actual);
    for (const key of keys) {
      if (valid.has(key) || (!matches && signedOtherContent.has(key))) continue;
      const ok = set.signatures.some((g) => g.algorithm === ALG_ED25519 && g.signature.length === 64 && budget-- > 0 && edVerify(null, message, key.object, g.signature));
      if (ok) (matches ? valid : signedOtherContent).add(key);
    }
  }
  const validKeys = keys.filter((k) => valid.has(k));
  if (validKeys.length > 0) return { verified: true, validKeys, source, signatureCount: count };
  if (keys.length === 0) return fail('no public key to verify with', source, count);
  const names = (ks: Iterable<PublicKey>): string => [...ks].map((k) => `${k.source} (${keyFingerprint(k)})`).join(', ');
  if (budget < 0) return fail(`too many signatures to check (more than ${MAX_CHECKS} key and signature pairs)`, source, count);
  if (signedOtherContent.size > 0) return fail(`the module was modified after it was signed: the signature by ${names(signedOtherContent)} covers other content`, source, count);
  return fail(`no valid signature by ${names(keys)} (${count} signature${count === 1 ? '' : 's'} by other keys)`, source, count);
}

/** verifyModule(), throwing WardenError 'policy' with the reason unless some key verifies. Returns the valid keys. */
export function assertSigned(bytes: Uint8Array, keys: readonly PublicKey[], options: VerifyOptions = {}): PublicKey[] {
  const v = verifyModule(bytes, keys, options);
  if (!v.verified) throw new WardenError('policy', `signature check failed: ${v.reason}`, { reason: v.reason });
  return v.validKeys;
}

/** What the signature data of a module says, without keys: for `warden inspect` and `warden verify` messages. */
export interface SignatureSummary {
  source: Verification['source'];
  /** Set when the data cannot be decoded. */
  error?: string;
  sets: { hashes: number; coversModule: boolean; signatures: { keyId: string; algorithm: number }[] }[];
}

export function describeSignatures(bytes: Uint8Array, options: VerifyOptions = {}): SignatureSummary {
  let sections: RawSection[];
  try {
    sections = moduleSections(bytes);
  } catch (e) {
    return { source: 'none', error: (e as Error).message, sets: [] };
  }
  const { data: raw, source } = signatureBytes(bytes, sections, options.detachedSignature);
  if (!raw) return { source, sets: [] };
  try {
    const data = decodeSignatureData(raw);
    const actual = partHashes(bytes, sections);
    return {
      source,
      sets: data.sets.map((s) => ({
        hashes: s.hashes.length,
        coversModule: equalHashes(s.hashes, actual),
        signatures: s.signatures.map((g) => ({ keyId: Buffer.from(g.keyId).toString('hex'), algorithm: g.algorithm })),
      })),
    };
  } catch (e) {
    return { source, error: (e as Error).message, sets: [] };
  }
}
