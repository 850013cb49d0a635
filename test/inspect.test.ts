// inspect() and `warden inspect`: proposals detected per feature (WAT modules assembled by wabt with the
// feature on, a few built with our encoder), imports grouped with capabilities, limits, exports, custom
// sections, the real C examples, the --json shape, and malformed input giving `warden run`'s error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, inspect, formatInspection, WardenError, type Inspection } from '../src/index.js';
import { ALL_OPS, emptyModule, encode, type Instr } from '../src/binary/index.js';
import { wat } from './api-modules.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');

/** One module per proposal: WAT and the wabt features it needs; the proposal must be detected, and only it. */
const PROPOSALS: { proposal: string; features: Record<string, boolean>; text: string; also?: string[] }[] = [
  { proposal: 'sign-extension', features: {}, text: '(func (param i32) (result i32) (i32.extend8_s (local.get 0)))' },
  { proposal: 'sat-float-to-int', features: {}, text: '(func (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0)))' },
  { proposal: 'multi-value', features: {}, text: '(func (result i32 i32) (i32.const 1) (i32.const 2))' },
  // multi-value used only through block types: a block with a parameter, an if with a parameter and several results
  { proposal: 'multi-value', features: { multi_value: true }, text: '(func (i32.const 1) (block (param i32) (drop)))' },
  {
    proposal: 'multi-value',
    features: { multi_value: true },
    text: '(func (param i32) (local.get 0) (local.get 0) (if (param i32) (result i32 i32) (then (i32.const 1)) (else (i32.const 2))) (drop) (drop))',
  },
  { proposal: 'bulk-memory', features: {}, text: '(memory 1) (func (memory.fill (i32.const 0) (i32.const 1) (i32.const 2)))' },
  { proposal: 'reference-types', features: {}, text: '(table 1 externref) (func (result externref) (table.get 0 (i32.const 0)))' },
  { proposal: 'simd', features: { simd: true }, text: '(func (result v128) (v128.const i32x4 1 2 3 4))' },
  { proposal: 'tail-call', features: { tail_call: true }, text: '(func $f (return_call $f))' },
  { proposal: 'exceptions', features: { exceptions: true }, text: '(tag $e (export "e") (param i32)) (func (throw $e (i32.const 1)))' },
  { proposal: 'memory64', features: { memory64: true }, text: '(memory i64 1) (func (result i32) (i32.load (i64.const 0)))' },
  { proposal: 'mutable-globals', features: {}, text: '(global (export "g") (mut i32) (i32.const 0))' },
];

/** An instruction for modules built with the encoder (this wabt cannot assemble every proposal). */
function ins(name: string, imm?: unknown): Instr {
  const info = ALL_OPS.find((o) => o.name === name);
  if (!info) throw new Error(`no opcode ${name}`);
  return { op: info.code, imm, offset: -1 };
}

async function inspectWat(text: string, features: Record<string, boolean> = {}): Promise<Inspection> {
  return inspect(await wat(`(module ${text})`, features));
}

describe('inspect: proposals', () => {
  it('an MVP module uses none', async () => {
    const r = await inspectWat('(func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))');
    assert.deepEqual(r.proposals, []);
  });

  for (const c of PROPOSALS) {
    it(`detects ${c.proposal}`, async () => {
      const r = await inspectWat(c.text, c.features);
      assert.deepEqual(r.proposals, [c.proposal, ...(c.also ?? [])].sort());
      if (c.proposal === 'exceptions') {
        assert.equal(r.tags, 1);
        assert.deepEqual(r.exports, [{ name: 'e', kind: 'tag', type: '(i32) -> ()' }]);
      }
    });
  }

  it('detects threads (shared memory, atomics) and extended-const in modules built with the encoder', async () => {
    const atomics = emptyModule();
    atomics.types.push({ rec: false, types: [{ sub: null, comp: { kind: 'func', params: [], results: [0x7f] } }] });
    atomics.funcs.push(0);
    atomics.codes.push({ locals: [], offset: -1, body: [ins('i32.const', 0), ins('i32.atomic.load', { align: 2, offset: 0, memory: 0 }), ins('end')] });
    atomics.memories.push({ flags: 3, min: 1, max: 1 });
    const r = await inspect(encode(atomics));
    assert.deepEqual(r.proposals, ['threads']);
    assert.deepEqual(r.memories, [{ index: 0, imported: null, min: 1, max: 1, shared: true, index64: false }]);
    assert.equal(r.validates, true);
    // the atomic instruction alone (an unshared memory) is detected too
    atomics.memories[0] = { flags: 1, min: 1, max: 1 };
    assert.deepEqual((await inspect(encode(atomics))).proposals, ['threads']);

    const ext = emptyModule();
    ext.globals.push({ type: { type: 0x7f, mutable: false }, init: [ins('i32.const', 1), ins('i32.const', 2), ins('i32.add'), ins('end')] });
    assert.deepEqual((await inspect(encode(ext))).proposals, ['extended-const']);
  });

  it('detects multi-memory and gc in modules built with the encoder', async () => {
    const two = emptyModule();
    two.memories.push({ flags: 0, min: 1, max: null }, { flags: 1, min: 0, max: 2 });
    const r = await inspect(encode(two));
    assert.deepEqual(r.proposals, ['multi-memory']);
    assert.deepEqual(
      r.memories.map((m) => [m.index, m.min, m.max]),
      [
        [0, 1, null],
        [1, 0, 2],
      ],
    );
    const gc = emptyModule();
    gc.types.push({ rec: false, types: [{ sub: null, comp: { kind: 'struct', fields: [{ storage: 0x7f, mutable: true }] } }] });
    assert.deepEqual((await inspect(encode(gc))).proposals, ['gc']);
  });
});

describe('inspect: what a module asks for', () => {
  it('groups imports by module, with WASI capabilities and host modules named', async () => {
    const r = await inspectWat(`
      (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
      (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sock_recv" (func (param i32 i32 i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (import "wasi_snapshot_preview1" "no_such_call" (func))
      (import "env" "log" (func (param i32 f64)))
      (import "env" "mem" (memory 1 16))
      (import "env" "tbl" (table 2 funcref))
      (import "env" "g" (global i64))`);
    assert.deepEqual(r.capabilities, ['clock', 'filesystem', 'host:env', 'proc', 'random', 'sockets', 'unknown']);
    assert.deepEqual(
      r.imports.map((g) => [g.module, g.interface, g.capabilities]),
      [
        ['wasi_snapshot_preview1', 'WASI preview1', ['clock', 'filesystem', 'proc', 'random', 'sockets', 'unknown']],
        ['env', 'host', ['host:env']],
      ],
    );
    const wasi = r.imports[0]!.imports;
    assert.deepEqual(wasi[0], { name: 'path_open', kind: 'func', type: '(i32, i32, i32, i32, i32, i64, i64, i32, i32) -> i32', capability: 'filesystem' });
    assert.deepEqual(wasi[4], { name: 'proc_exit', kind: 'func', type: '(i32) -> ()', capability: 'proc' });
    const env = r.imports[1]!.imports;
    assert.deepEqual(
      env.map((i) => [i.name, i.kind, i.type, i.capability]),
      [
        ['log', 'func', '(i32, f64) -> ()', null],
        ['mem', 'memory', '1..16 pages', null],
        ['tbl', 'table', 'funcref 2 elements (no max)', null],
        ['g', 'global', 'i64', null],
      ],
    );
    assert.deepEqual(r.memories, [{ index: 0, imported: 'env.mem', min: 1, max: 16, shared: false, index64: false }]);
    assert.equal(r.functions.imported, 7);
    assert.equal(r.globals[0]!.imported, 'env.g');
  });

  it('lists exports with signatures, limits, start, globals, data, custom sections, sha256 and size', async () => {
    const bytes = await wat(`(module
      (memory (export "mem") 2 10)
      (table (export "tab") 3 funcref)
      (global (export "counter") (mut i64) (i64.const 0))
      (global f32 (f32.const 1))
      (func $init)
      (func $pair (export "pair") (param i32) (result i32 f64) (local.get 0) (f64.const 0))
      (start $init)
      (data (i32.const 0) "abcdef"))`);
    const r = await inspect(bytes);
    assert.deepEqual(r.exports, [
      { name: 'mem', kind: 'memory', type: '2..10 pages' },
      { name: 'tab', kind: 'table', type: 'funcref 3 elements (no max)' },
      { name: 'counter', kind: 'global', type: 'mut i64' },
      { name: 'pair', kind: 'func', type: '(i32) -> (i32, f64)' },
    ]);
    assert.equal(r.start, 0);
    assert.deepEqual(r.functions, { imported: 0, defined: 2, codeBytes: r.functions.codeBytes });
    assert.ok(r.functions.codeBytes > 4);
    assert.deepEqual(r.globals.map((g) => [g.type, g.mutable]), [
      ['i64', true],
      ['f32', false],
    ]);
    assert.deepEqual(r.data, { segments: 1, bytes: 6 });
    assert.deepEqual(r.customSections.map((c) => c.name), ['name']);
    assert.equal(r.sizeBytes, bytes.length);
    assert.equal(r.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(r.validates, true);
    assert.deepEqual(r.proposals, ['multi-value', 'mutable-globals']);
  });

  it('reads the C examples: WASI capabilities, producers, no proposals beyond what they use', async () => {
    for (const [file, caps] of [
      ['examples/cat.wasm', ['args', 'fd', 'filesystem', 'proc']],
      ['bench/cpu/sha256.wasm', ['args', 'fd', 'proc']],
    ] as const) {
      const r = await inspect(readFileSync(join(ROOT, file)));
      assert.deepEqual(r.capabilities, caps, file);
      assert.deepEqual(r.imports.map((g) => g.module), ['wasi_snapshot_preview1']);
      assert.ok(r.exports.some((e) => e.name === '_start' && e.type === '() -> ()'), file);
      assert.match(r.producers?.['processed-by']?.join() ?? '', /clang/, file);
      assert.ok(r.customSections.some((c) => c.name === 'producers'));
      assert.ok(r.functions.defined > 10);
      const text = formatInspection(r, file);
      assert.match(text, /^sha256: +[0-9a-f]{64}$/m);
      assert.match(text, /wasi_snapshot_preview1 \(WASI preview1: /);
    }
  });

  it('escapes module-controlled names in the text report', async () => {
    const r = await inspectWat('(func (export "evil\\1b[2Jname"))');
    assert.match(formatInspection(r, 'x.wasm'), /evil\\x1b\[2Jname/);
  });
});

describe('inspect: malformed input', () => {
  // [what, bytes, whether the message has an offset (the magic check names what it found instead)]
  const cases: [string, Uint8Array, boolean][] = [
    ['empty', new Uint8Array(), false],
    ['not wasm', new TextEncoder().encode('#!/bin/sh\necho hi\n'), false],
    ['section past the end', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5]), true],
    ['bad opcode', new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 5, 1, 3, 0, 0xff, 0x0b]), true],
  ];
  for (const [what, bytes, hasOffset] of cases) {
    it(`${what}: the same invalid-module error as compile()/warden run`, async () => {
      const got = await inspect(bytes).then(
        () => assert.fail('inspect accepted a malformed module'),
        (e: unknown) => e,
      );
      const want = await compile(bytes, { cache: false }).then(
        () => assert.fail('compile accepted a malformed module'),
        (e: unknown) => e,
      );
      assert.ok(got instanceof WardenError && want instanceof WardenError);
      assert.equal(got.kind, 'invalid-module');
      assert.equal(got.message, want.message);
      if (hasOffset) assert.match(got.message, /offset 0x[0-9a-f]+/);
    });
  }
});

describe('warden inspect (CLI)', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'inspect', ...args], { encoding: 'utf8', cwd: ROOT });

  it('prints a report, and with --json the documented object', () => {
    const text = cli('examples/wc.wasm');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^module: +examples\/wc\.wasm$/m);
    assert.match(text.stdout, /^asks for: +args, fd, filesystem, proc$/m);
    assert.match(text.stdout, /^ {4}fd_write +func +\(i32, i32, i32, i32\) -> i32 +\[fd\]$/m);

    const json = cli('--json', 'examples/wc.wasm');
    assert.equal(json.status, 0, json.stderr);
    const obj = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(obj), [
      'module', 'sha256', 'sizeBytes', 'validates', 'proposals', 'capabilities', 'imports', 'exports', 'functions',
      'memories', 'tables', 'globals', 'tags', 'start', 'data', 'customSections', 'targetFeatures', 'producers',
    ]);
    const bytes = readFileSync(join(ROOT, 'examples/wc.wasm'));
    assert.equal(obj.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(obj.sizeBytes, bytes.length);
  });

  it('malformed module: the same one-line error and exit status as warden run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-inspect-'));
    try {
      const bad = join(dir, 'bad.wasm');
      writeFileSync(bad, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5]));
      const r = cli(bad);
      const run = spawnSync(process.execPath, [MAIN, 'run', bad], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: invalid module: .* at offset 0x8\n$/);
      assert.equal(r.stderr, run.stderr);
      assert.equal(r.status, run.status);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2', () => {
    assert.equal(cli().status, 2);
    assert.equal(cli('a.wasm', 'b.wasm').status, 2);
    assert.equal(cli('--bogus', 'a.wasm').status, 2);
    assert.match(cli('/no/such.wasm').stderr, /^error: cannot read \/no\/such\.wasm: no such file\n$/);
  });
});
