// Read-only mounts of every backend: each kind of write is refused with wasmtime's errno,
// reads still work, children stay read-only, and nothing inside or outside changes.
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Errno } from '../src/wasi/errno.js';
import { READONLY_ERRNO, readOnlyDir, readOnlyFile, openPreopen, createHostBackend, MemoryFs } from '../src/fs/index.js';
import type { DirNode, FileNode } from '../src/fs/types.js';
import { WardenError } from '../src/errors.js';
import { type World, CREATE, R, W, backends, readAll, snapshot, throwsErrno } from './fs-helpers.js';

const T = 1_000_000_000n;

for (const backend of backends) {
  describe(`read-only ${backend.name} mount`, () => {
    let w: World;
    let ro: DirNode;
    let inside: string;
    let outside: string;
    beforeEach(() => {
      w = backend.make();
      w.build({ f: 'data', d: { g: 'deep' }, empty: {}, l: { link: 'f' } });
      ro = readOnlyDir(w.root);
      inside = snapshot(w.root).join('\n');
      outside = w.outside();
    });
    afterEach(() => {
      assert.equal(snapshot(w.root).join('\n'), inside, 'the read-only tree changed');
      assert.equal(w.outside(), outside, 'the outside tree changed');
      w.cleanup();
    });

    it('refuses every write kind on directories, before looking names up', () => {
      const d = ro.openDirChild('d');
      const writes: [string, (dir: DirNode) => unknown][] = [
        ['open for write', (x) => x.openFileChild('f', W)],
        ['open read+write', (x) => x.openFileChild('f', { ...R, write: true })],
        ['create new', (x) => x.openFileChild('new', { ...R, create: true })],
        ['create existing', (x) => x.openFileChild('f', { ...R, create: true })],
        ['create exclusive', (x) => x.openFileChild('new', { ...CREATE, exclusive: true })],
        ['truncate', (x) => x.openFileChild('f', { ...R, truncate: true })],
        ['mkdir', (x) => x.mkdirChild('newdir')],
        ['mkdir existing', (x) => x.mkdirChild('empty')],
        ['rmdir', (x) => x.rmdirChild('empty')],
        ['unlink', (x) => x.unlinkChild('f')],
        ['unlink missing', (x) => x.unlinkChild('missing')],
        ['symlink', (x) => x.symlinkChild('f', 'newlink')],
        ['link within', (x) => x.linkChild('f', x, 'hard')],
        ['link out to rw', (x) => x.linkChild('f', w.root, 'hard')],
        ['rename within', (x) => x.renameChild('f', x, 'f2')],
        ['rename out to rw', (x) => x.renameChild('f', w.root, 'f2')],
        ['set times of child', (x) => x.setTimesChild('f', T, T)],
        ['set times of child link', (x) => x.setTimesChild('l', 'now', undefined)],
        ['set times of dir', (x) => x.setTimes(undefined, 'now')],
      ];
      for (const [label, op] of writes) {
        throwsErrno(() => op(ro), READONLY_ERRNO, label);
        throwsErrno(() => op(d), READONLY_ERRNO, `child dir: ${label}`);
      }
      // Into the read-only mount from a writable directory of the same backend.
      throwsErrno(() => w.root.renameChild('f', ro, 'moved'), READONLY_ERRNO, 'rename in from rw');
      throwsErrno(() => w.root.linkChild('f', d, 'linked'), READONLY_ERRNO, 'link in from rw');
      assert.equal(d.readOnly, true);
      d.close();
    });

    it('refuses every write kind on files opened through it', () => {
      const f = ro.openFileChild('f', R);
      const g = ro.openDirChild('d').openFileChild('g', { ...R, append: true });
      for (const file of [f, g]) {
        assert.equal(file.readOnly, true);
        const ops: [string, (x: FileNode) => unknown, number][] = [
          ['pwrite', (x) => x.pwrite(Buffer.from('x'), 0n), Errno.BADF],
          ['append', (x) => x.append(Buffer.from('x')), Errno.BADF],
          ['set size', (x) => x.setSize(0n), READONLY_ERRNO],
          ['set times', (x) => x.setTimes(T, undefined), READONLY_ERRNO],
          ['allocate', (x) => x.allocate(0n, 10n), Errno.NOTSUP],
        ];
        for (const [label, op, errno] of ops) throwsErrno(() => op(file), errno, label);
        file.sync();
        file.datasync();
      }
      g.close();
      const b = new Uint8Array(4);
      assert.equal(f.pread(b, 0n), 4);
      assert.equal(Buffer.from(b).toString(), 'data');
      f.close();
    });

    it('still reads, lists, stats and syncs', () => {
      assert.equal(readAll(ro, 'f'), 'data');
      assert.equal(ro.readlinkChild('l'), 'f');
      assert.deepEqual(ro.readdir().map((e) => e.name).sort(), ['d', 'empty', 'f', 'l']);
      assert.equal(ro.lstatChild('f').size, 4n);
      ro.sync();
      assert.equal(readAll(ro.openDirChild('d'), 'g'), 'deep');
      assert.equal(ro.backend, w.root.backend);
      assert.equal(readOnlyDir(ro), ro, 'wrapping is idempotent');
      const f = w.root.openFileChild('f', R);
      const rf = readOnlyFile(f);
      assert.equal(readOnlyFile(rf), rf);
      rf.close();
    });
  });
}

describe('openPreopen', () => {
  let base = '';
  before(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-preopen-'));
    fs.writeFileSync(path.join(base, 'file'), 'x');
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  it('opens host and memory preopens, read-write or read-only', () => {
    const rw = openPreopen({ host: base });
    assert.equal(rw.readOnly, false);
    assert.equal(readAll(rw, 'file'), 'x');
    rw.close();
    const rohost = createHostBackend(base, { readOnly: true });
    assert.equal(rohost.readOnly, true);
    throwsErrno(() => rohost.mkdirChild('x'), READONLY_ERRNO, 'read-only host preopen');
    rohost.close();
    const m = new MemoryFs().writeFile('a', 'b');
    const mem = openPreopen({ memory: m, readOnly: true });
    assert.equal(readAll(mem, 'a'), 'b');
    throwsErrno(() => mem.unlinkChild('a'), READONLY_ERRNO, 'read-only memory preopen');
  });

  it('reports bad host directories as host-dir errors and bad specs as config errors', () => {
    const cases: [string, RegExp][] = [
      [path.join(base, 'missing'), /does not exist/],
      [path.join(base, 'file'), /is not a directory/],
    ];
    for (const [p, msg] of cases) {
      assert.throws(() => openPreopen({ host: p }), (e: unknown) => e instanceof WardenError && e.kind === 'host-dir' && msg.test(e.message));
    }
    assert.throws(() => openPreopen({}), (e: unknown) => e instanceof WardenError && e.kind === 'config');
    assert.throws(() => openPreopen({ host: base, memory: new MemoryFs() }), (e: unknown) => e instanceof WardenError && e.kind === 'config');
  });

  it('reports an unreadable host directory (when not running as root)', (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root can read any directory');
      return;
    }
    const locked = path.join(base, 'locked');
    fs.mkdirSync(locked, 0o000);
    assert.throws(() => openPreopen({ host: locked }), (e: unknown) => e instanceof WardenError && e.kind === 'host-dir' && /not readable/.test(e.message));
    fs.chmodSync(locked, 0o700);
  });
});
