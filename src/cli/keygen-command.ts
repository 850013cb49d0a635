// `warden keygen -o KEYFILE`: a new Ed25519 key pair for signing modules: KEYFILE (secret, mode 0600) and
// KEYFILE.pub (public), in PEM (default, as OpenSSL writes) or wasmsign2's raw format.
import { chmodSync, writeFileSync } from 'node:fs';
import { WardenError } from '../errors.js';
import { encodePublicKey, encodeSecretKey, generateKeyPair, keyFingerprint, type KeyFormat } from '../trust/keys.js';
import { out } from './output.js';
import { UsageError, type FlagDef } from './flags.js';

export interface KeygenState {
  output?: string;
  format: KeyFormat;
  force: boolean;
}

export const KEYGEN_FLAGS: readonly FlagDef<KeygenState>[] = [
  { name: 'o', value: 'KEYFILE', help: 'Write the secret key to KEYFILE (mode 0600) and the public key\nto KEYFILE.pub (required).', apply: (s, v) => void (s.output = v) },
  {
    name: 'format',
    value: 'pem|raw',
    help: 'Key file format: pem (PKCS#8 / SPKI, default) or raw (wasmsign2\'s\nkey files: 0x81 ‖ seed ‖ public key, 0x01 ‖ public key).',
    apply: (s, v) => {
      if (v !== 'pem' && v !== 'raw') throw new UsageError(`expected pem or raw, got ${JSON.stringify(v)}`);
      s.format = v;
    },
  },
  { name: 'force', help: 'Overwrite existing key files.', apply: (s) => void (s.force = true) },
];

export const KEYGEN_USAGE = 'warden keygen [--format pem|raw] [--force] -o KEYFILE';
export const KEYGEN_SUMMARY = 'Generate an Ed25519 key pair for signing modules';

export const KEYGEN_EXIT_CODES = `Exit status:
  0      both key files written
  2      usage error: malformed flag, a key file exists (see --force),
         unwritable directory
  70     internal error (a bug in Warden)`;

/** Writes `data` to `path` (refusing to overwrite unless `force`), then sets `mode`. */
export function writeNewFile(path: string, data: Uint8Array, mode: number, force: boolean): void {
  try {
    writeFileSync(path, data, { mode, flag: force ? 'w' : 'wx' });
    chmodSync(path, mode); // an existing file (--force) keeps its old mode otherwise; umask may narrow a new one
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WardenError('config', `cannot write ${path}: ${code === 'EEXIST' ? 'file exists (use --force to overwrite)' : code === 'ENOENT' ? 'no such directory' : (e as Error).message}`);
  }
}

export async function keygenCommand(state: KeygenState, positional: readonly string[]): Promise<number> {
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])} (usage: ${KEYGEN_USAGE})`);
  if (state.output === undefined || state.output === '') throw new UsageError(`missing -o KEYFILE (usage: ${KEYGEN_USAGE})`);
  const key = generateKeyPair();
  const pub = `${state.output}.pub`;
  writeNewFile(state.output, encodeSecretKey(key, state.format), 0o600, state.force);
  writeNewFile(pub, encodePublicKey(key.publicKey, state.format), 0o644, state.force);
  out(`wrote secret key ${state.output} (keep it private) and public key ${pub}: ${keyFingerprint(key.publicKey)}\n`);
  return 0;
}
