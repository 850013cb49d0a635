// The backend conformance suite: one set of behaviours (POSIX/Linux semantics, wasmtime errnos)
// that every filesystem backend must show. fs-host.test.ts and fs-memory.test.ts run it.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Errno } from '../src/wasi/errno.js';
import { FileType, type DirNode } from '../src/fs/types.js';
import { type Backend, type World, CREATE, R, W, readAll, snapshot, throwsErrno, writeAll } from './fs-helpers.js';

const SEC = 1_000_000_000n;

export function conformance(backend: Backend): void {
  describe(`${backend.name} backend conformance`, () => {
    let w: World;
    let root: DirNode;
    let before: string;
    beforeEach(() => {
      w = backend.make();
      root = w.root;
      w.build({ f: 'hello', d: { inner: 'x' }, empty: {}, l: { link: 'f' }, ld: { link: 'd' }, dang: { link: 'nosuch' } });
      before = w.outside();
    });
    afterEach(() => {
      assert.equal(w.outside(), before, 'the outside tree changed');
      w.cleanup();
    });

    it('writes, reads and stats regular files', () => {
      writeAll(root, 'new', 'abc');
      assert.equal(readAll(root, 'new'), 'abc');
      const st = root.lstatChild('new');
      assert.equal(st.filetype, FileType.REGULAR_FILE);
      assert.equal(st.size, 3n);
      assert.equal(st.nlink, 1n);
      const f = root.openFileChild('new', W);
      assert.equal(f.stat().ino, st.ino);
      assert.equal(f.pwrite(Buffer.from('Z'), 5n), 1);
      f.close();
      assert.equal(readAll(root, 'new'), 'abc\0\0Z', 'a hole reads as zeros');
    });

    it('reads past EOF as 0 bytes and guards huge positions', () => {
      const f = root.openFileChild('f', { ...W, read: true });
      const b = new Uint8Array(10);
      assert.equal(f.pread(b, 5n), 0);
      assert.equal(f.pread(b, 1n << 60n), 0);
      assert.equal(f.pread(new Uint8Array(0), 0n), 0);
      throwsErrno(() => f.pread(b, 1n << 63n), Errno.INVAL, 'pread at 2^63');
      throwsErrno(() => f.pread(b, (1n << 63n) - 1n), Errno.INVAL, 'pread ending past 2^63-1');
      throwsErrno(() => f.pwrite(b, (1n << 63n) - 1n), Errno.INVAL, 'pwrite ending past 2^63-1');
      throwsErrno(() => f.setSize((1n << 63n) - 1n), Errno.FBIG, 'setSize 2^63-1');
      throwsErrno(() => f.setSize(1n << 63n), Errno.INVAL, 'setSize 2^63');
      throwsErrno(() => f.pwrite(b, 1n << 60n), Errno.FBIG, 'pwrite at 2^60');
      throwsErrno(() => f.setSize(1n << 60n), Errno.FBIG, 'setSize 2^60');
      assert.equal(f.pread(b, 1n), 4);
      assert.equal(Buffer.from(b.subarray(0, 4)).toString(), 'ello');
      f.close();
    });

    it('appends at the end, with and without O_APPEND', () => {
      const a = root.openFileChild('f', { ...W, append: true });
      assert.equal(a.append(Buffer.from('1')), 1);
      a.close();
      const b = root.openFileChild('f', W);
      assert.equal(b.append(Buffer.from('2')), 1);
      b.close();
      assert.equal(readAll(root, 'f'), 'hello12');
    });

    it('truncates and extends; shrunk bytes come back as zeros', () => {
      const f = root.openFileChild('f', { ...W, read: true });
      f.setSize(2n);
      assert.equal(f.stat().size, 2n);
      f.setSize(4n);
      f.close();
      assert.equal(readAll(root, 'f'), 'he\0\0');
      const t = root.openFileChild('f', { ...W, truncate: true });
      assert.equal(t.stat().size, 0n);
      t.close();
    });

    it('enforces the access mode of an open file', () => {
      const r = root.openFileChild('f', R);
      throwsErrno(() => r.pwrite(Buffer.from('x'), 0n), Errno.BADF, 'write on read-only fd');
      throwsErrno(() => r.append(Buffer.from('x')), Errno.BADF, 'append on read-only fd');
      throwsErrno(() => r.setSize(0n), Errno.INVAL, 'ftruncate on a read-only fd (Linux: EINVAL)');
      r.close();
      const wo = root.openFileChild('f', W);
      throwsErrno(() => wo.pread(new Uint8Array(1), 0n), Errno.BADF, 'read on write-only fd');
      wo.close();
      assert.equal(readAll(root, 'f'), 'hello');
    });

    it('opens files with the errors of open(2) under O_NOFOLLOW', () => {
      throwsErrno(() => root.openFileChild('missing', R), Errno.NOENT, 'missing');
      throwsErrno(() => root.openFileChild('f', { ...CREATE, exclusive: true }), Errno.EXIST, 'O_EXCL existing');
      throwsErrno(() => root.openFileChild('l', { ...CREATE, exclusive: true }), Errno.EXIST, 'O_EXCL on a symlink');
      throwsErrno(() => root.openFileChild('dang', CREATE), Errno.LOOP, 'O_CREAT through a dangling symlink');
      throwsErrno(() => root.openFileChild('l', R), Errno.LOOP, 'symlink');
      throwsErrno(() => root.openFileChild('d', W), Errno.ISDIR, 'dir for writing');
      throwsErrno(() => root.openFileChild('d', { ...R, truncate: true }), Errno.ISDIR, 'dir with O_TRUNC');
      throwsErrno(() => root.openFileChild('d', { ...R, create: true }), Errno.ISDIR, 'dir with O_CREAT');
      const dirAsFile = root.openFileChild('d', R);
      assert.equal(dirAsFile.stat().filetype, FileType.DIRECTORY);
      throwsErrno(() => dirAsFile.pread(new Uint8Array(4), 0n), Errno.ISDIR, 'reading a directory');
      dirAsFile.close();
      assert.equal(root.lstatChild('dang').filetype, FileType.SYMBOLIC_LINK, 'the dangling link was not followed');
      throwsErrno(() => root.lstatChild('nosuch'), Errno.NOENT, 'nothing was created behind the link');
    });

    it('opens directories without following symlinks', () => {
      const d = root.openDirChild('d');
      assert.equal(readAll(d, 'inner'), 'x');
      assert.equal(d.stat().filetype, FileType.DIRECTORY);
      d.close();
      throwsErrno(() => root.openDirChild('f'), Errno.NOTDIR, 'file');
      throwsErrno(() => root.openDirChild('ld'), Errno.LOOP, 'symlink to dir');
      throwsErrno(() => root.openDirChild('dang'), Errno.LOOP, 'dangling symlink');
      throwsErrno(() => root.openDirChild('missing'), Errno.NOENT, 'missing');
    });

    it('makes and removes directories and files with POSIX errors', () => {
      root.mkdirChild('m');
      assert.equal(root.lstatChild('m').filetype, FileType.DIRECTORY);
      throwsErrno(() => root.mkdirChild('m'), Errno.EXIST, 'mkdir existing');
      throwsErrno(() => root.mkdirChild('dang'), Errno.EXIST, 'mkdir over a dangling link');
      throwsErrno(() => root.rmdirChild('d'), Errno.NOTEMPTY, 'rmdir non-empty');
      throwsErrno(() => root.rmdirChild('f'), Errno.NOTDIR, 'rmdir file');
      throwsErrno(() => root.rmdirChild('ld'), Errno.NOTDIR, 'rmdir symlink to dir');
      throwsErrno(() => root.rmdirChild('missing'), Errno.NOENT, 'rmdir missing');
      throwsErrno(() => root.unlinkChild('d'), Errno.ISDIR, 'unlink dir');
      throwsErrno(() => root.unlinkChild('missing'), Errno.NOENT, 'unlink missing');
      root.rmdirChild('m');
      root.unlinkChild('ld');
      assert.equal(root.lstatChild('d').filetype, FileType.DIRECTORY, 'unlinking a symlink leaves its target');
      throwsErrno(() => root.lstatChild('m'), Errno.NOENT, 'removed');
    });

    it('keeps an unlinked open file readable, refuses entries in a removed dir', () => {
      const f = root.openFileChild('f', R);
      root.unlinkChild('f');
      const b = new Uint8Array(5);
      assert.equal(f.pread(b, 0n), 5);
      assert.equal(f.stat().nlink, 0n);
      f.close();
      root.mkdirChild('gone');
      const g = root.openDirChild('gone');
      root.rmdirChild('gone');
      throwsErrno(() => g.openFileChild('x', CREATE), Errno.NOENT, 'create in removed dir');
      throwsErrno(() => g.mkdirChild('x'), Errno.NOENT, 'mkdir in removed dir');
      g.close();
    });

    it('creates and reads symlinks, refusing absolute and empty targets', () => {
      root.symlinkChild('d/inner', 's');
      assert.equal(root.readlinkChild('s'), 'd/inner');
      const st = root.lstatChild('s');
      assert.equal(st.filetype, FileType.SYMBOLIC_LINK);
      assert.equal(st.size, 7n);
      root.symlinkChild('../../../escape', 'up'); // stored as is; only following it is refused
      throwsErrno(() => root.symlinkChild('/etc/passwd', 'abs'), Errno.PERM, 'absolute target');
      throwsErrno(() => root.symlinkChild('', 'empty'), Errno.NOENT, 'empty target');
      throwsErrno(() => root.symlinkChild('x', 'f'), Errno.EXIST, 'existing name');
      throwsErrno(() => root.readlinkChild('f'), Errno.INVAL, 'readlink of a file');
      throwsErrno(() => root.readlinkChild('missing'), Errno.NOENT, 'readlink missing');
    });

    it('hard-links files (not directories), counting links', () => {
      root.linkChild('f', root, 'h');
      const a = root.lstatChild('f');
      const b = root.lstatChild('h');
      assert.equal(a.ino, b.ino);
      assert.equal(a.nlink, 2n);
      writeAll(root, 'h', 'HELLO');
      assert.equal(readAll(root, 'f'), 'HELLO');
      root.unlinkChild('f');
      assert.equal(root.lstatChild('h').nlink, 1n);
      root.linkChild('l', root, 'l2'); // the link itself, not its target
      assert.equal(root.lstatChild('l2').filetype, FileType.SYMBOLIC_LINK);
      throwsErrno(() => root.linkChild('d', root, 'd2'), Errno.PERM, 'link a directory');
      throwsErrno(() => root.linkChild('h', root, 'd'), Errno.EXIST, 'link onto existing');
      throwsErrno(() => root.linkChild('missing', root, 'x'), Errno.NOENT, 'link missing');
      throwsErrno(() => root.linkChild('h', w.foreign, 'x'), Errno.XDEV, 'link across backends');
    });

    it('renames with the rules of rename(2)', () => {
      w.build({ a: { b: { c: 'deep' } }, full: { x: '1' }, f2: 'two' });
      root.renameChild('f2', root, 'f'); // replaces a file
      assert.equal(readAll(root, 'f'), 'two');
      throwsErrno(() => root.lstatChild('f2'), Errno.NOENT, 'old name gone');
      root.renameChild('d', root, 'empty'); // dir over empty dir
      assert.equal(readAll(root.openDirChild('empty'), 'inner'), 'x');
      throwsErrno(() => root.renameChild('a', root, 'full'), Errno.NOTEMPTY, 'dir over non-empty dir');
      throwsErrno(() => root.renameChild('f', root, 'full'), Errno.ISDIR, 'file over dir');
      throwsErrno(() => root.renameChild('a', root, 'f'), Errno.NOTDIR, 'dir over file');
      const a = root.openDirChild('a');
      const b = a.openDirChild('b');
      throwsErrno(() => root.renameChild('a', b, 'a'), Errno.INVAL, 'dir into its own subtree');
      throwsErrno(() => root.renameChild('a', a, 'x'), Errno.INVAL, 'dir into itself');
      throwsErrno(() => root.renameChild('missing', root, 'x'), Errno.NOENT, 'missing source');
      throwsErrno(() => root.renameChild('f', w.foreign, 'x'), Errno.XDEV, 'across backends');
      b.renameChild('c', root, 'c'); // across directories
      assert.equal(readAll(root, 'c'), 'deep');
      root.renameChild('a', root, 'a2'); // an open directory keeps working after a rename
      b.close();
      assert.deepEqual(a.readdir().map((e) => e.name), ['b']);
      a.close();
      root.linkChild('c', root, 'c-link');
      root.renameChild('c', root, 'c-link'); // same inode: nothing happens
      assert.equal(root.lstatChild('c').nlink, 2n);
      root.renameChild('l', root, 'l-moved'); // a symlink moves as itself
      assert.equal(root.readlinkChild('l-moved'), 'f');
    });

    it('sets times per field, with now and unchanged, never following symlinks', () => {
      root.setTimesChild('f', 1000n * SEC, 2000n * SEC);
      let st = root.lstatChild('f');
      assert.equal(st.atimNs, 1000n * SEC);
      assert.equal(st.mtimNs, 2000n * SEC);
      root.setTimesChild('f', undefined, 3000n * SEC);
      st = root.lstatChild('f');
      assert.equal(st.atimNs, 1000n * SEC, 'atime unchanged');
      assert.equal(st.mtimNs, 3000n * SEC);
      root.setTimesChild('f', 'now', undefined);
      st = root.lstatChild('f');
      assert.ok(st.atimNs > 1_600_000_000n * SEC, 'now is a current time');
      assert.equal(st.mtimNs, 3000n * SEC);
      const target = root.lstatChild('f');
      root.setTimesChild('l', 5000n * SEC, 5000n * SEC);
      assert.equal(root.lstatChild('l').mtimNs, 5000n * SEC, 'the symlink itself');
      assert.equal(root.lstatChild('f').mtimNs, target.mtimNs, 'not its target');
      const f = root.openFileChild('f', W);
      f.setTimes(7000n * SEC, undefined);
      assert.equal(f.stat().atimNs, 7000n * SEC);
      assert.equal(f.stat().mtimNs, 3000n * SEC);
      f.close();
      root.setTimes(undefined, 9000n * SEC);
      assert.equal(root.stat().mtimNs, 9000n * SEC);
      const unchanged = root.lstatChild('f');
      root.setTimesChild('f', undefined, undefined);
      assert.deepEqual(root.lstatChild('f'), unchanged, 'both omitted: nothing changes');
      throwsErrno(() => root.setTimesChild('missing', 'now', 'now'), Errno.NOENT, 'missing');
      throwsErrno(() => root.setTimesChild('missing', undefined, undefined), Errno.NOENT, 'missing, both omitted');
    });

    it('lists directories with inode numbers and types', () => {
      const entries = root.readdir().sort((a, b) => (a.name < b.name ? -1 : 1));
      assert.deepEqual(entries.map((e) => e.name), ['d', 'dang', 'empty', 'f', 'l', 'ld']);
      for (const e of entries) {
        const st = root.lstatChild(e.name);
        assert.equal(e.ino, st.ino, e.name);
        assert.equal(e.filetype, st.filetype, e.name);
      }
      assert.deepEqual(root.openDirChild('empty').readdir(), []);
      const d = root.lstatChild('d');
      root.openDirChild('d').mkdirChild('sub');
      assert.equal(root.lstatChild('d').nlink, d.nlink + 1n, 'a subdirectory adds a link');
    });

    it('rejects names that are not one component', () => {
      for (const bad of ['', '.', '..', 'a/b', '/', 'a\0b']) {
        throwsErrno(() => root.lstatChild(bad), Errno.INVAL, JSON.stringify(bad));
        throwsErrno(() => root.openFileChild(bad, CREATE), Errno.INVAL, JSON.stringify(bad));
      }
      throwsErrno(() => root.mkdirChild('n'.repeat(256)), Errno.NAMETOOLONG, '256-byte name');
      root.mkdirChild('n'.repeat(255));
    });

    it('fails with EBADF after close and reports ENOTSUP for allocate', () => {
      const f = root.openFileChild('f', W);
      throwsErrno(() => f.allocate(0n, 100n), Errno.NOTSUP, 'allocate');
      assert.equal(f.stat().size, 5n);
      f.sync();
      f.datasync();
      f.close();
      throwsErrno(() => f.stat(), Errno.BADF, 'stat after close');
      throwsErrno(() => f.pread(new Uint8Array(1), 0n), Errno.BADF, 'pread after close');
      throwsErrno(() => f.close(), Errno.BADF, 'double close');
      const d = root.openDirChild('d');
      d.close();
      for (const [label, op] of [
        ['readdir', () => d.readdir()],
        ['lstatChild', () => d.lstatChild('inner')],
        ['openFileChild', () => d.openFileChild('inner', R)],
        ['mkdirChild', () => d.mkdirChild('x')],
        ['close', () => d.close()],
      ] as const) throwsErrno(op, Errno.BADF, label);
      assert.ok(snapshot(root).includes('d/inner = x (nlink 1)'));
    });
  });
}

