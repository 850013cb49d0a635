// The shared config reader and table-driven validator: every unknown or malformed field fails naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText, readConfigFile, validate, type FieldSpec } from '../src/config/index.js';
import { WardenError } from '../src/errors.js';

const SPEC = {
  type: 'table',
  required: ['name'],
  fields: {
    name: { type: 'string' },
    mode: { type: 'string', oneOf: ['a', 'b'] },
    count: { type: 'integer', min: 1, max: 10 },
    on: { type: 'boolean' },
    size: { type: 'bytes' },
    wait: { type: 'duration' },
    fuel: { type: 'fuel' },
    env: { type: 'map', of: { type: 'string' }, key: /^[A-Z_]+$/, keyDoc: 'an upper-case name' },
    items: { type: 'list', of: { type: 'table', fields: { x: { type: 'integer' } } } },
  },
} as const satisfies FieldSpec;

function configErr(fn: () => unknown, field: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof WardenError, String(e));
    assert.equal(e.kind, 'config');
    assert.equal(e.details['field'], field);
    assert.match(e.message, re);
    return true;
  });
}

test('valid values are normalised (sizes, durations, fuel)', () => {
  const v = validate(SPEC, { name: 'n', size: '64MiB', wait: '2s', fuel: '1e9', count: 3, env: { A_B: 'x' }, items: [{ x: 1 }] }, 'f.toml');
  assert.deepEqual(v, { name: 'n', size: 64 * 1024 * 1024, wait: 2000, fuel: 1_000_000_000n, count: 3, env: { A_B: 'x' }, items: [{ x: 1 }] });
  assert.equal(validate(SPEC, { name: 'n', size: 100, wait: 5, fuel: 7 }, 'f').fuel, 7n);
});

test('every kind of bad field is named with its path', () => {
  configErr(() => validate(SPEC, { name: 'n', nmae: 1 }, 'f.toml'), 'nmae', /^f\.toml: nmae: unknown field \(did you mean "name"\?\)/);
  configErr(() => validate(SPEC, {}, 'f.toml'), 'name', /missing required field/);
  configErr(() => validate(SPEC, { name: 1 }, 'f'), 'name', /expected a string, got number 1/);
  configErr(() => validate(SPEC, { name: 'n', mode: 'c' }, 'f'), 'mode', /one of "a", "b"/);
  configErr(() => validate(SPEC, { name: 'n', count: 11 }, 'f'), 'count', /<= 10/);
  configErr(() => validate(SPEC, { name: 'n', count: 1.5 }, 'f'), 'count', /whole number/);
  configErr(() => validate(SPEC, { name: 'n', size: '12 parsecs' }, 'f'), 'size', /expected a size/);
  configErr(() => validate(SPEC, { name: 'n', wait: 'soon' }, 'f'), 'wait', /expected a duration/);
  configErr(() => validate(SPEC, { name: 'n', fuel: -1 }, 'f'), 'fuel', /fuel/);
  configErr(() => validate(SPEC, { name: 'n', env: { lower: 'x' } }, 'f'), 'env.lower', /invalid key: expected an upper-case name/);
  configErr(() => validate(SPEC, { name: 'n', env: { A: 1 } }, 'f'), 'env.A', /expected a string/);
  configErr(() => validate(SPEC, { name: 'n', items: [{ x: 1 }, { y: 2 }] }, 'f'), 'items[1].y', /unknown field; known fields of items\[1\]: x/);
  configErr(() => validate(SPEC, { name: 'n', items: {} }, 'f'), 'items', /expected a list, got a table/);
  configErr(() => validate(SPEC, [], 'f'), '', /expected a table, got a list/);
  // prototype keys are not fields
  configErr(() => validate(SPEC, JSON.parse('{"name":"n","__proto__":{"x":1}}'), 'f'), '__proto__', /unknown field/);
  configErr(() => validate(SPEC, { name: 'n', constructor: 1 }, 'f'), 'constructor', /unknown field/);
});

test('TOML and JSON syntax errors name file, line and column', () => {
  configErr(() => parseConfigText('a = 1\nb = [\n', 'c.toml', 'toml'), '', /^c\.toml:3:1: invalid TOML/);
  configErr(() => parseConfigText('{\n "a": 1,\n}', 'c.json', 'json'), '', /^c\.json:3:1: invalid JSON/);
  assert.deepEqual(JSON.parse(JSON.stringify(parseConfigText('[x]\ny = "z"\n', 'c.toml', 'toml'))), { x: { y: 'z' } });
});

test('readConfigFile: missing file, directory, format by extension', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warden-config-'));
  configErr(() => readConfigFile(join(dir, 'nope.toml')), '', /no such file/);
  configErr(() => readConfigFile(dir), '', /is a directory/);
  writeFileSync(join(dir, 'p.json'), '{"a": [1]}');
  assert.deepEqual(readConfigFile(join(dir, 'p.json')).data, { a: [1] });
  writeFileSync(join(dir, 'p.toml'), 'a = [1]');
  assert.equal(readConfigFile(join(dir, 'p.toml')).format, 'toml');
});

test('limits in config files map onto RunLimits', async () => {
  const { LIMITS_SPEC, toRunLimits } = await import('../src/limits/schema.js');
  const v = validate(LIMITS_SPEC, { fuel: '1e6', timeout: '500ms', memory: '64MiB', 'table-elements': 100, stdout: '1KiB', stderr: 10 }, 'p.toml', 'limits');
  assert.deepEqual(toRunLimits(v), { fuel: 1_000_000n, timeoutMs: 500, memoryBytes: 64 << 20, tableElements: 100, stdoutBytes: 1024, stderrBytes: 10 });
  configErr(() => validate(LIMITS_SPEC, { timeout_ms: 5 }, 'p.toml', 'limits'), 'limits.timeout_ms', /unknown field \(did you mean "timeout"\?\)/);
});
