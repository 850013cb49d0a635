// Strict parsing of limit values as written on a command line: durations (500ms, 2s, 1m), byte sizes
// (64MiB, 1GiB, 65536) and fuel counts (10000000, 1e9). Errors are one line naming what was expected.

import { MAX_FUEL } from './defaults.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** "500ms", "2s", "1.5s", "1m", "1h" -> milliseconds (a whole number, at least 1). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new RangeError(`expected a duration such as 500ms, 2s or 1m, got ${JSON.stringify(text)}`);
  const ms = Number(m[1]) * DURATION_UNITS[m[2]!]!;
  if (!Number.isFinite(ms) || ms < 1 || ms > 2 ** 31 - 1 || !Number.isInteger(ms)) {
    throw new RangeError(`${JSON.stringify(text)} is not a whole number of milliseconds from 1ms to ~24 days`);
  }
  return ms;
}

/** "64MiB", "1GiB", "65536", "10MB" -> bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new RangeError(`expected a size such as 64MiB, 1GiB or a byte count, got ${JSON.stringify(text)}`);
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`${JSON.stringify(text)} is not a whole number of bytes`);
  return bytes;
}

/** "1000000", "1e9", "1_000_000" -> a fuel budget. */
export function parseFuel(text: string): bigint {
  const t = text.trim().replace(/_/g, '');
  let v: bigint;
  const exp = /^(\d+)e(\d+)$/i.exec(t);
  if (exp) v = BigInt(exp[1]!) * 10n ** BigInt(exp[2]!);
  else if (/^\d+$/.test(t)) v = BigInt(t);
  else throw new RangeError(`expected a non-negative whole number of fuel units (e.g. 1000000 or 1e9), got ${JSON.stringify(text)}`);
  if (v > MAX_FUEL) throw new RangeError(`${JSON.stringify(text)} is above the largest budget, 2^62-1`);
  return v;
}
