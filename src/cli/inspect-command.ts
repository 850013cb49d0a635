// `warden inspect MODULE.wasm [--json]`: what a module asks for (imports and their capabilities), exports,
// memories, tables, proposals used, custom sections, sha256 and size, as a report or a stable JSON object.
import { formatInspection, inspect } from '../inspect/index.js';
import { out } from './output.js';
import { UsageError, type FlagDef } from './flags.js';
import { readModuleFile } from './files.js';
import { loadPolicyFile } from '../policy/schema.js';
import { checkPolicy, type PolicyFinding } from '../policy/check.js';
import { describeSignatures, type SignatureSummary } from '../trust/verify.js';

/** The module's signature data (embedded or --signature): who signed what, without checking keys. */
function formatSignatures(s: SignatureSummary): string {
  if (s.error) return `signatures: ${s.source}, unreadable: ${s.error}\n`;
  const lines = s.sets.map((set) => {
    const ids = set.signatures.map((g) => (g.keyId ? `key id ${g.keyId}` : 'no key id') + (g.algorithm === 1 ? '' : ` (algorithm 0x${g.algorithm.toString(16)})`));
    return `  ${set.signatures.length} signature${set.signatures.length === 1 ? '' : 's'} over ${set.hashes} part hash${set.hashes === 1 ? '' : 'es'} (${set.coversModule ? 'matching this module' : 'NOT matching this module'}): ${ids.join(', ')}`;
  });
  return [`signatures: ${s.source} (wasmsign2 format; check keys with warden verify)`, ...lines].join('\n') + '\n';
}

/** The policy part of the report: allowed, or each refusal with the rule that makes it. */
function formatFindings(source: string, findings: readonly PolicyFinding[]): string {
  if (findings.length === 0) return `\npolicy ${source}: allowed\n`;
  return [`\npolicy ${source}: REFUSED (${findings.length} reason${findings.length === 1 ? '' : 's'})`, ...findings.map((f) => `  ${f.field}: ${f.message}`)].join('\n') + '\n';
}

export interface InspectState {
  json: boolean;
  policy?: string;
  signature?: string;
}

export const INSPECT_FLAGS: readonly FlagDef<InspectState>[] = [
  { name: 'json', help: 'Print the description as one JSON object (fields documented in README).', apply: (s) => void (s.json = true) },
  {
    name: 'policy',
    value: 'FILE',
    help: 'Also check the module against a policy file: list what it would\nrefuse and why (exit 1 if it refuses the module).',
    apply: (s, v) => void (s.policy = v),
  },
  { name: 'signature', value: 'SIGFILE', help: 'A detached signature for the policy\'s require-signature.', apply: (s, v) => void (s.signature = v) },
];

export const INSPECT_USAGE = 'warden inspect [--json] [--policy FILE [--signature SIGFILE]] MODULE.wasm';
export const INSPECT_EXIT_CODES = `Exit status:
  0      success (and the --policy, if any, allows the module)
  1      the module is not valid (the message gives the offset), or the
         --policy refuses it (each reason listed)
  2      usage error: malformed flag, unreadable module, policy or SIGFILE,
         malformed policy file (the field is named)
  70     internal error (a bug in Warden)`;

export const INSPECT_SUMMARY = 'Show what a module imports (capabilities), exports and uses (proposals, limits)';

export async function inspectCommand(state: InspectState, positional: readonly string[]): Promise<number> {
  const [path, ...extra] = positional;
  if (path === undefined) throw new UsageError(`missing MODULE.wasm (usage: ${INSPECT_USAGE})`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const policy = state.policy !== undefined ? loadPolicyFile(state.policy) : undefined;
  if (state.signature !== undefined && policy === undefined) throw new UsageError('--signature needs --policy');
  const signature = state.signature !== undefined ? readModuleFile(state.signature) : undefined;
  const bytes = readModuleFile(path);
  const report = await inspect(bytes);
  const findings = policy ? checkPolicy(bytes, policy, { detachedSignature: signature }) : undefined;
  const verdict = policy ? { policy: { source: policy.source, allowed: findings!.length === 0, findings } } : {};
  const sigs = describeSignatures(bytes, { detachedSignature: signature });
  const signed = sigs.source !== 'none' ? { signatures: sigs } : {};
  const text = () => formatInspection(report, path) + (sigs.source !== 'none' ? formatSignatures(sigs) : '') + (policy ? formatFindings(policy.source, findings!) : '');
  out(state.json ? JSON.stringify({ module: path, ...report, ...signed, ...verdict }, null, 2) + '\n' : text());
  return findings && findings.length > 0 ? 1 : 0;
}
