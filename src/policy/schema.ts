// The policy file format (TOML or JSON, one schema for `warden run --policy`, the library and `warden serve`
// routes) and its parsing into a Policy: digest pins, required signatures, feature and import rules,
// capabilities granted, limits. Validation is the shared table-driven validator (src/config/schema.ts).
import { dirname, isAbsolute, resolve } from 'node:path';
import { readConfigFile } from '../config/file.js';
import { configError, validate, type FieldSpec, type Infer } from '../config/schema.js';
import { LIMITS_SPEC, toRunLimits } from '../limits/schema.js';
import type { Feature } from '../binary/opcodes.js';
import type { RunLimits } from '../sandbox/options.js';
import { parseDigest, type Digest } from '../trust/digest.js';
import { parsePublicKey, readPublicKeyFiles, type PublicKey } from '../trust/keys.js';
import { WardenError } from '../errors.js';

/** Proposal names a policy can allow or deny: the names src/binary/features.ts featuresUsed() reports. */
export const POLICY_FEATURES = [
  'sign-extension',
  'sat-float-to-int',
  'multi-value',
  'bulk-memory',
  'reference-types',
  'simd',
  'relaxed-simd',
  'threads',
  'tail-call',
  'exceptions',
  'exnref',
  'function-references',
  'gc',
  'multi-memory',
  'memory64',
  'extended-const',
] as const satisfies readonly Exclude<Feature, 'mvp'>[];

export type PolicyFeature = (typeof POLICY_FEATURES)[number];

const FEATURE: FieldSpec = { type: 'string', oneOf: POLICY_FEATURES, doc: 'a proposal name ("threads" covers shared memory and atomics)' };
const IMPORT_PATTERN: FieldSpec = {
  type: 'string',
  pattern: /^[^\s]+$/,
  patternDoc: 'an import pattern MODULE::NAME or MODULE (NAME any), "*" matching any characters, e.g. "wasi_snapshot_preview1::sock_*"',
};

/** The policy file schema. Every field is optional: an empty policy allows everything (with default limits). */
export const POLICY_SPEC = {
  type: 'table',
  doc: 'which modules may run, and with what',
  fields: {
    digests: {
      type: 'list',
      of: { type: 'string', pattern: /^\s*(?:sha256:)?[0-9a-fA-F]{64}\s*$/i, patternDoc: 'a digest sha256:<64 hex digits> (or the 64 hex digits alone)' },
      doc: 'allow-list: only modules with one of these sha256 digests may run',
    },
    'require-signature': {
      type: 'list',
      of: { type: 'string', doc: 'a public key file (relative to the policy file; an OpenSSH keys file gives each of its keys) or an inline key ("ssh-ed25519 AAAA...", "ed25519:<64 hex>", PEM text)' },
      doc: 'the module must be signed (wasmsign2 format) by one of these keys',
    },
    'require-all-signatures': { type: 'boolean', doc: 'require a signature by every key of require-signature (default: any one)' },
    features: {
      type: 'table',
      doc: 'proposals beyond the MVP a module may use',
      fields: {
        deny: { type: 'list', of: FEATURE, doc: 'refuse modules using any of these' },
        allow: { type: 'list', of: FEATURE, doc: 'refuse modules using any proposal not listed (MVP is always allowed)' },
      },
    },
    imports: {
      type: 'table',
      doc: 'imports a module may have',
      fields: {
        allow: { type: 'list', of: IMPORT_PATTERN, doc: 'every import must match one of these patterns' },
        deny: { type: 'list', of: IMPORT_PATTERN, doc: 'no import may match any of these (deny wins over allow)' },
      },
    },
    capabilities: {
      type: 'table',
      doc: 'what a run under this policy is granted',
      fields: {
        dirs: {
          type: 'list',
          of: {
            type: 'table',
            required: ['host', 'guest'],
            fields: {
              host: { type: 'string', doc: 'host directory (relative to the policy file)' },
              guest: { type: 'string', pattern: /^\/\S*$|^[^/\s]\S*$/, patternDoc: 'a guest path such as "/data"' },
              ro: { type: 'boolean', doc: 'read-only (default true: write access must be granted with ro = false)' },
            },
          },
          doc: 'preopened directories',
        },
        env: { type: 'map', of: { type: 'string' }, key: /^[^=\0]+$/, keyDoc: 'a variable name without "="', doc: 'the guest environment' },
        'env-allow': {
          type: 'list',
          of: { type: 'string', pattern: /^[^=\0\s]+$/, patternDoc: 'a variable name (or pattern with "*") without "="' },
          doc: 'variables the caller may set besides (or over) env',
        },
      },
    },
    limits: LIMITS_SPEC,
  },
} as const satisfies FieldSpec;

export type PolicyData = Infer<typeof POLICY_SPEC>;

/** An import pattern: `module` and `name` are globs ("*" = any characters). */
export interface ImportPattern {
  /** The pattern as written. */
  text: string;
  module: RegExp;
  name: RegExp;
}

export interface PolicyDir {
  /** Absolute host path. */
  host: string;
  guest: string;
  readOnly: boolean;
}

/** A validated policy (frozen). Build one with parsePolicy() or loadPolicyFile(). */
export interface Policy {
  /** The policy file, or the `source` given to parsePolicy(). */
  readonly source: string;
  /** Allow-list of module digests (normalised `sha256:hex`), or undefined: any module. */
  readonly digests?: readonly Digest[];
  /** Keys that must have signed the module (any one, or every one when `all`). */
  readonly requireSignature?: { readonly keys: readonly PublicKey[]; readonly all: boolean };
  readonly features?: { readonly deny?: readonly PolicyFeature[]; readonly allow?: readonly PolicyFeature[] };
  readonly imports?: { readonly allow?: readonly ImportPattern[]; readonly deny?: readonly ImportPattern[] };
  readonly capabilities?: {
    readonly dirs?: readonly PolicyDir[];
    readonly env?: Readonly<Record<string, string>>;
    /** Patterns of variable names the caller may set. */
    readonly envAllow?: readonly RegExp[];
  };
  /** The ceiling on every run's limits (a caller may lower them, never raise them). */
  readonly limits?: Readonly<RunLimits>;
}

/** A glob ("*" = any run of characters, everything else literal) as an anchored RegExp. */
export function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}

/** "MODULE::NAME" or "MODULE" (any name). */
export function parseImportPattern(text: string): ImportPattern {
  const sep = text.indexOf('::');
  const module = sep < 0 ? text : text.slice(0, sep);
  const name = sep < 0 ? '*' : text.slice(sep + 2);
  return { text, module: globRegExp(module), name: globRegExp(name) };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v) && !(v instanceof RegExp) && !ArrayBuffer.isView(v) && !('asymmetricKeyType' in v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** A key named in require-signature: inline (OpenSSH line, "ed25519:hex", PEM text) or a file relative to `baseDir`. */
function policyKeys(text: string, source: string, field: string, baseDir: string): PublicKey[] {
  const t = text.trim();
  const inline = /^(ssh-ed25519\s|ed25519:|-----BEGIN )/.test(t);
  try {
    if (inline) return [parsePublicKey(t, `${source}: ${field} (inline key)`)];
    return readPublicKeyFiles(isAbsolute(t) ? t : resolve(baseDir, t));
  } catch (e) {
    if (!(e instanceof WardenError)) throw e;
    throw configError(source, field, e.message);
  }
}

/**
 * Validates plain data (as read from a TOML/JSON file) into a frozen Policy. `source` names the policy in
 * errors; relative paths (key files, host dirs) resolve against `baseDir` (default: the current directory).
 * Every unknown or malformed field is a WardenError 'config' naming `source` and the field.
 */
export function parsePolicy(data: unknown, source: string, baseDir: string = process.cwd()): Policy {
  const d = validate(POLICY_SPEC, data, source);
  const policy: { -readonly [K in keyof Policy]: Policy[K] } = { source };
  if (d.digests) policy.digests = [...new Set(d.digests.map((x) => parseDigest(x)))];
  if (d['require-signature']) {
    if (d['require-signature'].length === 0) throw configError(source, 'require-signature', 'lists no key (remove the field to not require signatures)');
    const keys = d['require-signature'].flatMap((k, i) => policyKeys(k, source, `require-signature[${i}]`, baseDir));
    policy.requireSignature = { keys, all: d['require-all-signatures'] ?? false };
  } else if (d['require-all-signatures'] !== undefined) {
    throw configError(source, 'require-all-signatures', 'needs require-signature (the keys)');
  }
  if (d.features) policy.features = { ...(d.features.deny ? { deny: d.features.deny as PolicyFeature[] } : {}), ...(d.features.allow ? { allow: d.features.allow as PolicyFeature[] } : {}) };
  if (d.imports) {
    policy.imports = {
      ...(d.imports.allow ? { allow: d.imports.allow.map(parseImportPattern) } : {}),
      ...(d.imports.deny ? { deny: d.imports.deny.map(parseImportPattern) } : {}),
    };
  }
  const c = d.capabilities;
  if (c) {
    const guests = new Set<string>();
    policy.capabilities = {
      ...(c.dirs
        ? {
            dirs: c.dirs.map((x, i) => {
              if (guests.has(x.guest!)) throw configError(source, `capabilities.dirs[${i}].guest`, `${JSON.stringify(x.guest)} is granted twice`);
              guests.add(x.guest!);
              return { host: isAbsolute(x.host!) ? x.host! : resolve(baseDir, x.host!), guest: x.guest!, readOnly: x.ro ?? true };
            }),
          }
        : {}),
      ...(c.env ? { env: { ...c.env } } : {}),
      ...(c['env-allow'] ? { envAllow: c['env-allow'].map(globRegExp) } : {}),
    };
  }
  if (d.limits) policy.limits = toRunLimits(d.limits);
  return deepFreeze(policy as Policy);
}

/** Reads a policy file (TOML, or JSON by its .json extension); relative paths in it resolve against its directory. */
export function loadPolicyFile(path: string): Policy {
  const { data } = readConfigFile(path);
  return parsePolicy(data, path, dirname(resolve(path)));
}
