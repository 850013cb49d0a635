// Content addressing: a module is named by the sha256 of its bytes, written `sha256:<64 lowercase hex>`.
// Pins (library `digest` option, `warden run --digest`, policy `digests`) accept that form or bare hex.
import { createHash } from 'node:crypto';
import { WardenError } from '../errors.js';

/** A normalised digest: "sha256:" and 64 lowercase hex digits. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^(?:sha256:)?([0-9a-f]{64})$/i;

/** Whether `text` is a digest Warden accepts (`sha256:HEX` or bare 64-digit hex, any case). */
export function isDigest(text: unknown): text is string {
  return typeof text === 'string' && DIGEST_RE.test(text.trim());
}

/**
 * Parses `sha256:HEX` or bare 64-digit hex (case-insensitive, surrounding blanks ignored) into the
 * normalised `sha256:<lowercase hex>`. Anything else is a WardenError of kind 'config' naming the text.
 */
export function parseDigest(text: string): Digest {
  const m = typeof text === 'string' ? DIGEST_RE.exec(text.trim()) : null;
  if (!m) {
    const shown = typeof text === 'string' ? JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text) : String(text);
    const why =
      typeof text === 'string' && /^[a-z0-9-]+:/i.test(text.trim()) && !/^sha256:/i.test(text.trim())
        ? 'only sha256 digests are supported'
        : 'expected sha256:<64 hex digits> or 64 hex digits';
    throw new WardenError('config', `invalid digest ${shown}: ${why}`, { digest: text });
  }
  return `sha256:${m[1]!.toLowerCase()}`;
}

/** The digest of `bytes`: `sha256:<64 lowercase hex>`. */
export function moduleDigest(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Refuses `bytes` unless their digest is `expected` (`sha256:HEX` or bare hex; a malformed pin is a 'config'
 * error). A mismatch is a WardenError of kind 'policy' naming both digests. Returns the module's digest.
 */
export function checkDigest(bytes: Uint8Array, expected: string): Digest {
  return expectDigest(moduleDigest(bytes), expected);
}

/** checkDigest() for a digest already computed (`actual` normalised, as moduleDigest returns it). */
export function expectDigest(actual: Digest, expected: string): Digest {
  const want = parseDigest(expected);
  if (actual !== want) {
    throw new WardenError('policy', `module digest mismatch: expected ${want}, got ${actual}`, { expected: want, actual });
  }
  return actual;
}
