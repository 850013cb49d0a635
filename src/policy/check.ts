// Checking a module against a policy: digest pins, required signatures, denied proposals and imports. Every
// refusal is a finding with the rule, the policy field and a one-line reason; a bad module is reported, not thrown.
import { decode } from '../binary/decoder.js';
import { featuresUsed } from '../binary/features.js';
import type { Module } from '../binary/module.js';
import { WardenError } from '../errors.js';
import { printable } from '../sandbox/text.js';
import { moduleDigest } from '../trust/digest.js';
import { keyFingerprint } from '../trust/keys.js';
import { verifyModule } from '../trust/verify.js';
import type { ImportPattern, Policy } from './schema.js';

export interface PolicyFinding {
  /** Which kind of rule refused the module. */
  rule: 'module' | 'digest' | 'signature' | 'feature' | 'import';
  /** The policy field that refused it, e.g. "features.deny", "imports.allow", "digests", "require-signature". */
  field: string;
  /** What was refused: the feature name, the import ("module::name"), the digest; absent for the module as a whole. */
  subject?: string;
  /** One line: what the module does and which rule refuses it. */
  message: string;
}

export interface CheckOptions {
  /** A detached signature for require-signature (default: the module's embedded one). */
  detachedSignature?: Uint8Array;
}

const matches = (p: ImportPattern, module: string, name: string): boolean => p.module.test(module) && p.name.test(name);

/** Everything `policy` refuses about `bytes` (empty: allowed). Never throws for a bad module: that is a finding. */
export function checkPolicy(bytes: Uint8Array, policy: Policy, opts: CheckOptions = {}): PolicyFinding[] {
  if (!(bytes instanceof Uint8Array)) throw new WardenError('config', 'checkPolicy: expected the module bytes as a Uint8Array');
  const findings: PolicyFinding[] = [];
  if (policy.digests) {
    const digest = moduleDigest(bytes);
    if (!policy.digests.includes(digest)) {
      const pinned = policy.digests.length === 1 ? `the pinned ${policy.digests[0]}` : `any of the ${policy.digests.length} pinned digests`;
      findings.push({ rule: 'digest', field: 'digests', subject: digest, message: `module digest ${digest} is not ${pinned}` });
    }
  }
  if (policy.requireSignature) {
    const { keys, all } = policy.requireSignature;
    const v = verifyModule(bytes, keys, { detachedSignature: opts.detachedSignature });
    if (!v.verified) {
      findings.push({ rule: 'signature', field: 'require-signature', message: `signature required: ${v.reason}` });
    } else if (all && v.validKeys.length < keys.length) {
      const missing = keys.filter((k) => !v.validKeys.includes(k)).map((k) => `${k.source} (${keyFingerprint(k)})`);
      findings.push({ rule: 'signature', field: 'require-all-signatures', message: `signature required by every key: none by ${missing.join(', ')}` });
    }
  }
  const { features, imports } = policy;
  if (features || imports) {
    let m: Module;
    try {
      m = decode(bytes);
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      findings.push({ rule: 'module', field: features ? 'features' : 'imports', message: `cannot check the module: ${e.message}` });
      return findings;
    }
    if (features) {
      let used: string[];
      try {
        used = featuresUsed(m);
      } catch (e) {
        if (!(e instanceof WardenError)) throw e;
        findings.push({ rule: 'module', field: 'features', message: `cannot check the module's proposals: ${e.message}` });
        used = [];
      }
      for (const f of used) {
        if (features.deny?.includes(f as never)) findings.push({ rule: 'feature', field: 'features.deny', subject: f, message: `uses ${f}, denied by features.deny` });
        else if (features.allow && !features.allow.includes(f as never)) {
          findings.push({ rule: 'feature', field: 'features.allow', subject: f, message: `uses ${f}, not in features.allow` });
        }
      }
    }
    if (imports) {
      for (const imp of m.imports) {
        const subject = `${imp.module}::${imp.name}`;
        const shown = printable(subject);
        const denied = imports.deny?.find((p) => matches(p, imp.module, imp.name));
        if (denied) findings.push({ rule: 'import', field: 'imports.deny', subject, message: `imports ${shown} (${imp.desc.kind}), denied by imports.deny "${printable(denied.text)}"` });
        else if (imports.allow && !imports.allow.some((p) => matches(p, imp.module, imp.name))) {
          findings.push({ rule: 'import', field: 'imports.allow', subject, message: `imports ${shown} (${imp.desc.kind}), not allowed by imports.allow` });
        }
      }
    }
  }
  return findings;
}

/** The error for `findings` (kind 'policy'; details.findings holds them). */
export function policyError(policy: Policy, findings: readonly PolicyFinding[]): WardenError {
  const shown = findings.slice(0, 8).map((f) => f.message);
  if (findings.length > shown.length) shown.push(`and ${findings.length - shown.length} more`);
  return new WardenError('policy', `refused by policy ${policy.source}: ${shown.join('; ')}`, { policy: policy.source, findings: [...findings] });
}

/** checkPolicy(), throwing WardenError 'policy' listing the findings unless there are none. */
export function enforcePolicy(bytes: Uint8Array, policy: Policy, opts: CheckOptions = {}): void {
  const findings = checkPolicy(bytes, policy, opts);
  if (findings.length > 0) throw policyError(policy, findings);
}
