// Worker pool: pooled runs give the same results as in-thread runs; a worker blocked in a host call past
// its deadline is terminated and replaced ('timeout'); AbortSignal cancels queued and running runs; the
// pool keeps working afterwards; options that cannot cross threads are refused.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants as fsc, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, run, MemoryFs, WardenError, type RunOptions, type RunResult } from '../src/index.js';
import { threadNices } from './helpers/threads.js';
import { createWorkerPool, type WorkerPool } from '../src/workers/index.js';
import { comparable } from './api-modules.js';

const load = (p: string): Uint8Array => readFileSync(new URL(`../../${p}`, import.meta.url));
const WC = load('examples/wc.wasm');
const CAT = load('examples/cat.wasm');
const ARGS_ENV = load('test/guests/wasi/args_env.wasm');
const EXIT = load('test/guests/wasi/exit.wasm');
const LOOP = load('test/guests/limits/tight_loop.wasm');
const SLEEPER = load('test/guests/limits/sleeper.wasm');
const FLOOD = load('test/guests/limits/output_flood.wasm');


const CASES: [string, Uint8Array, RunOptions][] = [
  ['wc on stdin', WC, { stdin: 'one two\nthree\n' }],
  ['wc on a host file', WC, { args: ['/data/poem.txt'], dirs: [{ guest: '/data', host: new URL('../../examples/data', import.meta.url).pathname }] }],
  ['args and env', ARGS_ENV, { args: ['a', 'b c'], env: { K: 'v', EMPTY: '' } }],
  ['exit code', EXIT, { args: ['42'] }],
  ['fuel limit', LOOP, { limits: { fuel: 100_000 } }],
  ['invalid module', new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]), {}],
];

/**
 * A FIFO with both ends held open here, neither used: `fd` is its read end ('starved': stdin that never sends) or
 * its blocking write end ('unread': once the pipe buffer is full, a write blocks the writing thread for good, a
 * host call the in-thread deadline cannot reach).
 */
function idlePipe(kind: 'starved' | 'unread'): { fd: number; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-fifo-'));
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', [path]);
  const r = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const w = openSync(path, kind === 'unread' ? fsc.O_WRONLY : fsc.O_WRONLY | fsc.O_NONBLOCK);
  return {
    fd: kind === 'unread' ? w : r,
    close() {
      closeSync(w);
      closeSync(r);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const isKind = (kind: string) => (e: unknown): boolean => {
  assert.ok(e instanceof WardenError, `expected a WardenError, got ${String(e)}`);
  assert.equal(e.kind, kind);
  return true;
};

describe('worker pool', () => {
  let pool: WorkerPool;
  let pipe: ReturnType<typeof idlePipe>;
  before(() => {
    pool = createWorkerPool({ size: 2, graceMs: 100 });
    pipe = idlePipe('starved');
  });
  after(async () => {
    await pool.close();
    pipe.close();
  });

  for (const [name, bytes, options] of CASES) {
    it(`gives the in-thread result: ${name}`, async () => {
      const pooled = await pool.run(bytes, options);
      const local = await run(bytes, options);
      assert.deepEqual(comparable(pooled), comparable(local));
      if (local.error) assert.ok(pooled.error instanceof WardenError);
      assert.ok(Buffer.isBuffer(pooled.stdout));
    });
  }

  it('accepts a CompiledModule and then its digest', async () => {
    const cm = await compile(WC);
    const a = await pool.run(cm, { stdin: 'x' });
    const b = await pool.run(cm.digest, { stdin: 'x' });
    assert.equal(a.stdout.toString(), b.stdout.toString());
    await assert.rejects(pool.run('0'.repeat(64)), isKind('config'));
  });

  it('runs many in parallel, each result its own', async () => {
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.run(EXIT, { args: [String(i)] })));
    assert.deepEqual(rs.map((r) => r.exitCode), Array.from({ length: 40 }, (_, i) => i));
  });

  it('a sleep past the deadline ends with the in-thread timeout, no worker replaced', async () => {
    const before = pool.replaced;
    const r = await pool.run(SLEEPER, { limits: { timeoutMs: 50 } });
    assert.equal(r.error?.kind, 'timeout');
    assert.equal(r.exitCode, 134);
    assert.equal(pool.replaced, before);
  });

  it('a read from a stdin pipe that never sends ends with the in-thread timeout, no worker replaced', async () => {
    const before = pool.replaced;
    const r = await pool.run(CAT, { stdin: { fd: pipe.fd }, limits: { timeoutMs: 50 } });
    assert.equal(r.error?.kind, 'timeout');
    assert.equal(pool.replaced, before);
  });

  it('terminates and replaces a worker blocked in a host call past its deadline', async () => {
    const before = pool.replaced;
    const out = idlePipe('unread');
    let r: RunResult;
    try {
      r = await pool.run(FLOOD, { stdout: { fd: out.fd }, limits: { timeoutMs: 50 } });
    } finally {
      out.close();
    }
    assert.equal(r.exitCode, 134);
    assert.ok(r.error instanceof WardenError);
    assert.equal(r.error.kind, 'timeout');
    assert.equal(pool.replaced, before + 1);
    const after = await Promise.all([pool.run(WC, { stdin: 'a b' }), pool.run(WC, { stdin: 'a b' })]);
    for (const x of after) assert.equal(x.stdout.toString(), (await run(WC, { stdin: 'a b' })).stdout.toString());
  });

  it('cancels a running run (worker replaced) and a queued one', async () => {
    const small = createWorkerPool({ size: 1 });
    try {
      const c1 = new AbortController();
      const c2 = new AbortController();
      const running = small.run(CAT, { stdin: { fd: pipe.fd }, signal: c1.signal });
      const queued = small.run(WC, { stdin: 'q', signal: c2.signal });
      assert.equal(small.queued, 1);
      c2.abort();
      await assert.rejects(queued, isKind('cancelled'));
      assert.equal(small.queued, 0);
      assert.equal(small.replaced, 0);
      setTimeout(() => c1.abort(), 30);
      await assert.rejects(running, isKind('cancelled'));
      assert.equal(small.replaced, 1);
      await assert.rejects(small.run(WC, { signal: AbortSignal.abort() }), isKind('cancelled'));
      const r = await small.run(WC, { stdin: 'still works' });
      assert.equal(r.exitCode, 0);
      assert.match(r.stdout.toString(), /2/);
    } finally {
      await small.close();
    }
  });

  it('writes to a host fd given as stdout from the worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-pool-out-'));
    const fd = openSync(join(dir, 'out'), 'w');
    try {
      const r = await pool.run(WC, { stdin: 'a b c', stdout: { fd } });
      assert.equal(r.exitCode, 0);
      closeSync(fd);
      assert.equal(readFileSync(join(dir, 'out'), 'utf8'), (await run(WC, { stdin: 'a b c' })).stdout.toString());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs its threads at the niceness asked for (Linux), and refuses a bad one', { skip: process.platform !== 'linux' && 'thread niceness is Linux-only' }, async () => {
    const before = threadNices();
    const niced = createWorkerPool({ size: 2, niceness: 7 });
    try {
      assert.equal((await niced.run(LOOP, { limits: { fuel: 1000 } })).error?.kind, 'fuel'); // both threads started meanwhile or soon
      await Promise.all([niced.run(WC, { stdin: 'a' }), niced.run(WC, { stdin: 'b' })]);
      const added = [...threadNices()].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
      assert.equal(added.filter((n) => n === 7).length, 2, `new threads' nice values: ${added.join(', ')}`);
      assert.equal(process.getuid ? threadNices().get(String(process.pid)) : 0, 0, 'the main thread keeps its priority');
    } finally {
      await niced.close();
    }
    assert.throws(() => createWorkerPool({ niceness: 20 }), isKind('config'));
    assert.throws(() => createWorkerPool({ niceness: -1 }), isKind('config'));
  });

  it('refuses what cannot cross threads, and a full queue', async () => {
    await assert.rejects(pool.run(WC, { stdout: { write() {} } }), isKind('config'));
    await assert.rejects(pool.run(WC, { trace: () => {} }), isKind('config'));
    await assert.rejects(pool.run(WC, { dirs: [{ guest: '/m', memory: new MemoryFs() }] }), isKind('config'));
    await assert.rejects(pool.run(WC, { args: [1 as unknown as string] }), isKind('config'));
    const tiny = createWorkerPool({ size: 1, maxQueue: 0 });
    try {
      const first = tiny.run(WC, { stdin: 'x' });
      await assert.rejects(tiny.run(WC), isKind('busy'));
      assert.equal((await first).exitCode, 0);
    } finally {
      await tiny.close();
    }
  });

  it('close() rejects queued runs and lets running ones finish', async () => {
    const p = createWorkerPool({ size: 1 });
    const a = p.run(WC, { stdin: 'a' });
    const b = p.run(WC, { stdin: 'b' });
    const closed = p.close();
    await assert.rejects(b, isKind('cancelled'));
    assert.equal((await a).exitCode, 0);
    await closed;
    await assert.rejects(p.run(WC), isKind('cancelled'));
  });
});
