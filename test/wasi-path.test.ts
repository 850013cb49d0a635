// WASI preview1 filesystem calls (path_*, file and directory fds) on both backends, with the
// errnos wasmtime 49 gives (checked with raw-call C guests), plus fd lifetimes and read-only mounts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, errnoName } from '../src/wasi/errno.js';
import { MemoryFs } from '../src/fs/memory.js';
import { readOnlyDir } from '../src/fs/readonly.js';
import { FileType, type DirNode, type FileNode } from '../src/fs/types.js';
import { hostBackend, memoryBackend, type Tree, type World } from './fs-helpers.js';
import { FD_READ, FD_WRITE, Guest, RO, RW, preopen } from './wasi-harness.js';

const TREE: Tree = {
  'f.txt': 'hello world',
  'g.txt': 'g',
  d: { sub: {}, a: 'a' },
  e: {},
  lnk: { link: 'nowhere' },
  loop: { link: 'loop' },
  flink: { link: 'f.txt' },
  dlink: { link: 'd' },
};

const O = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 };
const FOLLOW = true;

type Case = [label: string, run: (g: Guest) => number, expected: number];

function openCase(path: string, o: Parameters<Guest['open']>[2], expected: number): Case {
  return [`path_open ${JSON.stringify(path)} ${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`, (g) => g.open(3, path, o)[0], expected];
}
function two(name: string, a: string, b: string, expected: number, flags = 0): Case {
  return [
    `${name} ${a} -> ${b}`,
    (g) => {
      const [p, l] = g.put(a);
      const [q, m] = g.put(b);
      return name === 'path_link' ? g.call(name, 3, flags, p, l, 3, q, m) : g.call(name, 3, p, l, 3, q, m);
    },
    expected,
  ];
}
function symlink(target: string, name: string, expected: number): Case {
  return [`path_symlink ${target} ${name}`, (g) => {
    const [p, l] = g.put(target);
    const [q, m] = g.put(name);
    return g.call('path_symlink', p, l, 3, q, m);
  }, expected];
}
function readlink(path: string, bufLen: number, expected: number, text?: string): Case {
  return [`path_readlink ${path} buf=${bufLen}`, (g) => {
    const [p, l] = g.put(path);
    const buf = g.alloc(64);
    const used = g.alloc(4);
    const e = g.call('path_readlink', 3, p, l, buf, bufLen, used);
    if (e === 0 && text !== undefined) assert.equal(g.text(buf, g.u32(used)), text);
    return e;
  }, expected];
}
function stat(path: string, follow: boolean, expected: number, filetype?: number): Case {
  return [`path_filestat_get ${path} follow=${follow}`, (g) => {
    const [e, ft] = g.stat(3, path, follow);
    if (e === 0 && filetype !== undefined) assert.equal(ft, filetype);
    return e;
  }, expected];
}
function setTimes(path: string, follow: boolean, flags: number, expected: number): Case {
  return [`path_filestat_set_times ${path} follow=${follow} flags=${flags}`, (g) => {
    const [p, l] = g.put(path);
    return g.call('path_filestat_set_times', 3, follow ? 1 : 0, p, l, 0n, 0n, flags);
  }, expected];
}
const one = (name: string, path: string, expected: number): Case => [`${name} ${path}`, (g) => g.pathCall(name, 3, path), expected];

/** Each case runs on a fresh tree; expected errnos are wasmtime 49's. */
const CASES: Case[] = [
  openCase('f.txt', {}, 0),
  openCase('f.txt', { oflags: O.DIRECTORY, rights: RO }, Errno.NOTDIR),
  openCase('f.txt', { oflags: O.CREAT | O.EXCL }, Errno.EXIST),
  openCase('f.txt/', {}, Errno.NOTDIR),
  openCase('f.txt/x', {}, Errno.NOTDIR),
  openCase('d', {}, Errno.ISDIR),
  openCase('d', { rights: RO }, 0),
  openCase('.', { oflags: O.DIRECTORY }, Errno.ISDIR),
  openCase('.', { oflags: O.DIRECTORY, rights: RO }, 0),
  openCase('d/../d/./', { oflags: O.DIRECTORY, rights: RO }, 0),
  openCase('d', { oflags: O.CREAT, rights: RO }, Errno.ISDIR),
  openCase('d', { oflags: O.CREAT | O.DIRECTORY, rights: RO }, Errno.INVAL),
  openCase('d', { oflags: O.DIRECTORY | O.TRUNC, rights: RO }, Errno.INVAL),
  openCase('d', { oflags: O.EXCL, rights: RO }, 0),
  openCase('', {}, Errno.NOENT),
  openCase('/etc/passwd', {}, Errno.PERM),
  openCase('..', { rights: RO }, Errno.PERM),
  openCase('../x', { oflags: O.CREAT }, Errno.PERM),
  openCase('lnk', {}, Errno.LOOP),
  openCase('loop', { follow: FOLLOW }, Errno.LOOP),
  openCase('flink', { follow: FOLLOW }, 0),
  openCase('flink', {}, Errno.LOOP),
  openCase('flink', { oflags: O.CREAT }, Errno.LOOP),
  openCase('dlink', { oflags: O.DIRECTORY, rights: RO, follow: FOLLOW }, 0),
  openCase('dlink', { oflags: O.DIRECTORY, rights: RO }, Errno.LOOP),
  openCase('dlink/', { rights: RO }, 0),
  openCase('flink/', {}, Errno.NOTDIR),
  openCase('nd/x', {}, Errno.NOENT),
  openCase('newf/', { oflags: O.CREAT }, Errno.ISDIR),
  openCase('lnk', { oflags: O.CREAT | O.EXCL, follow: FOLLOW }, Errno.EXIST),
  openCase('f.txt', { fdflags: 16 }, Errno.NOTSUP),
  openCase('f.txt', { fdflags: 2 }, Errno.NOTSUP),
  openCase('f.txt', { fdflags: 8 }, Errno.NOTSUP),
  openCase('f.txt', { fdflags: 4 }, 0),
  ['path_open from a file fd', (g) => g.open(g.open(3, 'f.txt')[1], 'x')[0], Errno.NOTDIR],
  ['path_open from stdout', (g) => g.open(1, 'f.txt')[0], Errno.BADF],
  ['path_create_directory from a file fd', (g) => g.pathCall('path_create_directory', g.open(3, 'f.txt')[1], 'x'), Errno.BADF],

  one('path_create_directory', 'd', Errno.EXIST),
  one('path_create_directory', 'f.txt', Errno.EXIST),
  one('path_create_directory', '.', Errno.EXIST),
  one('path_create_directory', 'nd2/', 0),
  one('path_create_directory', 'zz/y', Errno.NOENT),
  one('path_create_directory', '..', Errno.PERM),

  one('path_unlink_file', 'd', Errno.ISDIR),
  one('path_unlink_file', 'd/', Errno.ISDIR),
  one('path_unlink_file', 'f.txt/', Errno.NOTDIR),
  one('path_unlink_file', 'nonexist', Errno.NOENT),
  one('path_unlink_file', '.', Errno.ISDIR),
  one('path_unlink_file', 'dlink/', Errno.ISDIR),
  one('path_unlink_file', 'flink/', Errno.NOTDIR),
  one('path_unlink_file', 'flink', 0),

  one('path_remove_directory', 'f.txt', Errno.NOTDIR),
  one('path_remove_directory', 'd', Errno.NOTEMPTY),
  one('path_remove_directory', '.', Errno.INVAL),
  one('path_remove_directory', 'd/..', Errno.INVAL),
  one('path_remove_directory', 'dlink', Errno.NOTDIR),
  one('path_remove_directory', 'nonexist', Errno.NOENT),
  one('path_remove_directory', 'e', 0),
  one('path_remove_directory', 'e/', Errno.INVAL),
  one('path_remove_directory', 'dlink/', Errno.INVAL),
  one('path_remove_directory', 'f.txt/', Errno.NOTDIR),

  two('path_rename', 'f.txt', 'e', Errno.ISDIR),
  two('path_rename', 'e', 'f.txt', Errno.NOTDIR),
  two('path_rename', 'e', 'd', Errno.NOTEMPTY),
  two('path_rename', 'd', 'd/sub', Errno.INVAL),
  two('path_rename', 'nonexist', 'x', Errno.NOENT),
  two('path_rename', '.', 'x', Errno.BUSY),
  two('path_rename', 'g.txt', '.', Errno.BUSY),
  two('path_rename', 'e', 'd/..', Errno.BUSY),
  two('path_rename', 'g.txt/', 'x', Errno.NOTDIR),
  two('path_rename', 'e/', 'y/', 0),
  two('path_rename', 'g.txt', 'g.txt', 0),
  two('path_rename', 'g.txt', '../g.txt', Errno.PERM),

  two('path_link', 'd', 'dd', Errno.PERM),
  two('path_link', 'f.txt', 'g.txt', Errno.EXIST),
  two('path_link', 'f.txt', 'ff.txt', Errno.INVAL, 1),
  two('path_link', 'f.txt', '.', Errno.EXIST),
  two('path_link', '.', 'zz', Errno.PERM),
  two('path_link', 'g.txt', 'k/', Errno.NOENT),
  two('path_link', 'g.txt/', 'k', Errno.NOTDIR),
  two('path_link', 'lnk', 'lnk2', 0),

  symlink('x', 'f.txt', Errno.EXIST),
  symlink('/etc/passwd', 'abs', Errno.PERM),
  symlink('', 'emp', Errno.NOENT),
  symlink('x', 'sl/', Errno.NOENT),
  symlink('x', '.', Errno.EXIST),
  symlink('../../etc', 'up', 0),

  readlink('f.txt', 64, Errno.INVAL),
  readlink('flink', 2, 0, 'f.'),
  readlink('flink', 64, 0, 'f.txt'),
  readlink('flink', 0, 0, ''),
  readlink('nonexist', 64, Errno.NOENT),
  readlink('.', 64, Errno.INVAL),
  readlink('dlink/', 64, Errno.INVAL),

  stat('lnk', false, 0, FileType.SYMBOLIC_LINK),
  stat('lnk', true, Errno.NOENT),
  stat('flink', true, 0, FileType.REGULAR_FILE),
  stat('..', false, Errno.PERM),
  stat('.', false, 0, FileType.DIRECTORY),
  stat('d/a/', false, Errno.NOTDIR),

  setTimes('f.txt', false, 4 | 8, Errno.INVAL),
  setTimes('lnk', false, 8, 0),
  setTimes('lnk', true, 8, Errno.NOENT),
  setTimes('.', false, 8, 0),
  setTimes('g.txt', false, 0, 0),
];

for (const backend of [memoryBackend, hostBackend]) {
  describe(`path_* errnos (${backend.name} backend)`, () => {
    const worlds: World[] = [];
    after(() => worlds.forEach((w) => w.cleanup()));
    for (const [label, run, expected] of CASES) {
      it(`${label} -> ${errnoName(expected)}`, () => {
        const w = backend.make();
        worlds.push(w);
        w.build(TREE);
        const outside = w.outside();
        const g = new Guest({ preopens: [preopen(w.root)] });
        const got = run(g);
        assert.equal(errnoName(got), errnoName(expected));
        g.ctx.close();
        assert.equal(w.outside(), outside);
      });
    }
  });
}

/** A world on the memory backend with the standard tree. */
function mem(): { fs: MemoryFs; g: Guest } {
  const fs = new MemoryFs().writeFile('f.txt', 'hello world').mkdirp('d/sub').writeFile('d/a', 'a').mkdirp('e');
  return { fs, g: new Guest({ preopens: [preopen(fs.root())] }) };
}

describe('files', () => {
  it('create, write, seek, tell, read, pread, pwrite, stat, set_size', () => {
    const { fs, g } = mem();
    const [e, fd] = g.open(3, 'new.txt', { oflags: O.CREAT | O.EXCL });
    assert.equal(e, 0);
    assert.deepEqual(g.write(fd, 'hello world'), [0, 11]);
    const p = g.alloc(64);
    assert.equal(g.call('fd_tell', fd, p), 0);
    assert.equal(g.u64(p), 11n);
    assert.equal(g.call('fd_seek', fd, -5n, 1, p), 0);
    assert.equal(g.u64(p), 6n);
    assert.deepEqual(g.read(fd), [0, 'world']);
    assert.equal(g.call('fd_seek', fd, 2n, 2, p), 0);
    assert.equal(g.u64(p), 13n);
    assert.equal(g.call('fd_seek', fd, -100n, 1, p), Errno.INVAL);
    assert.equal(g.call('fd_seek', fd, 0n, 0, p), 0);
    const [iovs, n, [b1, b2]] = g.iovecs([2, 3]);
    assert.equal(g.call('fd_pread', fd, iovs, n, 6n, p), 0);
    assert.equal(g.u32(p), 5);
    assert.equal(g.text(b1!, 2) + g.text(b2!, 3), 'world');
    const [wiovs, wn] = g.iovecs(['J', 'ELLO']);
    assert.equal(g.call('fd_pwrite', fd, wiovs, wn, 0n, p), 0);
    assert.equal(g.u32(p), 5);
    assert.equal(g.call('fd_tell', fd, p), 0);
    assert.equal(g.u64(p), 0n, 'pwrite does not move the offset');
    assert.equal(Buffer.from(fs.readFile('new.txt')).toString(), 'JELLO world');
    assert.equal(g.call('fd_filestat_get', fd, p), 0);
    assert.deepEqual([g.u8[p + 16], g.u64(p + 32), g.u64(p + 24)], [FileType.REGULAR_FILE, 11n, 1n]);
    assert.equal(g.call('fd_filestat_set_size', fd, 3n), 0);
    assert.equal(Buffer.from(fs.readFile('new.txt')).toString(), 'JEL');
    assert.equal(g.call('fd_allocate', fd, 0n, 10n), Errno.NOTSUP);
    assert.equal(g.call('fd_advise', fd, 0n, 0n, 1), 0);
    assert.equal(g.call('fd_sync', fd), 0);
    assert.equal(g.call('fd_datasync', fd), 0);
    assert.equal(g.call('fd_filestat_set_times', fd, 5_000_000_000n, 0n, 1), 0);
    assert.equal(g.call('fd_filestat_get', fd, p), 0);
    assert.equal(g.u64(p + 40), 5_000_000_000n);
    assert.equal(g.call('fd_readdir', fd, p, 64, 0n, p), Errno.BADF);
    assert.equal(g.call('fd_fdstat_set_rights', fd, 0n, 0n), Errno.NOTSUP);
    assert.equal(g.call('fd_close', fd), 0);
    assert.equal(g.call('fd_close', fd), Errno.BADF);
  });

  it('O_TRUNC empties, fdstat reports rights and flags as wasmtime', () => {
    const { fs, g } = mem();
    const p = g.alloc(24);
    const [, rw] = g.open(3, 'f.txt', { oflags: O.TRUNC });
    assert.equal(Buffer.from(fs.readFile('f.txt')).length, 0);
    assert.equal(g.call('fd_fdstat_get', rw, p), 0);
    assert.deepEqual([g.u8[p], g.dv.getUint16(p + 2, true), g.u64(p + 8), g.u64(p + 16)], [4, 0, 0x3fffffffn, 0x3fffffffn]);
    const [, ro] = g.open(3, 'f.txt', { rights: FD_READ });
    assert.equal(g.call('fd_fdstat_get', ro, p), 0);
    assert.equal(g.u64(p + 8), 0x3fffffbfn);
    const [, wo] = g.open(3, 'f.txt', { rights: FD_WRITE });
    assert.equal(g.call('fd_fdstat_get', wo, p), 0);
    assert.equal(g.u64(p + 8), 0x3fffbffdn);
    const [, none] = g.open(3, 'f.txt', { rights: 0n });
    assert.deepEqual(g.read(none), [0, ''], 'no rights at all opens for reading');
    const [, dir] = g.open(3, 'd', { rights: RO });
    assert.equal(g.call('fd_fdstat_get', dir, p), 0);
    assert.deepEqual([g.u8[p], g.u64(p + 8)], [3, 0x3fb7ffbbn]);
    assert.equal(g.call('fd_fdstat_get', 3, p), 0);
    assert.deepEqual([g.u8[p], g.u64(p + 8), g.u64(p + 16)], [3, 0x7b7fe00n, 0xff7ffffn]);
  });

  it('read-only and write-only fds refuse the other direction as wasmtime', () => {
    const { g } = mem();
    const [, ro] = g.open(3, 'f.txt', { rights: FD_READ });
    const p = g.alloc(8);
    assert.equal(g.write(ro, 'x')[0], Errno.BADF);
    const [iovs, n] = g.iovecs(['x']);
    assert.equal(g.call('fd_pwrite', ro, iovs, n, 0n, p), Errno.BADF);
    assert.equal(g.call('fd_filestat_set_size', ro, 0n), Errno.INVAL);
    assert.equal(g.call('fd_filestat_set_times', ro, 0n, 0n, 8), 0);
    assert.equal(g.call('fd_sync', ro), 0);
    const [, wo] = g.open(3, 'f.txt', { rights: FD_WRITE });
    assert.equal(g.read(wo)[0], Errno.BADF);
    assert.equal(g.call('fd_pread', wo, iovs, n, 0n, p), Errno.BADF);
  });

  it('APPEND: writes go to the end, pwrite appends without moving, flags can be changed', () => {
    const { fs, g } = mem();
    const [, fd] = g.open(3, 'f.txt', { fdflags: 1 });
    const p = g.alloc(24);
    assert.equal(g.call('fd_fdstat_get', fd, p), 0);
    assert.equal(g.dv.getUint16(p + 2, true), 1);
    assert.deepEqual(g.write(fd, '!'), [0, 1]);
    assert.equal(g.call('fd_tell', fd, p), 0);
    assert.equal(g.u64(p), 12n);
    const [iovs, n] = g.iovecs(['?']);
    assert.equal(g.call('fd_pwrite', fd, iovs, n, 0n, p), 0);
    assert.equal(Buffer.from(fs.readFile('f.txt')).toString(), 'hello world!?');
    assert.equal(g.call('fd_fdstat_set_flags', fd, 0), 0);
    assert.equal(g.call('fd_seek', fd, 0n, 0, p), 0);
    assert.deepEqual(g.write(fd, 'J'), [0, 1]);
    assert.equal(Buffer.from(fs.readFile('f.txt')).toString(), 'Jello world!?');
    assert.equal(g.call('fd_fdstat_set_flags', fd, 16), Errno.INVAL);
    assert.equal(g.call('fd_fdstat_set_flags', 3, 1), Errno.BADF);
  });

  it('directory fds: seek/read/write/sync are EBADF; set_times works, except on a preopen (wasmtime)', () => {
    const { g } = mem();
    const p = g.alloc(64);
    assert.equal(g.call('fd_seek', 3, 0n, 1, p), Errno.BADF);
    assert.equal(g.call('fd_tell', 3, p), Errno.BADF);
    assert.equal(g.read(3)[0], Errno.BADF);
    assert.equal(g.write(3, 'x')[0], Errno.BADF);
    assert.equal(g.call('fd_sync', 3), Errno.BADF);
    assert.equal(g.call('fd_datasync', 3), Errno.BADF);
    assert.equal(g.call('fd_advise', 3, 0n, 0n, 0), Errno.BADF);
    assert.equal(g.call('fd_allocate', 3, 0n, 1n), Errno.BADF);
    assert.equal(g.call('fd_filestat_set_size', 3, 0n), Errno.BADF);
    assert.equal(g.call('fd_filestat_set_times', 3, 0n, 7_000_000_000n, 4), Errno.BADF);
    const [, d] = g.open(3, 'd', { rights: RO });
    assert.equal(g.call('fd_filestat_set_times', d, 0n, 7_000_000_000n, 4), 0);
    assert.equal(g.call('fd_filestat_get', d, p), 0);
    assert.deepEqual([g.u8[p + 16], g.u64(p + 48)], [FileType.DIRECTORY, 7_000_000_000n]);
    assert.equal(g.call('fd_fdstat_set_rights', 3, 0n, 0n), Errno.NOTSUP);
  });
});

/** Parses the dirents of a readdir buffer (complete ones only). */
function dirents(g: Guest, buf: number, used: number): { next: bigint; ino: bigint; type: number; name: string }[] {
  const out = [];
  for (let o = 0; o + 24 <= used; ) {
    const namlen = g.u32(buf + o + 16);
    if (o + 24 + namlen > used) break;
    out.push({ next: g.u64(buf + o), ino: g.u64(buf + o + 8), type: g.u8[buf + o + 20]!, name: g.text(buf + o + 24, namlen) });
    o += 24 + namlen;
  }
  return out;
}

describe('fd_readdir', () => {
  it('lists . and .. first, then entries; cookies resume; the last entry is truncated to fill the buffer', () => {
    const { fs, g } = mem();
    const [, d] = g.open(3, 'd', { oflags: O.DIRECTORY, rights: RO });
    const buf = g.alloc(512);
    const used = g.alloc(4);
    assert.equal(g.call('fd_readdir', d, buf, 512, 0n, used), 0);
    const all = dirents(g, buf, g.u32(used));
    assert.equal(g.u32(used), 24 * 4 + 1 + 2 + 3 + 1);
    assert.deepEqual(all.map((e) => e.name).slice(0, 2), ['.', '..']);
    assert.deepEqual(all.map((e) => e.name).slice(2).sort(), ['a', 'sub']);
    assert.deepEqual(all.map((e) => e.next), [1n, 2n, 3n, 4n]);
    const dIno = fs.root().lstatChild('d').ino;
    assert.deepEqual([all[0]!.ino, all[1]!.ino, all[0]!.type], [dIno, dIno, FileType.DIRECTORY]);
    const a = all.find((e) => e.name === 'a')!;
    assert.equal(a.type, FileType.REGULAR_FILE);
    // Resume from each cookie.
    for (let c = 1; c <= 4; c++) {
      assert.equal(g.call('fd_readdir', d, buf, 512, BigInt(c), used), 0);
      assert.deepEqual(dirents(g, buf, g.u32(used)).map((e) => e.name), all.slice(c).map((e) => e.name));
    }
    assert.equal(g.call('fd_readdir', d, buf, 512, 1000n, used), 0);
    assert.equal(g.u32(used), 0);
    // A buffer of 30 holds "." (25 bytes) and 5 bytes of the ".." header.
    g.u8.fill(0xee, buf, buf + 40);
    assert.equal(g.call('fd_readdir', d, buf, 30, 0n, used), 0);
    assert.equal(g.u32(used), 30);
    assert.equal(g.u8[buf + 30], 0xee, 'nothing written past buf_len');
    assert.equal(g.u64(buf + 25) & 0xffffffffffn, 2n, 'truncated header of ".." starts with d_next');
    assert.equal(g.call('fd_readdir', d, buf, 0, 0n, used), 0);
    assert.equal(g.u32(used), 0);
  });

  it('a listing restarted at cookie 0 sees changes', () => {
    const { fs, g } = mem();
    const buf = g.alloc(1024);
    const used = g.alloc(4);
    assert.equal(g.call('fd_readdir', 3, buf, 1024, 0n, used), 0);
    const n = dirents(g, buf, g.u32(used)).length;
    fs.writeFile('added', 'x');
    assert.equal(g.call('fd_readdir', 3, buf, 1024, 0n, used), 0);
    assert.equal(dirents(g, buf, g.u32(used)).length, n + 1);
  });
});

describe('preopens and fd lifetimes', () => {
  it('fd_prestat_get / fd_prestat_dir_name as wasmtime', () => {
    const { g } = mem();
    const p = g.alloc(64);
    assert.equal(g.call('fd_prestat_get', 3, p), 0);
    assert.deepEqual([g.u8[p], g.u32(p + 4)], [0, 8]);
    assert.equal(g.call('fd_prestat_dir_name', 3, p, 8), 0);
    assert.equal(g.text(p, 8), '/sandbox');
    assert.equal(g.call('fd_prestat_dir_name', 3, p, 7), Errno.NAMETOOLONG);
    const [, d] = g.open(3, 'd', { rights: RO });
    assert.equal(g.call('fd_prestat_get', d, p), Errno.BADF);
    assert.equal(g.call('fd_prestat_dir_name', d, p, 64), Errno.NOTDIR);
    assert.equal(g.call('fd_prestat_get', 4 + 10, p), Errno.BADF);
  });

  it('opening "." shares the directory: closing one fd leaves the other usable', () => {
    const { g } = mem();
    const [, d] = g.open(3, 'd', { oflags: O.DIRECTORY, rights: RO });
    const [e, dot] = g.open(d, '.', { oflags: O.DIRECTORY, rights: RO });
    assert.equal(e, 0);
    assert.equal(g.call('fd_close', d), 0);
    assert.deepEqual(g.stat(dot, 'a').slice(0, 2), [0, FileType.REGULAR_FILE]);
    const [, rootDot] = g.open(3, '.', { rights: RO });
    assert.equal(g.call('fd_close', 3), 0);
    assert.equal(g.stat(rootDot, 'f.txt')[0], 0);
  });

  it('close() closes every node the guest opened, never the preopen roots; a closed preopen is EBADF', () => {
    const opened = new Set<unknown>();
    let rootClosed = 0;
    const track = <T extends DirNode | FileNode>(n: T): T => {
      opened.add(n);
      return new Proxy(n, {
        get(t, k) {
          const v = Reflect.get(t, k, t);
          if (k === 'close') return () => { opened.delete(n); (v as () => void).call(t); };
          if (k === 'openDirChild' || k === 'openFileChild') return (...a: unknown[]) => track((v as (...x: unknown[]) => DirNode).apply(t, a));
          return typeof v === 'function' ? v.bind(t) : v;
        },
      });
    };
    const fs = new MemoryFs().mkdirp('d/e').writeFile('d/f', 'x');
    const rootNode = fs.root();
    const root = new Proxy(rootNode, {
      get(t, k) {
        const v = Reflect.get(t, k, t);
        if (k === 'close') return () => { rootClosed++; };
        if (k === 'openDirChild' || k === 'openFileChild') return (...a: unknown[]) => track((v as (...x: unknown[]) => DirNode).apply(t, a));
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    const g = new Guest({ preopens: [preopen(root)] });
    assert.equal(g.open(3, 'd/f')[0], 0);
    assert.equal(g.open(3, 'd/e', { rights: RO })[0], 0);
    assert.equal(g.open(3, 'd', { rights: RO })[0], 0);
    assert.equal(g.call('fd_renumber', 4, 3), 0, 'renumber onto the preopen');
    assert.equal(g.stat(3, 'x')[0], Errno.BADF, 'fd 3 is now a file');
    g.ctx.close();
    assert.equal(opened.size, 0, 'every opened node closed');
    assert.equal(rootClosed, 0, 'the preopen root is the caller\'s');
  });

  it('a read-only mount refuses writes (EPERM) and fd_write on a read-only fd is EBADF', () => {
    const fs = new MemoryFs().writeFile('f.txt', 'ro').mkdirp('d');
    const g = new Guest({ preopens: [preopen(readOnlyDir(fs.root()))] });
    assert.equal(g.open(3, 'f.txt')[0], Errno.PERM);
    assert.equal(g.open(3, 'new', { oflags: O.CREAT, rights: RO })[0], Errno.PERM);
    assert.equal(g.pathCall('path_create_directory', 3, 'x'), Errno.PERM);
    assert.equal(g.pathCall('path_unlink_file', 3, 'f.txt'), Errno.PERM);
    assert.equal(g.pathCall('path_remove_directory', 3, 'd'), Errno.PERM);
    const [e, fd] = g.open(3, 'f.txt', { rights: RO });
    assert.equal(e, 0);
    assert.equal(g.write(fd, 'x')[0], Errno.BADF);
    assert.deepEqual(g.read(fd), [0, 'ro']);
    assert.equal(Buffer.from(fs.readFile('f.txt')).toString(), 'ro');
  });

  it('rename and link across backends are EXDEV', () => {
    const a = new MemoryFs().writeFile('f', 'a');
    const b = new MemoryFs();
    const g = new Guest({ preopens: [preopen(a.root(), '/a'), preopen(b.root(), '/b')] });
    const [p, l] = g.put('f');
    assert.equal(g.call('path_rename', 3, p, l, 4, p, l), Errno.XDEV);
    assert.equal(g.call('path_link', 3, 0, p, l, 4, p, l), Errno.XDEV);
    assert.equal(g.call('path_rename', 3, p, l, 3, ...g.put('moved')), 0);
  });

  it('new fds take the highest freed number, else the next never used (as wasmtime 49)', () => {
    const { g } = mem();
    const o = () => g.open(3, 'f.txt', { rights: RO })[1];
    assert.deepEqual([o(), o(), o()], [4, 5, 6]);
    g.call('fd_close', 4);
    assert.equal(o(), 4);
    g.call('fd_close', 5);
    g.call('fd_close', 6);
    assert.equal(o(), 6);
    g.call('fd_close', 0);
    assert.deepEqual([o(), o(), o()], [5, 0, 7]);
  });

  it('too many open files is EMFILE, and closing frees numbers (lowest first)', () => {
    const g = new Guest({ pages: 4, preopens: [preopen(new MemoryFs().writeFile('f.txt', '').root())] });
    let last = 0;
    let e = 0;
    for (let i = 0; i < 5000 && e === 0; i++) [e, last] = g.open(3, 'f.txt', { rights: RO });
    assert.equal(e, Errno.MFILE);
    assert.equal(g.call('fd_close', 10), 0);
    assert.deepEqual(g.open(3, 'f.txt', { rights: RO }), [0, 10]);
    assert.ok(last > 4000);
    g.ctx.close();
  });

  it('trace decodes path_open flags, path and the new fd', () => {
    const fs = new MemoryFs();
    const g = new Guest({ preopens: [preopen(fs.root())], traceOn: true });
    g.open(3, 'foo', { oflags: O.CREAT | O.TRUNC, follow: true });
    assert.match(
      g.trace[0]!,
      /^wasi: path_open\(fd=3, dirflags=SYMLINK_FOLLOW, path="foo", oflags=CREAT\|TRUNC, rights_base=0x42, rights_inheriting=0x42, fdflags=0, fd_out=0x[0-9a-f]+\) -> errno 0 \(SUCCESS\) fd=4$/,
    );
  });
});
