// `warden sign --key KEY MODULE.wasm`: sign a module with an Ed25519 secret key, wasmsign2-compatible: embedded
// as the module's first custom section (`signature`), or detached into a signature file. Signatures already
// there (by other keys) are kept.
import { chmodSync, existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { WardenError } from '../errors.js';
import { keyFingerprint, readSecretKeyFile } from '../trust/keys.js';
import { signModule } from '../trust/sign.js';
import { out } from './output.js';
import { UsageError, type FlagDef } from './flags.js';
import { readModuleFile } from './files.js';

export interface SignState {
  key?: string;
  output?: string;
  detached?: string;
  noKeyId: boolean;
}

export const SIGN_FLAGS: readonly FlagDef<SignState>[] = [
  { name: 'key', value: 'KEYFILE', help: 'Ed25519 secret key: PEM, DER, wasmsign2 raw or OpenSSH (required).', apply: (s, v) => void (s.key = v) },
  { name: 'o', value: 'OUT.wasm', help: 'Write the signed module to OUT.wasm (default: sign MODULE.wasm\nin place, written atomically).', apply: (s, v) => void (s.output = v) },
  {
    name: 'detached',
    value: 'SIGFILE',
    help: 'Write the signature to SIGFILE instead of into the module (an\nexisting SIGFILE gains this signature, keeping the others).',
    apply: (s, v) => void (s.detached = v),
  },
  { name: 'no-key-id', help: 'Store no key id with the signature (default: wasmsign2\'s default\nkey id of the public key).', apply: (s) => void (s.noKeyId = true) },
];

export const SIGN_USAGE = 'warden sign --key KEYFILE [-o OUT.wasm] [--detached SIGFILE] MODULE.wasm';
export const SIGN_SUMMARY = 'Sign a module (wasmsign2 format, embedded or detached)';

export const SIGN_EXIT_CODES = `Exit status:
  0      signed
  1      the module is malformed, or so is its existing signature data
  2      usage error: malformed flag, unreadable key or module, already
         signed by this key, unwritable output
  70     internal error (a bug in Warden)`;

/** Replaces `path` with `data` through a temporary file in the same directory and a rename. */
export function writeAtomic(path: string, data: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o777; // a file replaced in place keeps its permissions
  } catch {
    // a new file
  }
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp); // leave nothing half-written behind
    } catch {
      // not created
    }
    throw new WardenError('config', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`);
  }
}

function readSignatureFile(path: string): Uint8Array | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new WardenError('config', `cannot read ${path}: ${(e as Error).message}`);
  }
}

export async function signCommand(state: SignState, positional: readonly string[]): Promise<number> {
  const [path, ...extra] = positional;
  if (path === undefined) throw new UsageError(`missing MODULE.wasm (usage: ${SIGN_USAGE})`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (state.key === undefined) throw new UsageError(`missing --key KEYFILE (usage: ${SIGN_USAGE})`);
  const key = readSecretKeyFile(state.key);
  const bytes = readModuleFile(path);
  const existing = state.detached !== undefined ? readSignatureFile(state.detached) : undefined;
  const signed = signModule(bytes, key, { detached: state.detached !== undefined, addTo: existing, keyId: state.noKeyId ? null : undefined });
  const who = `${state.key} (${keyFingerprint(key.publicKey)})`;
  const count = `${signed.signatureCount} signature${signed.signatureCount === 1 ? '' : 's'}`;
  if (state.detached !== undefined) {
    if (signed.canonicalized && state.output === undefined) {
      throw new WardenError('config', `${path} has section headers in a non-shortest encoding: the signature covers its canonical form; add -o OUT.wasm to write it`);
    }
    if (state.output !== undefined) writeAtomic(state.output, signed.module);
    writeAtomic(state.detached, signed.signature);
    out(`signed ${path} with ${who}: detached signature ${state.detached} (${count})${state.output !== undefined ? `, module ${state.output}` : ''}\n`);
    return 0;
  }
  const target = state.output ?? path;
  writeAtomic(target, signed.module);
  out(`signed ${path} with ${who}: ${target} (${count})\n`);
  return 0;
}
