// In-memory backend: the shared conformance suite plus the builder API, injected clocks,
// directory link counts, growth of file data and the file size cap.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno } from '../src/wasi/errno.js';
import { MemoryFs } from '../src/fs/memory.js';
import { FileType } from '../src/fs/types.js';
import { resolve, MAX_DEPTH } from '../src/fs/resolve.js';
import { WardenError } from '../src/errors.js';
import { conformance } from './fs-suite.js';
import { CREATE, W, memoryBackend, readAll, throwsErrno } from './fs-helpers.js';

conformance(memoryBackend);

describe('MemoryFs builder', () => {
  it('builds trees and reads them back', () => {
    const m = new MemoryFs().mkdirp('a/b/c').writeFile('a/b/f.txt', 'data').symlink('b/f.txt', 'a/l');
    assert.equal(Buffer.from(m.readFile('a/b/f.txt')).toString(), 'data');
    const a = m.root('a');
    assert.equal(a.readlinkChild('l'), 'b/f.txt');
    assert.equal(readAll(a.openDirChild('b'), 'f.txt'), 'data');
    m.writeFile('/a/b/f.txt', new Uint8Array([1, 2]));
    assert.deepEqual([...m.readFile('a/b/f.txt')], [1, 2]);
    assert.equal(m.root().lstatChild('a').filetype, FileType.DIRECTORY);
    for (const bad of [() => m.readFile('a'), () => m.root('a/b/f.txt'), () => m.writeFile('../x', ''), () => m.readFile('nope')]) {
      assert.throws(bad, WardenError);
    }
  });

  it('uses the injected clock for every timestamp', () => {
    let t = 100n;
    const m = new MemoryFs({ clock: () => t });
    const root = m.root();
    const f = root.openFileChild('f', CREATE);
    assert.equal(f.stat().mtimNs, 100n);
    t = 200n;
    f.pwrite(Buffer.from('x'), 0n);
    assert.equal(f.stat().mtimNs, 200n);
    assert.equal(f.stat().ctimNs, 200n);
    assert.equal(root.stat().mtimNs, 100n, 'writing a file leaves its directory alone');
    t = 300n;
    root.mkdirChild('d');
    assert.equal(root.stat().mtimNs, 300n, 'a new entry touches the directory');
    t = 400n;
    f.setTimes('now', undefined);
    assert.equal(f.stat().atimNs, 400n);
    assert.equal(f.stat().mtimNs, 200n);
    f.close();
  });

  it('counts directory links (2 + subdirectories) across mkdir, rename and rmdir', () => {
    const m = new MemoryFs().mkdirp('a/x').mkdirp('b');
    const root = m.root();
    assert.equal(root.lstatChild('a').nlink, 3n);
    root.openDirChild('a').renameChild('x', root.openDirChild('b'), 'x');
    assert.equal(root.lstatChild('a').nlink, 2n);
    assert.equal(root.lstatChild('b').nlink, 3n);
    assert.equal(root.stat().nlink, 4n);
    const removed = root.openDirChild('a');
    root.rmdirChild('a');
    assert.equal(removed.stat().nlink, 0n);
  });

  it('grows file data efficiently and correctly through many small writes', () => {
    const f = new MemoryFs().root().openFileChild('big', { ...W, create: true, read: true });
    const chunk = Buffer.from('0123456789abcdef');
    for (let i = 0; i < 20000; i++) f.append(chunk);
    assert.equal(f.stat().size, 320000n);
    const b = new Uint8Array(16);
    f.pread(b, 16n * 12345n);
    assert.equal(Buffer.from(b).toString(), '0123456789abcdef');
    f.close();
  });

  it('caps file size with EFBIG', () => {
    const f = new MemoryFs({ maxFileSize: 1024 }).root().openFileChild('f', CREATE);
    f.pwrite(new Uint8Array(1024), 0n);
    throwsErrno(() => f.pwrite(new Uint8Array(1), 1024n), Errno.FBIG, 'past the cap');
    throwsErrno(() => f.setSize(2048n), Errno.FBIG, 'setSize past the cap');
    f.close();
  });

  it('refuses rename and link between two memory filesystems with EXDEV', () => {
    const a = new MemoryFs().writeFile('f', 'x').root();
    const b = new MemoryFs().root();
    throwsErrno(() => a.renameChild('f', b, 'f'), Errno.XDEV, 'rename');
    throwsErrno(() => a.linkChild('f', b, 'f'), Errno.XDEV, 'link');
  });
});

describe('resolver depth cap', () => {
  it('stops a walk that would hold more than MAX_DEPTH directories open', () => {
    const m = new MemoryFs();
    const deep = (n: number) => Array(n).fill('a').join('/');
    m.mkdirp(deep(MAX_DEPTH + 10));
    m.symlink(deep(1500), 'l1'); // each link target stays under PATH_MAX
    m.symlink(deep(MAX_DEPTH - 1500 + 5), `${deep(1500)}/l2`);
    m.symlink(deep(MAX_DEPTH - 1500 - 10), `${deep(1500)}/l3`);
    const root = m.root();
    throwsErrno(() => resolve(root, 'l1/l2/x', { followFinal: true }), Errno.NAMETOOLONG, 'too deep');
    const r = resolve(root, 'l1/l3/x', { followFinal: true }); // just under the cap
    assert.equal(r.name, 'x');
    r.release();
  });
});
