// How limits are written in config files (policy files, `warden serve` routes): one field table shared by
// every config, mapped onto the library's RunLimits. Defaults stay in src/limits/defaults.ts.

import type { FieldSpec, Infer } from '../config/schema.js';
import type { RunLimits } from '../sandbox/options.js';

/** `[limits]` in a config file. Sizes accept "64MiB", durations "500ms", fuel "1e9". */
export const LIMITS_SPEC = {
  type: 'table',
  doc: 'resource limits of each run',
  fields: {
    fuel: { type: 'fuel', doc: 'instruction budget' },
    timeout: { type: 'duration', doc: 'wall-clock deadline' },
    memory: { type: 'bytes', doc: 'all linear memory together' },
    'table-elements': { type: 'integer', min: 0, max: 100_000_000, doc: 'elements per table' },
    stdout: { type: 'bytes', doc: 'cap on guest stdout bytes' },
    stderr: { type: 'bytes', doc: 'cap on guest stderr bytes' },
  },
} as const satisfies FieldSpec;

export type ConfigLimits = Infer<typeof LIMITS_SPEC>;

/** The library's RunLimits for limits read from a config (unset fields stay unset: defaults apply). */
export function toRunLimits(c: ConfigLimits): RunLimits {
  const out: RunLimits = {};
  if (c.fuel !== undefined) out.fuel = c.fuel;
  if (c.timeout !== undefined) out.timeoutMs = c.timeout;
  if (c.memory !== undefined) out.memoryBytes = c.memory;
  if (c['table-elements'] !== undefined) out.tableElements = c['table-elements'];
  if (c.stdout !== undefined) out.stdoutBytes = c.stdout;
  if (c.stderr !== undefined) out.stderrBytes = c.stderr;
  return out;
}

/** Limits from a narrower config layered over a wider one (route over server, run flags over policy). */
export function mergeLimits(base: RunLimits | undefined, over: RunLimits | undefined): RunLimits {
  return { ...(base ?? {}), ...(over ?? {}) };
}
