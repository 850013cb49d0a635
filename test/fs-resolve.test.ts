// Resolver escape tests against every backend: absolute paths, `..`, symlink chains and loops,
// trailing slashes, budgets and limits; the outside tree is checked unchanged after each.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, WasiError } from '../src/wasi/errno.js';
import { resolve, ESCAPE_ERRNO, SYMLINK_BUDGET, PATH_MAX } from '../src/fs/resolve.js';
import { FileType, type DirNode } from '../src/fs/types.js';
import { type World, CREATE, backends, openFdCount, readAll, throwsErrno } from './fs-helpers.js';

/** Resolves `path` (following the final link) and reads the file or lists the directory. */
function read(root: DirNode, path: string, followFinal = true): string {
  const r = resolve(root, path, { followFinal });
  try {
    if (r.name === '.') return `dir:${r.dir.readdir().map((e) => e.name).sort().join(',')}`;
    const st = r.dir.lstatChild(r.name);
    if (st.filetype === FileType.DIRECTORY) {
      const d = r.dir.openDirChild(r.name);
      try {
        return `dir:${d.readdir().map((e) => e.name).sort().join(',')}`;
      } finally {
        d.close();
      }
    }
    if (st.filetype === FileType.SYMBOLIC_LINK) return `link:${r.dir.readlinkChild(r.name)}`;
    if (r.trailingSlash) throwsNotDir(); // what a reading caller does with "file/"
    return readAll(r.dir, r.name);
  } finally {
    r.release();
  }
}

function throwsNotDir(): never {
  throw new WasiError(Errno.NOTDIR, 'not a directory');
}

/** Resolves `path` and creates a file there (the write-side escape attempt). */
function create(root: DirNode, path: string): void {
  const r = resolve(root, path, { followFinal: true });
  try {
    r.dir.openFileChild(r.name, CREATE).close();
  } finally {
    r.release();
  }
}

function chain(n: number, end: string): Record<string, { link: string }> {
  const t: Record<string, { link: string }> = {};
  for (let i = 0; i < n; i++) t[`c${i}`] = { link: i === n - 1 ? end : `c${i + 1}` };
  return t;
}

for (const backend of backends) {
  describe(`resolve beneath a ${backend.name} preopen`, () => {
    let w: World;
    let before: string;
    let fds: number;
    beforeEach(() => {
      fds = openFdCount();
      w = backend.make();
      w.build({
        file: 'inside',
        sub: { deep: { f: 'deep-inside' }, up: { link: '..' }, upup: { link: '../..' } },
        rel: { link: 'sub/deep/f' },
        dirlink: { link: 'sub/deep' },
        filelink: { link: 'file' },
        dotdot: { link: '..' },
        escape: { link: '../outside/secret' },
        escapedir: { link: '../outside' },
        sneaky: { link: 'sub/../../outside/secret' },
        hop1: { link: 'sub/upup' },
        loop: { link: 'loop' },
        ping: { link: 'pong' },
        pong: { link: 'ping' },
        trail: { link: 'sub/' },
        trailfile: { link: 'file/' },
        ...chain(SYMLINK_BUDGET + 1, 'file'),
      });
      w.build({ abs: { link: w.outsideAbs('secret') }, absdir: { link: w.outsideAbs('dir') }, absroot: { link: '/' } });
      before = w.outside();
    });
    afterEach(() => {
      assert.equal(w.outside(), before, 'the outside tree changed');
      w.cleanup();
      assert.equal(openFdCount(), fds, 'host fds leaked');
    });

    it('resolves ordinary paths, links and dot components inside', () => {
      const cases: [string, string][] = [
        ['file', 'inside'],
        ['./file', 'inside'],
        ['sub/deep/f', 'deep-inside'],
        ['sub/../file', 'inside'],
        ['sub/deep/../../file', 'inside'],
        ['rel', 'deep-inside'],
        ['dirlink/f', 'deep-inside'],
        ['sub/up/file', 'inside'],
        ['sub/up/sub/up/sub/deep/f', 'deep-inside'],
        ['sub/deep/.', 'dir:f'],
        ['sub/deep/', 'dir:f'],
        ['.', 'dir:' + w.root.readdir().map((e) => e.name).sort().join(',')],
        ['sub/..', 'dir:' + w.root.readdir().map((e) => e.name).sort().join(',')],
        ['trail', 'dir:deep,up,upup'],
        ['c1', 'inside'], // a chain of exactly SYMLINK_BUDGET links
      ];
      for (const [p, want] of cases) assert.equal(read(w.root, p), want, p);
      assert.equal(read(w.root, 'rel', false), 'link:sub/deep/f', 'final link not followed');
      assert.equal(read(w.root, 'dirlink/', false), 'dir:f', 'a trailing slash forces following');
    });

    it('refuses every way out with the escape errno', () => {
      const escapes = [
        '/', '/etc/passwd', '//file', '..', '../', '../outside/secret', 'sub/../..', 'sub/deep/../../../outside',
        './../outside', 'sub/upup/outside/secret', 'dotdot/outside/secret', 'dotdot', 'escape', 'escapedir/secret',
        'sneaky', 'hop1/outside/secret', 'abs', 'absdir/deep', 'absroot', 'absroot/etc/passwd', 'sub/up/..',
        'sub/up/sub/up/..',
      ];
      for (const p of escapes) {
        throwsErrno(() => read(w.root, p), ESCAPE_ERRNO, `read ${p}`);
        const under = `${p.replace(/\/+$/, '')}/pwned`;
        throwsErrno(() => create(w.root, under), ESCAPE_ERRNO, `create ${under}`);
      }
      for (const p of ['escape', 'abs', 'sneaky']) throwsErrno(() => create(w.root, p), ESCAPE_ERRNO, `create via ${p}`);
      assert.equal(read(w.root, 'abs', false), `link:${w.outsideAbs('secret')}`, 'an unfollowed final link is only named');
    });

    it('stops symlink loops and over-long chains with ELOOP', () => {
      for (const p of ['loop', 'loop/x', 'ping', 'pong/x', 'c0', 'c0/'])
        throwsErrno(() => read(w.root, p), Errno.LOOP, p);
    });

    it('gives ENOTDIR for non-directories used as directories', () => {
      for (const p of ['file/', 'file/x', 'file/.', 'file/..', 'filelink/', 'filelink/x', 'trailfile', 'sub/deep/f/'])
        throwsErrno(() => read(w.root, p), Errno.NOTDIR, p);
      const r = resolve(w.root, 'file/', { followFinal: false });
      assert.deepEqual([r.dir, r.name, r.trailingSlash], [w.root, 'file', true], 'the caller decides for "file/"');
      r.release();
    });

    it('handles empty, NUL, missing and over-long paths as wasmtime does', () => {
      throwsErrno(() => read(w.root, ''), Errno.NOENT, 'empty');
      throwsErrno(() => read(w.root, 'fi\0le'), Errno.INVAL, 'NUL');
      throwsErrno(() => read(w.root, 'missing/x'), Errno.NOENT, 'missing dir');
      throwsErrno(() => read(w.root, 'missing'), Errno.NOENT, 'missing file');
      const r = resolve(w.root, 'missing/', { followFinal: false });
      assert.equal(r.name, 'missing');
      assert.equal(r.trailingSlash, true);
      r.release();
      const long = './'.repeat((PATH_MAX - 4) / 2) + 'file';
      throwsErrno(() => read(w.root, long), Errno.NAMETOOLONG, `${long.length}-byte path`);
      assert.equal(read(w.root, long.slice(2)), 'inside', `${long.length - 2}-byte path`);
    });

    it('releases exactly the directories it opened', () => {
      const r = resolve(w.root, 'sub/deep/f', { followFinal: true });
      assert.notEqual(r.dir, w.root);
      r.release();
      r.release();
      throwsErrno(() => r.dir.readdir(), Errno.BADF, 'released dir is closed');
      const top = resolve(w.root, 'file', { followFinal: true });
      assert.equal(top.dir, w.root);
      top.release();
      assert.equal(read(w.root, 'file'), 'inside', 'the root stays open');
    });
  });
}

