// Library runs: exit codes, traps named by function and offset, stack overflow, invoke with
// typed args, stdin/env/args exactly as given, streaming output, host dirs, repeated runs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, createWorkerPool, run, MemoryFs, WardenError, type RunResult } from '../src/index.js';
import { wat, HELLO, EXIT7, TRAP, RECURSE, LIBRARY, dumpStrings } from './api-modules.js';

const WC = readFileSync(new URL('../../examples/wc.wasm', import.meta.url));
const CAT = readFileSync(new URL('../../examples/cat.wasm', import.meta.url));
const DATA = new URL('../../examples/data', import.meta.url).pathname;

async function rejectsWith(p: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof WardenError, `expected WardenError, got ${String(e)}`);
    assert.equal(e.kind, kind);
    assert.match(e.message, message);
    return true;
  });
}

describe('run: exit codes', () => {
  it('is 0 when _start returns, with stdout collected', async () => {
    const r = await run(await wat(HELLO));
    assert.equal(r.exitCode, 0);
    assert.equal(r.error, undefined);
    assert.equal(r.stdout.toString(), 'hello\n');
    assert.equal(r.stderr.length, 0);
    assert.equal(typeof r.durationMs, 'number');
  });

  it("is the guest's proc_exit code", async () => {
    const r = await run(await wat(EXIT7));
    assert.equal(r.exitCode, 7);
    assert.equal(r.error, undefined);
  });

  it('passes through a C program exit status (wc on a missing file)', async () => {
    const r = await run(WC, { args: ['/data/poem.txt', '/data/missing.txt'], dirs: [{ host: DATA, guest: '/data' }] });
    assert.equal(r.exitCode, 1);
    assert.equal(r.stderr.toString(), 'wc: /data/missing.txt: No such file or directory\n');
    assert.match(r.stdout.toString(), /^ +7 +42 +220 \/data\/poem\.txt\n/);
  });
});

describe('run: traps', () => {
  it('names the trap, the function index and name, and the offset', async () => {
    const bytes = await wat(TRAP);
    const r = await run(bytes);
    assert.equal(r.exitCode, 134);
    assert.equal(r.error?.kind, 'trap');
    const m = /^trap: unreachable in func 2 <boom> at offset 0x([0-9a-f]+)$/.exec(r.error!.message);
    assert.ok(m, r.error!.message);
    const offset = parseInt(m[1]!, 16);
    assert.equal(bytes[offset], 0x00, 'the offset points at the unreachable opcode');
    assert.deepEqual(r.error!.details, { trap: 'unreachable', funcIndex: 2, funcName: 'boom', offset });
  });

  it('escapes control characters in module-controlled names', async () => {
    const bytes = await wat(TRAP.replace(/\$boom/g, '$zzzzzz'));
    const at = Buffer.from(bytes).lastIndexOf('zzzzzz');
    bytes.set(Buffer.from('\n\x1b[31m'), at);
    const r = await run(bytes);
    assert.match(r.error!.message, /^trap: unreachable in func 2 <\\x0a\\x1b\[31m> at offset 0x[0-9a-f]+$/);
    const lib = await run(await wat('(module (func (export "evil\\0aname\\e2\\80\\ae")))'));
    assert.match(lib.error!.message, /exports: evil\\x0aname\\u\{202e\}$/);
  });

  it('uses wasmtime wording for divide by zero and out-of-bounds memory', async () => {
    const m = await compile(await wat(LIBRARY));
    const div = await m.run({ invoke: 'div', invokeArgs: [1, 0] });
    assert.equal(div.exitCode, 134);
    assert.match(div.error!.message, /^trap: integer divide by zero in func 2 at offset 0x[0-9a-f]+$/);
    assert.equal(div.error!.details.trap, 'integer-divide-by-zero');
    const oob = await m.run({ invoke: 'load', invokeArgs: [70000] });
    assert.match(oob.error!.message, /^trap: out of bounds memory access in func 3 at offset 0x[0-9a-f]+$/);
  });

  it('ends deep recursion with its own kind, and the process goes on', async () => {
    const r = await run(await wat(RECURSE));
    assert.equal(r.exitCode, 134);
    assert.equal(r.error?.kind, 'stack-overflow');
    assert.match(r.error!.message, /^stack overflow: call stack exhausted in func 1 <down> at offset 0x[0-9a-f]+$/);
    const again = await run(await wat(HELLO));
    assert.equal(again.stdout.toString(), 'hello\n');
  });

  it('ends a guest exception no handler caught as a trap (wasmtime: "thrown Wasm exception"), in process and on a worker', async () => {
    const bytes = await wat(`(module (tag $e (param i32)) (func (export "_start") (throw $e (i32.const 7))))`, { exceptions: true });
    const r = await run(bytes);
    assert.equal(r.exitCode, 134);
    assert.equal(r.error?.kind, 'trap');
    assert.equal(r.error?.message, 'trap: thrown Wasm exception (no handler in the guest caught it)');
    const pool = createWorkerPool({ size: 1 });
    try {
      const w = await pool.run(await compile(bytes), {});
      assert.equal(w.error?.kind, 'trap');
      assert.equal(w.error?.message, r.error?.message);
    } finally {
      await pool.close();
    }
  });

  it('keeps an exit final even if the guest catches the host exception (catch_all)', async () => {
    const bytes = await wat(
      `(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 100) "escaped")
        (func (export "_start")
          (try (do (call $exit (i32.const 3))) (catch_all))
          (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 7))
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`,
      { exceptions: true },
    );
    const r = await run(bytes);
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout.toString(), '');
  });

  it('keeps an exit final for the fuel meter too: a caught exit followed by an endless loop ends at the next refill', async () => {
    const bytes = await wat(
      `(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start")
          (try (do (call $exit (i32.const 3))) (catch_all))
          (loop $l (br $l))))`,
      { exceptions: true },
    );
    const r = await run(bytes, { limits: { timeoutMs: 20_000 } });
    assert.equal(r.exitCode, 3);
    assert.equal(r.error, undefined);
  });

  it('keeps a limit final for WASI: a guest that catches the fuel abort cannot write afterwards', async () => {
    const bytes = await wat(
      `(module
        (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 100) "escaped")
        (func (export "_start")
          (try (do (loop $l (br $l))) (catch_all))
          (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 7))
          (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
          (loop $m (br $m))))`,
      { exceptions: true },
    );
    const r = await run(bytes, { limits: { fuel: 100_000, timeoutMs: 20_000 } });
    assert.equal(r.error?.kind, 'fuel');
    assert.equal(r.stdout.toString(), '');
  });
});

describe('run: invoke', () => {
  it('converts args to the parameter types and returns the results', async () => {
    const m = await compile(await wat(LIBRARY));
    const r = await m.run({ invoke: 'add', invokeArgs: [2, 40n] });
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.returnValues, [42n]);
    const s = await m.run({ invoke: 'add', invokeArgs: ['-5', '9007199254740993'] });
    assert.deepEqual(s.returnValues, [9007199254740988n]);
    const p = await m.run({ invoke: 'pair' });
    assert.deepEqual(p.returnValues, [1, 2]);
  });

  it('rejects wrong argument counts and values as config errors', async () => {
    const m = await compile(await wat(LIBRARY));
    await rejectsWith(m.run({ invoke: 'add', invokeArgs: [1] }), 'config', /--invoke add: takes 2 arguments \(i32, i64\), got 1/);
    await rejectsWith(m.run({ invoke: 'add', invokeArgs: ['x', 1] }), 'config', /argument 1 \("x"\) is not a valid i32/);
    await rejectsWith(m.run({ invoke: 'add', invokeArgs: [1.5, 1] }), 'config', /argument 1 \("1.5"\) is not a valid i32/);
  });

  it('calls a reactor _initialize before the export', async () => {
    const m = await compile(
      await wat(`(module (global $g (mut i32) (i32.const 0)) (memory (export "memory") 1)
        (func (export "_initialize") (global.set $g (i32.const 41)))
        (func (export "get") (result i32) (i32.add (global.get $g) (i32.const 1))))`),
    );
    assert.deepEqual((await m.run({ invoke: 'get' })).returnValues, [42]);
  });
});

describe('run: what the guest is given', () => {
  it('env is exactly what the host passes, nothing inherited', async () => {
    process.env.WARDEN_TEST_SECRET = 'leak';
    try {
      const m = await compile(await wat(dumpStrings('environ')));
      assert.equal((await m.run({ env: { A: '1', B: 'two words' } })).stdout.toString(), 'A=1\0B=two words\0');
      assert.equal((await m.run()).stdout.length, 0);
    } finally {
      delete process.env.WARDEN_TEST_SECRET;
    }
  });

  it('args are argv0 (default main.wasm) then the args', async () => {
    const m = await compile(await wat(dumpStrings('args')));
    assert.equal((await m.run({ args: ['x', 'y z'] })).stdout.toString(), 'main.wasm\0x\0y z\0');
    assert.equal((await m.run({ argv0: 'tool', args: [] })).stdout.toString(), 'tool\0');
  });

  it('stdin from a buffer or a string; empty by default', async () => {
    assert.equal((await run(CAT, { stdin: 'from a string\n' })).stdout.toString(), 'from a string\n');
    assert.equal((await run(CAT, { stdin: Buffer.from([1, 2, 3]) })).stdout.toString('hex'), '010203');
    assert.match((await run(WC)).stdout.toString(), /^ +0 +0 +0\n$/);
  });

  it('stdin from a host fd', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-api-'));
    try {
      writeFileSync(join(dir, 'in.txt'), 'one two\nthree\n');
      const { openSync, closeSync } = await import('node:fs');
      const fd = openSync(join(dir, 'in.txt'), 'r');
      try {
        assert.match((await run(WC, { stdin: { fd } })).stdout.toString(), /^ +2 +3 +14\n$/);
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('streams stdout to a writer instead of buffering it', async () => {
    const chunks: Uint8Array[] = [];
    const r = await run(CAT, { stdin: 'streamed', stdout: { write: (c) => void chunks.push(c) } });
    assert.equal(r.stdout.length, 0);
    assert.equal(Buffer.concat(chunks).toString(), 'streamed');
  });

  it('reads files from a host dir and from an in-memory tree', async () => {
    const host = await run(WC, { args: ['/data/poem.txt'], dirs: [{ host: DATA, guest: '/data', readOnly: true }] });
    assert.equal(host.stdout.toString(), '      7      42     220 /data/poem.txt\n');
    const memory = new MemoryFs().writeFile('notes/a.txt', 'alpha beta\n');
    const mem = await run(WC, { args: ['/m/notes/a.txt'], dirs: [{ memory, guest: '/m' }] });
    assert.equal(mem.stdout.toString(), '      1       2      11 /m/notes/a.txt\n');
  });

  it('passes each WASI call to a trace function', async () => {
    const lines: string[] = [];
    await run(await wat(HELLO), { trace: (l) => void lines.push(l) });
    assert.ok(lines.some((l) => l.includes('fd_write')), lines.join('\n'));
  });

  it('ends the run when stdout passes its cap', async () => {
    const r = await run(CAT, { stdin: 'x'.repeat(5000), limits: { stdoutBytes: 100 } });
    assert.equal(r.exitCode, 134);
    assert.equal(r.error?.kind, 'output-limit');
    assert.ok(r.stdout.length <= 100);
  });
});

describe('run: host misuse rejects', () => {
  it('a missing host dir, before the guest runs', async () => {
    await rejectsWith(run(WC, { dirs: [{ host: '/nonexistent/warden', guest: '/x' }] }), 'host-dir', /^--dir \/nonexistent\/warden: no such directory$/);
    await rejectsWith(run(WC, { dirs: [{ host: join(DATA, 'poem.txt'), guest: '/x' }] }), 'host-dir', /poem\.txt: not a directory$/);
  });

  it('malformed options', async () => {
    await rejectsWith(run(WC, { env: { 'A=B': 'x' } }), 'config', /env name "A=B" must be non-empty and contain no '='/);
    await rejectsWith(run(WC, { args: ['a\0b'] }), 'config', /args\[0\] must not contain a NUL/);
    await rejectsWith(run(WC, { dirs: [{ guest: '/x' }] }), 'config', /dirs\[0\] needs exactly one of host or memory/);
    await rejectsWith(run(WC, { limits: { stdoutBytes: -1 } }), 'config', /limits\.stdoutBytes must be a non-negative integer/);
    await rejectsWith(run(WC, { stdout: 'file' as 'buffer' }), 'config', /stdout must be 'buffer', 'inherit'/);
  });
});

describe('run: start functions and partial output', () => {
  it('a trap in the start section is a trap; proc_exit there is an exit', async () => {
    const trapped = await run(await wat(`(module (memory (export "memory") 1) (start $init)
      (func $init unreachable) (func (export "_start")))`));
    assert.equal(trapped.exitCode, 134);
    assert.match(trapped.error!.message, /^trap: unreachable in func 0 <init> at offset 0x[0-9a-f]+$/);
    const exited = await run(await wat(`(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1) (start $init)
      (func $init (call $exit (i32.const 9))) (func (export "_start") unreachable))`));
    assert.equal(exited.exitCode, 9);
    assert.equal(exited.error, undefined);
  });

  it('keeps the output written before a trap', async () => {
    const r = await run(await wat(HELLO.replace('(i32.const 8)))', '(i32.const 8))) (unreachable)')));
    assert.equal(r.error?.kind, 'trap');
    assert.equal(r.stdout.toString(), 'hello\n');
  });
});

describe('run: a fresh sandbox every time', () => {
  const openFds = (): number => readdirSync('/proc/self/fd').length;

  it('closes every preopen after each run, also after a trap or a refused dir', async () => {
    const trap = await compile(await wat(TRAP));
    await run(WC, { args: ['/d/poem.txt'], dirs: [{ host: DATA, guest: '/d' }] }); // warm up lazy handles
    const before = openFds();
    for (let i = 0; i < 10; i++) {
      await trap.run({ dirs: [{ host: DATA, guest: '/d' }, { host: DATA, guest: '/e', readOnly: true }] });
      await run(WC, { args: ['/d/poem.txt'], dirs: [{ host: DATA, guest: '/d' }] });
      await assert.rejects(run(WC, { dirs: [{ host: DATA, guest: '/d' }, { host: '/nonexistent/w', guest: '/x' }] }));
    }
    assert.equal(openFds(), before);
  });

  it('many runs in one process, mixing failures and successes', async () => {
    const hello = await compile(await wat(HELLO));
    const trap = await compile(await wat(TRAP));
    const results: RunResult[] = [];
    for (let i = 0; i < 20; i++) {
      results.push(await (i % 3 === 0 ? trap : hello).run());
    }
    results.forEach((r, i) => {
      if (i % 3 === 0) assert.equal(r.error?.kind, 'trap');
      else assert.equal(r.stdout.toString(), 'hello\n');
    });
    const wcRuns = await Promise.all([1, 2, 3].map(() => run(WC, { args: ['/d/poem.txt'], dirs: [{ host: DATA, guest: '/d' }] })));
    for (const r of wcRuns) assert.equal(r.stdout.toString(), '      7      42     220 /d/poem.txt\n');
  });
});
