// Regression tests for divergences from wasmtime 49 found by external WASI conformance programs
// (wasi-testsuite, wasmtime's preview1 test programs, raw-call probes); every errno is wasmtime's.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, errnoName } from '../src/wasi/errno.js';
import { hostBackend, memoryBackend, snapshot, type Tree, type World } from './fs-helpers.js';
import { FD_READ, FD_WRITE, Guest, preopen } from './wasi-harness.js';

/** The trailing-slash probe's tree: a file, a dir, links to both, a dangling link, a spare file. */
const TREE: Tree = {
  file: 'F',
  dir: {},
  lfile: { link: 'file' },
  ldir: { link: 'dir' },
  dangling: { link: 'nowhere' },
  tmpf: 'T',
};
const BASE = ['dangling -> nowhere', 'dir/', 'file = F (nlink 1)', 'ldir -> dir', 'lfile -> file', 'tmpf = T (nlink 1)'];

const O = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 };
const RIGHTS_FD_WRITE_BIT = FD_WRITE;

type Run = (g: Guest) => number;
/** label, call, wasmtime's errno, and the tree afterwards (default: unchanged). */
type Case = [label: string, run: Run, expected: number, tree?: string[]];

const str = (g: Guest, s: string) => g.put(s);
const mkdir: (p: string) => Run = (p) => (g) => g.pathCall('path_create_directory', 3, p);
const rename = (a: string, b: string): Run => (g) => g.call('path_rename', 3, ...str(g, a), 3, ...str(g, b));
const symlink = (t: string, n: string): Run => (g) => g.call('path_symlink', ...str(g, t), 3, ...str(g, n));
const link = (a: string, b: string): Run => (g) => g.call('path_link', 3, 0, ...str(g, a), 3, ...str(g, b));
const readlink = (p: string): Run => (g) => g.call('path_readlink', 3, ...str(g, p), g.alloc(64), 64, g.alloc(4));
const setTimes = (p: string, flags: number): Run => (g) => g.call('path_filestat_set_times', 3, 0, ...str(g, p), 5n, 5n, flags);
const open = (p: string, oflags: number, rights = FD_WRITE, follow = true): Run => (g) => g.open(3, p, { oflags, rights, follow })[0];
const without = (...names: string[]) => BASE.filter((l) => !names.some((n) => l.startsWith(`${n} `) || l === `${n}/`));

const CASES: Case[] = [
  // path_symlink / path_link onto "x/": missing ENOENT, not a directory ENOTDIR, a directory EEXIST.
  ['symlink x -> file/', symlink('x', 'file/'), Errno.NOTDIR],
  ['symlink x -> file//', symlink('x', 'file//'), Errno.NOTDIR],
  ['symlink x -> lfile/', symlink('x', 'lfile/'), Errno.NOTDIR],
  ['symlink x -> missing/', symlink('x', 'missing/'), Errno.NOENT],
  ['symlink x -> dangling/', symlink('x', 'dangling/'), Errno.NOENT],
  ['symlink x -> dir/', symlink('x', 'dir/'), Errno.EXIST],
  ['symlink x -> ldir/', symlink('x', 'ldir/'), Errno.EXIST],
  ['link file -> file/', link('file', 'file/'), Errno.NOTDIR],
  ['link file -> lfile/', link('file', 'lfile/'), Errno.NOTDIR],
  ['link file -> dir/', link('file', 'dir/'), Errno.EXIST],
  // mkdir and rename act on the final name itself, never through a symlink named "x/".
  ['mkdir dangling/', mkdir('dangling/'), Errno.EXIST],
  ['mkdir ldir/', mkdir('ldir/'), Errno.EXIST],
  ['mkdir missing/', mkdir('missing/'), 0, [...BASE, 'missing/'].sort()],
  ['rename ldir/ -> renamed', rename('ldir/', 'renamed'), Errno.NOTDIR],
  ['rename dangling/ -> renamed', rename('dangling/', 'renamed'), Errno.NOTDIR],
  ['rename dir/ -> renamed', rename('dir/', 'renamed'), 0, [...without('dir'), 'renamed/'].sort()],
  ['rename dir -> dangling/', rename('dir', 'dangling/'), Errno.NOTDIR],
  ['rename dir -> ldir/', rename('dir', 'ldir/'), Errno.NOTDIR],
  ['rename tmpf -> dangling/', rename('tmpf', 'dangling/'), 0, [...without('tmpf', 'dangling'), 'dangling = T (nlink 1)'].sort()],
  ['rename tmpf -> lfile/', rename('tmpf', 'lfile/'), 0, [...without('tmpf', 'lfile'), 'lfile = T (nlink 1)'].sort()],
  ['rename tmpf -> ldir/', rename('tmpf', 'ldir/'), 0, [...without('tmpf', 'ldir'), 'ldir = T (nlink 1)'].sort()],
  ['rename tmpf -> file/', rename('tmpf', 'file/'), 0, [...without('tmpf', 'file'), 'file = T (nlink 1)'].sort()],
  ['rename tmpf -> dir/', rename('tmpf', 'dir/'), Errno.ISDIR],
  // readlink / set_times on "x/" where x is not a directory: ENOTDIR (times untouched).
  ['readlink file/', readlink('file/'), Errno.NOTDIR],
  ['readlink lfile/', readlink('lfile/'), Errno.NOTDIR],
  ['readlink ldir/', readlink('ldir/'), Errno.INVAL],
  ['set_times file/', setTimes('file/', 0), Errno.NOTDIR],
  ['set_times lfile/ atim|mtim', setTimes('lfile/', 1 | 4), Errno.NOTDIR],
  ['set_times dir/', setTimes('dir/', 0), 0],
  // path_open CREAT with a trailing slash: EISDIR whatever the name is.
  ['open file/ CREAT', open('file/', O.CREAT), Errno.ISDIR],
  ['open lfile/ CREAT|EXCL', open('lfile/', O.CREAT | O.EXCL), Errno.ISDIR],
  ['open dir/ CREAT|EXCL', open('dir/', O.CREAT | O.EXCL), Errno.ISDIR],
  ['open ldir/ CREAT|EXCL', open('ldir/', O.CREAT | O.EXCL), Errno.ISDIR],
  ['open missing/ CREAT', open('missing/', O.CREAT), Errno.ISDIR],
  ['open file/ TRUNC (no follow)', open('file/', O.TRUNC, FD_WRITE, false), Errno.NOTDIR],
  // DIRECTORY|EXCL without CREAT: EINVAL for every target.
  ...['file', 'dir', 'ldir', 'dangling', 'missing', '.'].map((p): Case => [`open ${p} DIRECTORY|EXCL`, open(p, O.DIRECTORY | O.EXCL, FD_READ), Errno.INVAL]),
];

/** CREAT or TRUNC without FD_WRITE: the fd is writable anyway (fdstat has FD_WRITE, fd_write works). */
function writableCase(g: Guest, path: string, oflags: number, rights: bigint): void {
  const [e, fd] = g.open(3, path, { oflags, rights, follow: false });
  assert.equal(errnoName(e), errnoName(0));
  const st = g.alloc(24);
  assert.equal(g.call('fd_fdstat_get', fd, st), 0);
  assert.notEqual(g.u64(st + 8) & RIGHTS_FD_WRITE_BIT, 0n, `${path}: fs_rights_base lacks FD_WRITE`);
  assert.deepEqual(g.write(fd, 'xyz'), [0, 3]);
  assert.equal(g.call('fd_close', fd), 0);
}

for (const backend of [memoryBackend, hostBackend]) {
  describe(`external conformance regressions (${backend.name} backend)`, () => {
    const worlds: World[] = [];
    after(() => worlds.forEach((w) => w.cleanup()));
    const world = (): [World, Guest] => {
      const w = backend.make();
      worlds.push(w);
      w.build(TREE);
      return [w, new Guest({ preopens: [preopen(w.root)] })];
    };

    for (const [label, run, expected, tree] of CASES) {
      it(`${label} -> ${errnoName(expected)}`, () => {
        const [w, g] = world();
        const outside = w.outside();
        assert.equal(errnoName(run(g)), errnoName(expected));
        assert.deepEqual(snapshot(w.root), tree ?? BASE);
        g.ctx.close();
        assert.equal(w.outside(), outside);
      });
    }

    it('path_open with CREAT or TRUNC but no FD_WRITE right gives a writable fd', () => {
      const [w, g] = world();
      writableCase(g, 'new1', O.CREAT, 0n);
      writableCase(g, 'new2', O.CREAT | O.EXCL, FD_READ);
      writableCase(g, 'file', O.TRUNC, 0n);
      writableCase(g, 'tmpf', O.CREAT | O.TRUNC, FD_READ);
      assert.deepEqual(snapshot(w.root).filter((l) => /^(new|file|tmpf)/.test(l)), [
        'file = xyz (nlink 1)', 'new1 = xyz (nlink 1)', 'new2 = xyz (nlink 1)', 'tmpf = xyz (nlink 1)',
      ]);
      // Without CREAT/TRUNC a read-only request stays read-only.
      const [e, fd] = g.open(3, 'file', { rights: FD_READ });
      assert.equal(e, 0);
      assert.equal(errnoName(g.write(fd, 'q')[0]), errnoName(Errno.BADF));
      g.ctx.close();
    });

    it('fd_filestat_set_times: bad flags on a closed fd are EINVAL, valid flags EBADF', () => {
      const [, g] = world();
      assert.equal(errnoName(g.call('fd_filestat_set_times', 99, 0n, 0n, 1 | 2)), errnoName(Errno.INVAL));
      assert.equal(errnoName(g.call('fd_filestat_set_times', 99, 0n, 0n, 2)), errnoName(Errno.BADF));
      g.ctx.close();
    });

    it('set times come back exact to the µs (host) or ns (memory); an untouched atime keeps its µs', () => {
      const [, g] = world();
      const [e, fd] = g.open(3, 'file', { rights: FD_READ | FD_WRITE });
      assert.equal(e, 0);
      const st = g.alloc(64);
      const times = (): [bigint, bigint] => {
        assert.equal(g.call('fd_filestat_get', fd, st), 0);
        return [g.u64(st + 40), g.u64(st + 48)];
      };
      // Host: whole µs; where libuv keeps ns (Node 24) the read-back may sit up to one double ulp
      // (< 1 µs) above it, so the host side compares whole µs.
      const exact = (ns: bigint) => (backend === hostBackend ? ns - (ns % 1000n) : ns);
      let seed = 12345n;
      for (let i = 0; i < 200; i++) {
        seed = (seed * 6364136223846793005n + 1442695040888963407n) % (1n << 64n);
        const ns = 1_000_000_000_000_000_000n + (seed % 1_000_000_000_000_000_000n); // 2001..2033
        const [atimBefore] = times();
        assert.equal(g.call('fd_filestat_set_times', fd, 0n, ns, 4), 0); // MTIM only
        const [atim, mtim] = times();
        assert.equal(exact(mtim), exact(ns), `mtim set to ${ns}`);
        assert.equal(atim / 1000n, atimBefore / 1000n, `atime µs kept when setting mtim ${ns}`);
        assert.equal(g.call('fd_filestat_set_times', fd, ns + 7n, 0n, 1), 0); // ATIM only
        assert.equal(exact(times()[0]), exact(ns + 7n), `atim set to ${ns + 7n}`);
      }
      g.ctx.close();
    });

    it('poll_oneoff: wrong-direction stdio fails the whole call with EBADF; a write-only file is read-ready', () => {
      const [, g] = world();
      const subs = g.alloc(48 * 2);
      const evs = g.alloc(32 * 2);
      const n = g.alloc(4);
      const sub = (i: number, tag: number, fd: number) => {
        g.dv.setBigUint64(subs + i * 48, BigInt(i + 1), true);
        g.dv.setUint8(subs + i * 48 + 8, tag);
        g.dv.setUint32(subs + i * 48 + 16, fd, true);
      };
      const READ = 1;
      const WRITE = 2;
      for (const [tag, fd, errno] of [[WRITE, 0, Errno.BADF], [READ, 1, Errno.BADF], [READ, 2, Errno.BADF], [READ, 0, 0], [WRITE, 1, 0]] as const) {
        sub(0, tag, fd);
        sub(1, WRITE, 2); // a valid one beside it: the whole call still fails
        assert.equal(errnoName(g.call('poll_oneoff', subs, evs, 2, n)), errnoName(errno), `tag ${tag} on fd ${fd}`);
      }
      const [e, wo] = g.open(3, 'file', { rights: FD_WRITE });
      assert.equal(e, 0);
      sub(0, READ, wo);
      assert.equal(g.call('poll_oneoff', subs, evs, 1, n), 0);
      assert.deepEqual([g.u32(n), g.u64(evs), g.u8[evs + 10], g.dv.getUint16(evs + 8, true)], [1, 1n, READ, 0]);
      g.ctx.close();
    });
  });
}
