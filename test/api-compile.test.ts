// Library compile(): validation errors (each with its message and byte offset), the cache by
// sha256 digest, link errors naming every unsatisfied import, and the no-entry hint.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { compile, run, WardenError, CompiledModule } from '../src/index.js';
import { readFunctionNames } from '../src/binary/names.js';
import { topWasmFrame } from '../src/sandbox/traps.js';
import { linkErrorFromV8 } from '../src/sandbox/link.js';
import { wat, HELLO, TRAP, LIBRARY } from './api-modules.js';

async function rejectsWith(p: Promise<unknown>, kind: string, message: RegExp): Promise<WardenError> {
  let caught: unknown;
  await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => (caught = e),
  );
  assert.ok(caught instanceof WardenError, `expected WardenError, got ${String(caught)}`);
  assert.equal(caught.kind, kind);
  assert.match(caught.message, message);
  return caught;
}

describe('compile: invalid modules', () => {
  it('refuses a file that is not wasm, showing the bytes it found', async () => {
    const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
    const e = await rejectsWith(compile(elf), 'invalid-module', /^not a WebAssembly module \(expected \\0asm magic, found 7f 45 4c 46 "\.ELF"\)$/);
    assert.equal(e.details.offset, 0);
    await rejectsWith(compile(new Uint8Array(0)), 'invalid-module', /found an empty file/);
    await rejectsWith(compile(Buffer.from('hello world\n')), 'invalid-module', /found 68 65 6c 6c "hell"/);
  });

  it('refuses an unsupported version and a component', async () => {
    await rejectsWith(compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])), 'invalid-module', /unsupported WebAssembly version \(expected 01 00 00 00, found 02 00 00 00\) at offset 0x4/);
    await rejectsWith(compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0])), 'invalid-module', /WebAssembly component/);
  });

  it('reports a truncated module with the byte offset', async () => {
    const full = await wat(HELLO);
    const cut = full.subarray(0, 30);
    const e = await rejectsWith(compile(cut), 'invalid-module', /^invalid module: .* at offset 0x[0-9a-f]+$/);
    assert.equal(typeof e.details.offset, 'number');
    assert.ok((e.details.offset as number) <= 30);
    assert.match(e.message, new RegExp(`at offset 0x${(e.details.offset as number).toString(16)}$`));
    await rejectsWith(compile(full.subarray(0, 6)), 'invalid-module', /truncated module: 6 bytes/);
  });

  it('reports a malformed section with its offset', async () => {
    // A code section with one body but no function section: body count mismatch at offset 10.
    const bad = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x0a, 4, 1, 2, 0, 0x0b]);
    const e = await rejectsWith(compile(bad), 'invalid-module', /function body count 1 mismatch \(0 expected\) at offset 0xa$/);
    assert.equal(e.details.offset, 10);
  });

  it('rejects a non-bytes argument as a config error', async () => {
    await rejectsWith(compile('x' as unknown as Uint8Array), 'config', /expected a Uint8Array or ArrayBuffer, got string/);
  });

  it('one-shot run() resolves (not rejects) for an invalid module', async () => {
    const r = await run(Buffer.from('not wasm at all'));
    assert.equal(r.exitCode, 1);
    assert.equal(r.error?.kind, 'invalid-module');
  });
});

describe('compile: cache by digest', () => {
  it('names the module by its sha256 and compiles the same bytes once', async () => {
    const bytes = await wat(HELLO);
    const a = await compile(bytes);
    assert.ok(a instanceof CompiledModule);
    assert.equal(a.digest, createHash('sha256').update(bytes).digest('hex'));
    const b = await compile(new Uint8Array(bytes).buffer);
    assert.equal(b, a, 'same bytes give the cached module');
    assert.equal(b.module, a.module);
    const [c, d] = await Promise.all([compile(await wat(LIBRARY)), compile(await wat(LIBRARY))]);
    assert.equal(c, d, 'concurrent compiles of the same bytes share one compile');
    const fresh = await compile(bytes, { cache: false });
    assert.notEqual(fresh, a);
    assert.equal(fresh.digest, a.digest);
  });

  it('takes a private copy: mutating the caller buffer afterwards changes nothing', async () => {
    const bytes = await wat(HELLO);
    const m = await compile(bytes, { cache: false });
    bytes.fill(0);
    const r = await m.run();
    assert.equal(r.stdout.toString(), 'hello\n');
  });

  it('exposes imports, exports and function names', async () => {
    const m = await compile(await wat(TRAP));
    assert.deepEqual(m.imports, []);
    assert.deepEqual(m.exports.map((e) => e.name).sort(), ['_start', 'memory']);
    assert.deepEqual([...m.functionNames], [[0, 'main'], [1, 'helper'], [2, 'boom']]);
  });
});

describe('name section reader', () => {
  it('never throws on garbage and returns no names', () => {
    const junk = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, 0x7f, 4, 0x6e, 0x61, 0x6d, 0x65, 1, 0xff]);
    assert.deepEqual([...readFunctionNames(junk)], []);
    assert.deepEqual([...readFunctionNames(new Uint8Array(3))], []);
  });
});

describe('V8 stack frames', () => {
  it('takes the innermost wasm frame, not text inside a function name', () => {
    const stack = 'RuntimeError: unreachable\n    at x wasm-function[9]:0x1 (wasm://wasm/7c5e0a1a:wasm-function[12]:0x1f3)\n    at main (wasm://wasm/7c5e0a1a:wasm-function[3]:0x20)';
    assert.deepEqual(topWasmFrame(stack), { funcIndex: 12, offset: 0x1f3 });
    assert.equal(topWasmFrame('Error\n    at file:///x.js:1:1'), undefined);
    assert.equal(topWasmFrame(undefined), undefined);
  });
});

describe('run: link errors', () => {
  it("names the import in V8's LinkError, in the Node 20 and the newer message forms", () => {
    const forms = [
      'WebAssembly.Instance(): Import #0 module="env" function="f" error: function import requires a callable',
      'WebAssembly.Instance(): Import #0 "env" "f": function import requires a callable',
    ];
    for (const text of forms) {
      const e = linkErrorFromV8(new WebAssembly.LinkError(text));
      assert.equal(e.kind, 'link');
      assert.equal(e.message, 'import env.f: function import requires a callable');
    }
  });

  it('lists every unsatisfied import with its kind', async () => {
    const m = await compile(
      await wat(`(module
        (import "env" "host_log" (func (param i32)))
        (import "env" "mem" (memory 1))
        (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "not_a_wasi_call" (func))
        (import "other" "g" (global i32))
        (func (export "_start")))`),
    );
    const r = await m.run();
    assert.equal(r.exitCode, 1);
    assert.equal(r.error?.kind, 'link');
    assert.match(r.error!.message, /^4 unsatisfied imports: env\.host_log \(function\), env\.mem \(memory\), wasi_snapshot_preview1\.not_a_wasi_call \(function\), other\.g \(global\);/);
    assert.match(r.error!.message, /imports env\.host_log: Warden provides only WASI/);
    assert.match(r.error!.message, /wasi_snapshot_preview1\.not_a_wasi_call: not a WASI preview1 function \(wasi_snapshot_preview1\)/);
    const names = (r.error!.details.imports as { module: string; name: string }[]).map((i) => `${i.module}.${i.name}`);
    assert.deepEqual(names, ['env.host_log', 'env.mem', 'wasi_snapshot_preview1.not_a_wasi_call', 'other.g']);
  });

  it('says which WASI version a wasi_unstable module expected', async () => {
    const m = await compile(
      await wat(`(module
        (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        (import "wasi_unstable" "proc_exit" (func (param i32)))
        (memory (export "memory") 1) (func (export "_start")))`),
    );
    const r = await m.run();
    assert.equal(r.error?.kind, 'link');
    assert.equal(
      r.error!.message,
      '2 unsatisfied imports: wasi_unstable.fd_write (function), wasi_unstable.proc_exit (function); ' +
        'imports wasi_unstable.fd_write: WASI snapshot 0 (wasi_unstable) is not supported; rebuild for wasi_snapshot_preview1',
    );
  });

  it('refuses a WASI import with the wrong signature', async () => {
    const m = await compile(
      await wat(`(module (import "wasi_snapshot_preview1" "fd_write" (func (param i64) (result i64)))
        (memory (export "memory") 1) (func (export "_start")))`),
    );
    const r = await m.run();
    assert.equal(r.error?.kind, 'link');
    assert.match(r.error!.message, /wasi_snapshot_preview1\.fd_write: has type \(i64\) -> \(i64\), but wasi_snapshot_preview1\.fd_write is \(i32, i32, i32, i32\) -> \(i32\)/);
  });

  it('hints at --invoke when there is no _start, listing the exports', async () => {
    const m = await compile(await wat(LIBRARY));
    const r = await m.run();
    assert.equal(r.exitCode, 1);
    assert.equal(r.error?.kind, 'no-entry');
    assert.equal(r.error!.message, 'module has no _start export (a WASI command); use --invoke NAME to call one of its exports: add, pair, div, load');
    const r2 = await m.run({ invoke: 'nope' });
    assert.equal(r2.error?.kind, 'no-entry');
    assert.match(r2.error!.message, /no exported function "nope"; its exported functions: add, pair, div, load/);
  });
});
