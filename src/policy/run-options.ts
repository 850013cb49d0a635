// What a policy grants a run (directories, environment, limits) and how a caller's own run options are layered
// under it: the policy's limits are a ceiling (lower is fine, higher is refused), and a directory or variable
// the policy does not grant is refused, never silently dropped.
import { resolve } from 'node:path';
import { WardenError } from '../errors.js';
import type { DirOption, RunLimits, RunOptions } from '../sandbox/options.js';
import type { Policy } from './schema.js';

/** The RunOptions parts a policy grants: its directories, environment and limits (absent when it sets none). */
export function policyRunOptions(policy: Policy): Pick<RunOptions, 'dirs' | 'env' | 'limits'> {
  const c = policy.capabilities;
  return {
    ...(c?.dirs ? { dirs: c.dirs.map((d) => ({ host: d.host, guest: d.guest, readOnly: d.readOnly })) } : {}),
    ...(c?.env ? { env: { ...c.env } } : {}),
    ...(policy.limits ? { limits: { ...policy.limits } } : {}),
  };
}

/** RunLimits fields and their names in policy files, for messages. */
const LIMIT_FIELDS: readonly (readonly [keyof RunLimits, string])[] = [
  ['fuel', 'fuel'],
  ['timeoutMs', 'timeout'],
  ['memoryBytes', 'memory'],
  ['tableElements', 'table-elements'],
  ['stdoutBytes', 'stdout'],
  ['stderrBytes', 'stderr'],
];

const guestKey = (g: string): string => (g.length > 1 ? g.replace(/\/+$/, '') : g);

/**
 * `options` as a run under `policy` gets them: dirs and env default to the policy's; the caller's own dirs must
 * each be granted (same guest path, same host directory, read-only where the policy says so); the caller's env
 * variables must be named by env-allow (or equal the policy's value); the caller's limits must not exceed the
 * policy's. Anything else throws WardenError 'policy' listing every refusal.
 */
export function applyPolicy<T extends RunOptions>(options: T, policy: Policy): T & { dirs: DirOption[]; env: Record<string, string>; limits: RunLimits } {
  const refusals: string[] = [];
  const granted = policy.capabilities?.dirs ?? [];
  let dirs: DirOption[] | undefined;
  if (options.dirs === undefined) {
    dirs = granted.map((d) => ({ host: d.host, guest: d.guest, readOnly: d.readOnly }));
  } else {
    dirs = [];
    const grants = granted.length ? `it grants ${granted.map((g) => `${g.guest}${g.readOnly ? ' (read-only)' : ''}`).join(', ')}` : 'it grants no directories';
    for (const d of options.dirs) {
      const g = typeof d?.guest === 'string' ? granted.find((x) => guestKey(x.guest) === guestKey(d.guest)) : undefined;
      if (!g) refusals.push(`directory ${JSON.stringify(d?.guest)} is not granted by the policy (${grants})`);
      else if (d.host !== undefined && resolve(d.host) !== g.host) refusals.push(`directory ${g.guest} is granted from ${g.host}, not ${resolve(d.host)}`);
      else if (g.readOnly && !d.readOnly) refusals.push(`directory ${g.guest} is granted read-only, but asked read-write`);
      else dirs.push(d);
    }
  }
  const env: Record<string, string> = { ...(policy.capabilities?.env ?? {}) };
  const allow = policy.capabilities?.envAllow ?? [];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (allow.some((p) => p.test(name)) || env[name] === value) env[name] = value;
    else refusals.push(`environment variable ${JSON.stringify(name)} is not granted by the policy (see capabilities.env-allow)`);
  }
  const limits: RunLimits = { ...(options.limits ?? {}) };
  for (const [key, field] of LIMIT_FIELDS) {
    const ceiling = policy.limits?.[key];
    if (ceiling === undefined) continue;
    const asked = options.limits?.[key];
    if (asked === undefined) (limits as Record<string, unknown>)[key] = ceiling;
    else if ((typeof asked === 'number' || typeof asked === 'bigint') && BigInt(asked) > BigInt(ceiling)) {
      refusals.push(`limit ${field} ${String(asked)} is above the policy's ${String(ceiling)} (a run may lower a policy limit, not raise it)`);
    }
  }
  if (refusals.length > 0) {
    throw new WardenError('policy', `policy ${policy.source} refuses the run options: ${refusals.join('; ')}`, { policy: policy.source, refusals });
  }
  return { ...options, dirs, env, limits };
}
