// Host directory backend: the shared conformance suite, plus races: a directory swapped for a
// symlink to the outside, a directory moved out and back, and the preopen itself moved, while
// paths are resolved concurrently. Nothing outside may ever be read or written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Errno, WasiError } from '../src/wasi/errno.js';
import { openHostDir } from '../src/fs/host.js';
import { resolve } from '../src/fs/resolve.js';
import { FileType, type DirNode } from '../src/fs/types.js';
import { conformance } from './fs-suite.js';
import { CREATE, R, W, hostBackend, openFdCount, readAll, throwsErrno } from './fs-helpers.js';

conformance(hostBackend);

const ITERATIONS = 3000;

/** Worker body: runs `steps` (renames/symlinks, by relative path under `base`) in a loop until told to stop. */
const SWAPPER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const flag = new Int32Array(workerData.flag);
const p = (r) => workerData.base + '/' + r;
let rounds = 0, errors = 0;
parentPort.postMessage('ready');
while (Atomics.load(flag, 0) === 0) {
  for (const [from, to] of workerData.steps) {
    try { fs.renameSync(p(from), p(to)); } catch { errors++; }
  }
  rounds++;
}
parentPort.postMessage({ rounds, errors });
`;

/** Runs `body` while a worker thread keeps applying `steps` (pairs of renames) under `base`. */
async function whileSwapping(base: string, steps: [string, string][], body: () => void): Promise<number> {
  const flag = new SharedArrayBuffer(4);
  const worker = new Worker(SWAPPER, { eval: true, workerData: { base, steps, flag } });
  const [ready] = await once(worker, 'message');
  assert.equal(ready, 'ready');
  const done = once(worker, 'message');
  try {
    body();
  } finally {
    Atomics.store(new Int32Array(flag), 0, 1);
  }
  const [{ rounds }] = (await done) as [{ rounds: number }];
  await once(worker, 'exit');
  return rounds;
}

function tree(): { base: string; root: string; outside: string; snap: () => string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-race-'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'a'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'a', 'secret'), 'INSIDE');
  fs.writeFileSync(path.join(outside, 'secret'), 'OUTSIDE');
  fs.writeFileSync(path.join(base, 'secret'), 'OUTSIDE-BASE');
  const snap = () => {
    const list = (d: string): string[] =>
      fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(d, e.name);
        if (p === root || p.startsWith(`${root}/`)) return []; // only the outside matters
        if (e.isDirectory()) return [`${p}/`, ...list(p)];
        return [e.isSymbolicLink() ? `${p} -> ${fs.readlinkSync(p)}` : `${p} = ${fs.readFileSync(p, 'utf8')}`];
      });
    return list(base).sort().join('\n');
  };
  return { base, root, outside, snap };
}

/** Attempts a read and a create through `rel`; returns what was read (or the errno). */
function attempt(dir: DirNode, read: string, create: string): string {
  let out: string;
  try {
    const r = resolve(dir, read, { followFinal: true });
    try {
      out = readAll(r.dir, r.name);
    } finally {
      r.release();
    }
  } catch (e) {
    if (!(e instanceof WasiError)) throw e; // never a raw host error
    out = `errno ${e.errno}`;
  }
  try {
    const r = resolve(dir, create, { followFinal: true });
    try {
      r.dir.openFileChild(r.name, CREATE).close();
    } finally {
      r.release();
    }
  } catch (e) {
    if (!(e instanceof WasiError)) throw e;
  }
  return out;
}

describe('host backend under concurrent changes', () => {
  for (const [label, target] of [
    ['an absolute symlink', (t: ReturnType<typeof tree>) => t.outside],
    ['a relative symlink', () => '../outside'],
  ] as const) {
    it(`never escapes while a/ is swapped with ${label} to the outside`, async () => {
      const t = tree();
      fs.symlinkSync(target(t), path.join(t.root, 'a.link'));
      const before = t.snap();
      const fds = openFdCount();
      const root = openHostDir(t.root);
      const seen = new Map<string, number>();
      const rounds = await whileSwapping(t.base, [['root/a', 'root/a.dir'], ['root/a.link', 'root/a'], ['root/a', 'root/a.link'], ['root/a.dir', 'root/a']], () => {
        for (let i = 0; i < ITERATIONS; i++) {
          const got = attempt(root, 'a/secret', `a/pwned${i % 7}`);
          seen.set(got, (seen.get(got) ?? 0) + 1);
        }
      });
      root.close();
      if (process.env.WARDEN_RACE_DEBUG) console.log(label, rounds, [...seen]);
      assert.ok(rounds > 0, 'the swapper ran');
      assert.ok(!seen.has('OUTSIDE'), `read outside: ${JSON.stringify([...seen])}`);
      for (const k of seen.keys()) assert.match(k, /^(INSIDE|errno \d+)$/);
      assert.equal(t.snap(), before, 'the outside changed');
      assert.equal(openFdCount(), fds, 'fds leaked');
      fs.rmSync(t.base, { recursive: true, force: true });
    });
  }

  it('never follows a final file swapped with a symlink to the outside', async () => {
    const t = tree();
    fs.writeFileSync(path.join(t.root, 's'), 'INSIDE');
    fs.symlinkSync(path.join(t.outside, 'secret'), path.join(t.root, 's.link'));
    const before = t.snap();
    const root = openHostDir(t.root);
    const seen = new Set<string>();
    const rounds = await whileSwapping(t.base, [['root/s', 'root/s.file'], ['root/s.link', 'root/s'], ['root/s', 'root/s.link'], ['root/s.file', 'root/s']], () => {
      for (let i = 0; i < ITERATIONS; i++) seen.add(attempt(root, 's', 's'));
    });
    root.close();
    assert.ok(rounds > 0);
    // '' is a file the create attempt made inside while `s` was renamed away.
    for (const k of seen) assert.match(k, /^(INSIDE|errno \d+|)$/, 'read something outside');
    assert.equal(t.snap(), before, 'the outside changed');
    fs.rmSync(t.base, { recursive: true, force: true });
  });

  it('never reaches outside through `..` of a directory moved out mid-walk', async () => {
    const t = tree();
    fs.mkdirSync(path.join(t.root, 'a', 'b'));
    fs.writeFileSync(path.join(t.root, 'inside'), 'INSIDE');
    const before = t.snap();
    const root = openHostDir(t.root);
    const seen = new Set<string>();
    // b goes outside and comes back; `..` of a held b must still be a, then root.
    const rounds = await whileSwapping(t.base, [['root/a/b', 'outside/b'], ['outside/b', 'root/a/b']], () => {
      for (let i = 0; i < ITERATIONS; i++) {
        seen.add(attempt(root, 'a/b/../../inside', 'a/b/../../made'));
        seen.add(attempt(root, 'a/b/../../../secret', 'a/b/../../../pwned'));
      }
    });
    root.close();
    assert.ok(rounds > 0);
    for (const k of seen) assert.match(k, /^(INSIDE|errno \d+)$/, 'read something outside');
    if (fs.existsSync(path.join(t.outside, 'b'))) fs.renameSync(path.join(t.outside, 'b'), path.join(t.root, 'a', 'b'));
    assert.equal(t.snap(), before, 'the outside changed');
    fs.rmSync(t.base, { recursive: true, force: true });
  });

  it('keeps the held preopen when its host path is renamed and replaced by a symlink', () => {
    const t = tree();
    const root = openHostDir(t.root);
    fs.renameSync(t.root, path.join(t.base, 'moved'));
    fs.symlinkSync(t.outside, t.root);
    assert.equal(attempt(root, 'a/secret', 'created'), 'INSIDE');
    assert.ok(fs.existsSync(path.join(t.base, 'moved', 'created')), 'writes land in the held directory');
    assert.ok(!fs.existsSync(path.join(t.outside, 'created')));
    assert.match(attempt(root, 'secret', 'x/y'), /^errno /, 'the outside secret is not visible');
    root.close();
    fs.rmSync(t.base, { recursive: true, force: true });
  });
});

describe('host special files', () => {
  it('reports FIFOs and sockets as unknown (as wasmtime) and opens a FIFO without blocking', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-special-'));
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(base, 'fifo')]);
    const net = await import('node:net');
    const server = net.createServer();
    await new Promise<void>((ok) => server.listen(path.join(base, 'sock'), ok));
    const root = openHostDir(base);
    try {
      assert.equal(root.lstatChild('fifo').filetype, FileType.UNKNOWN);
      assert.equal(root.lstatChild('sock').filetype, FileType.UNKNOWN);
      const byName = new Map(root.readdir().map((e) => [e.name, e.filetype]));
      assert.equal(byName.get('fifo'), FileType.UNKNOWN);
      const f = root.openFileChild('fifo', R); // no writer: a blocking open would hang here
      throwsErrno(() => f.pread(new Uint8Array(4), 0n), Errno.SPIPE, 'pread on a FIFO');
      f.close();
      throwsErrno(() => root.openFileChild('fifo', W), Errno.NXIO, 'write-open of a FIFO without reader');
    } finally {
      root.close();
      server.close();
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('host readdir', () => {
  it('reads inode numbers lazily: vanished entries and closed dirs give 0, never another fd', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-readdir-'));
    for (const n of ['a', 'b', 'c']) fs.writeFileSync(path.join(base, n), n);
    const root = openHostDir(base);
    try {
      const entries = new Map(root.readdir().map((e) => [e.name, e]));
      assert.equal(entries.get('a')!.ino, fs.lstatSync(path.join(base, 'a'), { bigint: true }).ino);
      assert.equal(entries.get('a')!.filetype, FileType.REGULAR_FILE);
      fs.unlinkSync(path.join(base, 'b'));
      assert.equal(entries.get('b')!.ino, 0n, 'vanished');
      const again = root.readdir();
      root.close();
      assert.equal(again.find((e) => e.name === 'c')!.ino, 0n, 'the directory was closed');
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
