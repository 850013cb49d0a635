// `warden verify --key PUB MODULE.wasm`: check a module's wasmsign2 signature (embedded, or --signature FILE)
// against one or more public keys; exit 0 when verified, 1 when not, with the reason on one line.
import { readFileSync } from 'node:fs';
import { WardenError } from '../errors.js';
import { keyFingerprint, readPublicKeyFiles, type PublicKey } from '../trust/keys.js';
import { verifyModule } from '../trust/verify.js';
import { errorLine, out } from './output.js';
import { UsageError, type FlagDef } from './flags.js';
import { readModuleFile } from './files.js';

export interface VerifyState {
  keys: string[];
  signature?: string;
  all: boolean;
  json: boolean;
}

export const VERIFY_FLAGS: readonly FlagDef<VerifyState>[] = [
  { name: 'key', value: 'PUBFILE', help: 'Ed25519 public key: PEM, DER, wasmsign2 raw or OpenSSH\n(ssh-ed25519; a keys file with several lines gives each key).\nRepeatable: any one key verifying is enough.', apply: (s, v) => void s.keys.push(v) },
  { name: 'signature', value: 'SIGFILE', help: 'A detached signature (default: the module\'s embedded one).', apply: (s, v) => void (s.signature = v) },
  { name: 'all', help: 'Require a valid signature by every --key, not just one.', apply: (s) => void (s.all = true) },
  { name: 'json', help: 'Print the result as JSON (verified, keys, reason).', apply: (s) => void (s.json = true) },
];

export const VERIFY_USAGE = 'warden verify --key PUBFILE [--key ...] [--signature SIGFILE] [--all] [--json] MODULE.wasm';
export const VERIFY_SUMMARY = 'Verify a module\'s signature (wasmsign2 format) against public keys';

export const VERIFY_EXIT_CODES = `Exit status:
  0      verified: the whole module is signed by the key (one of the keys;
         every key with --all)
  1      not verified: unsigned, signed by other keys, modified after
         signing, malformed module or signature data
  2      usage error: malformed flag, unreadable key, module or SIGFILE
  70     internal error (a bug in Warden)`;

export async function verifyCommand(state: VerifyState, positional: readonly string[]): Promise<number> {
  const [path, ...extra] = positional;
  if (path === undefined) throw new UsageError(`missing MODULE.wasm (usage: ${VERIFY_USAGE})`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (state.keys.length === 0) throw new UsageError(`missing --key PUBFILE (usage: ${VERIFY_USAGE})`);
  const keys = state.keys.flatMap(readPublicKeyFiles);
  let detached: Uint8Array | undefined;
  if (state.signature !== undefined) {
    try {
      detached = readFileSync(state.signature);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new WardenError('config', `cannot read ${state.signature}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  const bytes = readModuleFile(path);
  const v = verifyModule(bytes, keys, { detachedSignature: detached });
  const missing = state.all ? keys.filter((k) => !v.validKeys.includes(k)) : [];
  const name = (k: PublicKey): string => `${k.source} (${keyFingerprint(k)})`;
  let reason = v.reason;
  if (v.verified && missing.length > 0) reason = `not signed by ${missing.map(name).join(', ')} (--all)`;
  const ok = v.verified && missing.length === 0;
  if (state.json) {
    out(JSON.stringify({ module: path, verified: ok, signature: v.source, signatures: v.signatureCount, validKeys: v.validKeys.map((k) => k.source), ...(ok ? {} : { reason }) }) + '\n');
  } else if (ok) {
    out(`verified: ${path} is signed by ${v.validKeys.map(name).join(', ')}\n`);
  } else {
    errorLine(`${path}: not verified: ${reason}`);
  }
  return ok ? 0 : 1;
}
