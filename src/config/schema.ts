// One table-driven validator for every configuration Warden reads (policy files, `warden serve` configs):
// a schema says which fields exist and what each holds; unknown or malformed fields fail naming the field.

import { WardenError } from '../errors.js';
import { parseBytes, parseDuration, parseFuel } from '../limits/parse.js';

/** What one field may hold. `doc` is a short description used in error messages and generated docs. */
export type FieldSpec =
  | { readonly type: 'string'; readonly oneOf?: readonly string[]; readonly pattern?: RegExp; readonly patternDoc?: string; readonly doc?: string }
  | { readonly type: 'integer'; readonly min?: number; readonly max?: number; readonly doc?: string }
  | { readonly type: 'boolean'; readonly doc?: string }
  /** a byte size: a whole number, or a string such as "64MiB" */
  | { readonly type: 'bytes'; readonly doc?: string }
  /** a duration in milliseconds: a whole number, or a string such as "500ms", "2s" */
  | { readonly type: 'duration'; readonly doc?: string }
  /** a fuel budget: a whole number, or a string such as "1e9" (returned as a bigint) */
  | { readonly type: 'fuel'; readonly doc?: string }
  | { readonly type: 'list'; readonly of: FieldSpec; readonly doc?: string }
  | { readonly type: 'table'; readonly fields: TableFields; readonly required?: readonly string[]; readonly doc?: string }
  /** a table whose keys are free (env vars, headers); values follow `of` */
  | { readonly type: 'map'; readonly of: FieldSpec; readonly key?: RegExp; readonly keyDoc?: string; readonly doc?: string };

export type TableFields = { readonly [name: string]: FieldSpec };

/** The TypeScript type a validated field has. Every table field is optional unless the caller checks `required`. */
export type Infer<F> = F extends { type: 'string' }
  ? string
  : F extends { type: 'integer' | 'bytes' | 'duration' }
    ? number
    : F extends { type: 'fuel' }
      ? bigint
      : F extends { type: 'boolean' }
        ? boolean
        : F extends { type: 'list'; of: infer O }
          ? Infer<O>[]
          : F extends { type: 'map'; of: infer O }
            ? Record<string, Infer<O>>
            : F extends { type: 'table'; fields: infer R }
              ? { -readonly [K in keyof R]?: Infer<R[K]> }
              : never;

/** A config error: kind 'config', `details.field` is the dotted path of the bad field, `details.source` the file. */
export function configError(source: string, field: string, message: string): WardenError {
  const where = field ? `${source}: ${field}` : source;
  return new WardenError('config', `${where}: ${message}`, { source, field });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a table';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v)}`;
  if (typeof v === 'bigint') return `the number ${v}`;
  return `${typeof v} ${String(v)}`;
}

function isPlainTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Closest known name by edit distance, for "did you mean" hints on misspelt fields. */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD && d < name.length) (best = k), (bestD = d);
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const k = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${k}` : k;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return undefined;
}

/**
 * Check `value` against `spec` and return the normalised value (sizes and durations as numbers, fuel as
 * bigint). Throws a WardenError of kind 'config' naming `source` and the field's path.
 */
export function validate<F extends FieldSpec>(spec: F, value: unknown, source: string, path = ''): Infer<F> {
  return check(spec, value, source, path) as Infer<F>;
}

function check(spec: FieldSpec, v: unknown, source: string, path: string): unknown {
  const fail = (what: string): never => {
    throw configError(source, path, `expected ${what}, got ${describe(v)}`);
  };
  switch (spec.type) {
    case 'string': {
      if (typeof v !== 'string') return fail('a string');
      if (spec.oneOf && !spec.oneOf.includes(v)) return fail(`one of ${spec.oneOf.map((s) => JSON.stringify(s)).join(', ')}`);
      if (spec.pattern && !spec.pattern.test(v)) return fail(spec.patternDoc ?? `a string matching ${spec.pattern}`);
      return v;
    }
    case 'integer': {
      const n = asNumber(v);
      if (n === undefined || !Number.isInteger(n)) return fail('a whole number');
      if (spec.min !== undefined && n < spec.min) return fail(`a whole number >= ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) return fail(`a whole number <= ${spec.max}`);
      return n;
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : fail('true or false');
    case 'bytes':
    case 'duration': {
      const n = asNumber(v);
      if (n !== undefined) {
        if (!Number.isSafeInteger(n) || n < (spec.type === 'duration' ? 1 : 0)) {
          return fail(spec.type === 'duration' ? 'a whole number of milliseconds >= 1' : 'a whole number of bytes');
        }
        return n;
      }
      if (typeof v !== 'string') return fail(spec.type === 'duration' ? 'a duration such as "500ms" or "2s"' : 'a size such as "64MiB"');
      try {
        return spec.type === 'duration' ? parseDuration(v) : parseBytes(v);
      } catch (e) {
        throw configError(source, path, (e as Error).message);
      }
    }
    case 'fuel': {
      if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') {
        if (typeof v === 'number' && !Number.isSafeInteger(v)) return fail('a whole number of fuel units (write large budgets as a string, e.g. "1e12")');
        try {
          return parseFuel(String(v));
        } catch (e) {
          throw configError(source, path, (e as Error).message);
        }
      }
      return fail('a fuel budget such as 1000000 or "1e9"');
    }
    case 'list': {
      if (!Array.isArray(v)) return fail('a list');
      return v.map((item, i) => check(spec.of, item, source, join(path, i)));
    }
    case 'map': {
      if (!isPlainTable(v)) return fail('a table');
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        if (spec.key && !spec.key.test(k)) throw configError(source, join(path, k), `invalid key: expected ${spec.keyDoc ?? `a key matching ${spec.key}`}`);
        out[k] = check(spec.of, item, source, join(path, k));
      }
      return out;
    }
    case 'table': {
      if (!isPlainTable(v)) return fail('a table');
      const known = Object.keys(spec.fields);
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        const field = Object.prototype.hasOwnProperty.call(spec.fields, k) ? spec.fields[k] : undefined;
        if (!field) {
          const hint = closest(k, known);
          throw configError(
            source,
            join(path, k),
            `unknown field${hint ? ` (did you mean "${hint}"?)` : ''}; known fields${path ? ` of ${path}` : ''}: ${known.join(', ')}`,
          );
        }
        out[k] = check(field, item, source, join(path, k));
      }
      for (const r of spec.required ?? []) {
        if (!(r in out)) throw configError(source, join(path, r), 'missing required field');
      }
      return out;
    }
  }
}
