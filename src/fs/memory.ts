// In-memory filesystem backend: a tree of inodes with POSIX semantics (hard links, symlinks,
// ns timestamps, rename(2) rules), plus a builder API (MemoryFs) for hosts and tests.
import { Errno, fail } from '../wasi/errno.js';
import { WardenError } from '../errors.js';
import {
  checkName, checkSymlinkTarget, nowNs, readPos, sizeArg, writePos, READONLY_ERRNO,
} from './common.js';
import {
  FileType, type DirEntry, type DirNode, type FileNode, type OpenFileOptions, type Stat, type TimeSpec,
} from './types.js';

let nextDev = 1n;

abstract class Inode {
  nlink = 1;
  atim: bigint;
  mtim: bigint;
  ctim: bigint;
  constructor(readonly fs: MemoryFs, readonly ino: bigint) {
    this.atim = this.mtim = this.ctim = fs.now();
  }
  abstract readonly filetype: number;
  abstract size(): bigint;
  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, filetype: this.filetype, nlink: BigInt(this.links()),
      size: this.size(), atimNs: this.atim, mtimNs: this.mtim, ctimNs: this.ctim,
    };
  }
  links(): number {
    return this.nlink;
  }
  touch(): void {
    this.mtim = this.ctim = this.fs.now();
  }
  setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    if (atim === undefined && mtim === undefined) return; // both omitted: nothing changes
    const now = this.fs.now();
    if (atim !== undefined) this.atim = atim === 'now' ? now : atim;
    if (mtim !== undefined) this.mtim = mtim === 'now' ? now : mtim;
    this.ctim = now;
  }
}

class MemFile extends Inode {
  readonly filetype = FileType.REGULAR_FILE;
  data = new Uint8Array(0);
  len = 0;
  size(): bigint {
    return BigInt(this.len);
  }
  /** Makes room for `end` bytes, growing capacity geometrically; new bytes are zero. */
  reserve(end: number): void {
    if (end > this.fs.maxFileSize) fail(Errno.FBIG, 'file too large');
    if (end <= this.data.length) return;
    const cap = Math.min(Math.max(end, this.data.length * 2, 64), Math.max(end, this.fs.maxFileSize));
    const next = new Uint8Array(cap);
    next.set(this.data.subarray(0, this.len));
    this.data = next;
  }
  resize(size: number): void {
    if (size < this.len) this.data.fill(0, size, this.len);
    else this.reserve(size);
    this.len = size;
  }
  write(buf: Uint8Array, pos: number): number {
    if (buf.length === 0) return 0;
    this.reserve(pos + buf.length);
    this.data.set(buf, pos);
    if (pos + buf.length > this.len) this.len = pos + buf.length;
    this.touch();
    return buf.length;
  }
}

class MemSymlink extends Inode {
  readonly filetype = FileType.SYMBOLIC_LINK;
  constructor(fs: MemoryFs, ino: bigint, readonly target: string) {
    super(fs, ino);
  }
  size(): bigint {
    return BigInt(Buffer.byteLength(this.target));
  }
}

class MemDir extends Inode {
  readonly filetype = FileType.DIRECTORY;
  readonly entries = new Map<string, Inode>();
  /** The directory holding this one (null for the tree root); dirs have exactly one parent. */
  parent: MemDir | null = null;
  /** Removed from the tree (rmdir'ed or replaced by rename): no new entries can be made. */
  removed = false;
  size(): bigint {
    return 4096n;
  }
  override links(): number {
    if (this.removed) return 0;
    let n = 2;
    for (const e of this.entries.values()) if (e instanceof MemDir) n++;
    return n;
  }
  get(name: string): Inode {
    const e = this.entries.get(name);
    if (!e) fail(Errno.NOENT, `${JSON.stringify(name)}: no such file or directory`);
    return e;
  }
  /** Adds an entry (the caller checked that `name` is free). */
  put(name: string, node: Inode): void {
    if (this.removed) fail(Errno.NOENT, 'directory was removed');
    this.entries.set(name, node);
    if (node instanceof MemDir) node.parent = this;
    this.touch();
  }
  drop(name: string): void {
    this.entries.delete(name);
    this.touch();
  }
  /** True if `d` is this directory or lies beneath it. */
  contains(d: MemDir): boolean {
    for (let p: MemDir | null = d; p; p = p.parent) if (p === this) return true;
    return false;
  }
}

/** Detaches `node` (already dropped from its directory) after its last name went away. */
function unlinked(node: Inode): void {
  if (node instanceof MemDir) {
    node.removed = true;
    node.parent = null;
  } else {
    node.nlink--;
  }
  node.ctim = node.fs.now();
}

export interface MemoryFsOptions {
  /** Clock for timestamps, in ns since the epoch (default: real time). */
  clock?: () => bigint;
  /** Largest size of one file in bytes (default 1 GiB); growing past it fails with EFBIG. */
  maxFileSize?: number;
}

/** An in-memory filesystem. Build trees with the helpers, then mount `root()` as a preopen. */
export class MemoryFs {
  readonly dev = nextDev++;
  readonly maxFileSize: number;
  private readonly clock: () => bigint;
  private nextIno = 1n;
  private readonly top: MemDir;

  constructor(opts: MemoryFsOptions = {}) {
    this.clock = opts.clock ?? nowNs;
    this.maxFileSize = opts.maxFileSize ?? 1 << 30;
    this.top = new MemDir(this, this.allocIno());
  }

  now(): bigint {
    return this.clock();
  }
  allocIno(): bigint {
    return this.nextIno++;
  }

  /** A DirNode for the directory at `path` (default: the tree root). */
  root(path = ''): DirNode {
    const d = this.lookup(path);
    if (!(d instanceof MemDir)) throw new WardenError('config', `memory fs: ${path} is not a directory`);
    return new MemDirNode(this, d);
  }

  /** Creates the directory `path` and any missing parents. */
  mkdirp(path: string): this {
    this.dirFor(this.parts(path), true);
    return this;
  }
  /** Writes a file (replacing its data), creating parent directories. */
  writeFile(path: string, data: string | Uint8Array): this {
    const parts = this.parts(path);
    const name = parts.pop();
    if (!name) throw new WardenError('config', 'memory fs: writeFile needs a file name');
    const dir = this.dirFor(parts, true);
    let f = dir.entries.get(name);
    if (!f) dir.put(name, (f = new MemFile(this, this.allocIno())));
    if (!(f instanceof MemFile)) throw new WardenError('config', `memory fs: ${path} is not a regular file`);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    f.resize(0);
    f.write(bytes, 0);
    return this;
  }
  /** Creates a symlink at `path` holding `target` (stored as is: the resolver judges it). */
  symlink(target: string, path: string): this {
    const parts = this.parts(path);
    const name = parts.pop();
    if (!name || target.length === 0) throw new WardenError('config', 'memory fs: symlink needs a name and a target');
    const dir = this.dirFor(parts, true);
    if (dir.entries.has(name)) throw new WardenError('config', `memory fs: ${path} exists`);
    dir.put(name, new MemSymlink(this, this.allocIno(), target));
    return this;
  }
  /** The contents of the regular file at `path` (a copy). */
  readFile(path: string): Uint8Array {
    const f = this.lookup(path);
    if (!(f instanceof MemFile)) throw new WardenError('config', `memory fs: ${path} is not a regular file`);
    return f.data.slice(0, f.len);
  }

  private parts(path: string): string[] {
    const parts = path.split('/').filter((p) => p.length > 0 && p !== '.');
    for (const p of parts) {
      if (p === '..') throw new WardenError('config', `memory fs: '..' not allowed in ${path}`);
      checkName(p);
    }
    return parts;
  }
  private dirFor(parts: string[], create: boolean): MemDir {
    let d = this.top;
    for (const p of parts) {
      let next = d.entries.get(p);
      if (!next && create) d.put(p, (next = new MemDir(this, this.allocIno())));
      if (!(next instanceof MemDir)) throw new WardenError('config', `memory fs: ${p} is not a directory`);
      d = next;
    }
    return d;
  }
  private lookup(path: string): Inode {
    const parts = this.parts(path);
    const name = parts.pop();
    const dir = this.dirFor(parts, false);
    if (name === undefined) return dir;
    const node = dir.entries.get(name);
    if (!node) throw new WardenError('config', `memory fs: ${path} does not exist`);
    return node;
  }
}

class MemDirNode implements DirNode {
  readonly kind = 'dir';
  readonly readOnly = false;
  private closed = false;
  constructor(readonly backend: MemoryFs, private readonly d: MemDir) {}

  private dir(): MemDir {
    if (this.closed) fail(Errno.BADF, 'directory is closed');
    return this.d;
  }
  private child(name: string): Inode {
    checkName(name);
    return this.dir().get(name);
  }
  /** Checks `name` is free for a new entry in a live directory. */
  private free(name: string): MemDir {
    checkName(name);
    const d = this.dir();
    if (d.entries.has(name)) fail(Errno.EXIST, `${JSON.stringify(name)} exists`);
    if (d.removed) fail(Errno.NOENT, 'directory was removed');
    return d;
  }
  /** The MemDir behind a destination DirNode of rename/link; refuses read-only and foreign ones. */
  private dest(destDir: DirNode): MemDir {
    if (destDir.readOnly) fail(READONLY_ERRNO, 'destination is read-only');
    if (!(destDir instanceof MemDirNode) || destDir.backend !== this.backend) fail(Errno.XDEV, 'cross-device link');
    return destDir.dir();
  }

  stat(): Stat {
    return this.dir().stat();
  }
  setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    this.dir().setTimes(atim, mtim);
  }
  sync(): void {
    this.dir();
  }
  readdir(): DirEntry[] {
    return [...this.dir().entries].map(([name, n]) => ({ name, ino: n.ino, filetype: n.filetype }));
  }
  close(): void {
    this.dir();
    this.closed = true;
  }
  lstatChild(name: string): Stat {
    return this.child(name).stat();
  }
  readlinkChild(name: string): string {
    const n = this.child(name);
    if (!(n instanceof MemSymlink)) fail(Errno.INVAL, 'not a symlink');
    return n.target;
  }
  openDirChild(name: string): DirNode {
    const n = this.child(name);
    if (n instanceof MemSymlink) fail(Errno.LOOP, `${JSON.stringify(name)} is a symlink`);
    if (!(n instanceof MemDir)) fail(Errno.NOTDIR, `${JSON.stringify(name)} is not a directory`);
    return new MemDirNode(this.backend, n);
  }
  openFileChild(name: string, opts: OpenFileOptions): FileNode {
    checkName(name);
    const d = this.dir();
    let n = d.entries.get(name);
    if (n && opts.create && opts.exclusive) fail(Errno.EXIST, `${JSON.stringify(name)} exists`);
    if (!n) {
      if (!opts.create) fail(Errno.NOENT, `${JSON.stringify(name)}: no such file or directory`);
      if (d.removed) fail(Errno.NOENT, 'directory was removed');
      d.put(name, (n = new MemFile(this.backend, this.backend.allocIno())));
    } else if (n instanceof MemSymlink) {
      fail(Errno.LOOP, `${JSON.stringify(name)} is a symlink`);
    } else if (n instanceof MemDir && (opts.write || opts.create || opts.truncate)) {
      fail(Errno.ISDIR, `${JSON.stringify(name)} is a directory`);
    }
    if (opts.truncate && n instanceof MemFile && n.len > 0) {
      n.resize(0);
      n.touch();
    }
    return new MemFileNode(n, opts);
  }
  mkdirChild(name: string): void {
    this.free(name).put(name, new MemDir(this.backend, this.backend.allocIno()));
  }
  rmdirChild(name: string): void {
    const n = this.child(name);
    if (!(n instanceof MemDir)) fail(Errno.NOTDIR, `${JSON.stringify(name)} is not a directory`);
    if (n.entries.size > 0) fail(Errno.NOTEMPTY, `${JSON.stringify(name)} is not empty`);
    this.dir().drop(name);
    unlinked(n);
  }
  unlinkChild(name: string): void {
    const n = this.child(name);
    if (n instanceof MemDir) fail(Errno.ISDIR, `${JSON.stringify(name)} is a directory`);
    this.dir().drop(name);
    unlinked(n);
  }
  symlinkChild(target: string, name: string): void {
    checkSymlinkTarget(target);
    this.free(name).put(name, new MemSymlink(this.backend, this.backend.allocIno(), target));
  }
  linkChild(name: string, destDir: DirNode, destName: string): void {
    const n = this.child(name);
    const dd = this.dest(destDir);
    checkName(destName);
    if (n instanceof MemDir) fail(Errno.PERM, 'hard link to a directory');
    if (dd.entries.has(destName)) fail(Errno.EXIST, `${JSON.stringify(destName)} exists`);
    dd.put(destName, n);
    n.nlink++;
    n.ctim = this.backend.now();
  }
  renameChild(name: string, destDir: DirNode, destName: string): void {
    const n = this.child(name);
    const dd = this.dest(destDir);
    checkName(destName);
    const sd = this.dir();
    const old = dd.entries.get(destName);
    if (old === n) return; // same inode: POSIX says do nothing
    if (n instanceof MemDir) {
      if (n.contains(dd)) fail(Errno.INVAL, 'cannot move a directory into itself');
      if (old && !(old instanceof MemDir)) fail(Errno.NOTDIR, `${JSON.stringify(destName)} is not a directory`);
      if (old instanceof MemDir && old.entries.size > 0) fail(Errno.NOTEMPTY, `${JSON.stringify(destName)} is not empty`);
    } else if (old instanceof MemDir) {
      fail(Errno.ISDIR, `${JSON.stringify(destName)} is a directory`);
    }
    if (dd.removed) fail(Errno.NOENT, 'directory was removed');
    sd.drop(name);
    if (old) unlinked(old);
    dd.put(destName, n);
    n.ctim = this.backend.now();
  }
  setTimesChild(name: string, atim: TimeSpec, mtim: TimeSpec): void {
    this.child(name).setTimes(atim, mtim);
  }
}

class MemFileNode implements FileNode {
  readonly kind = 'file';
  readonly readOnly = false;
  private closed = false;
  private readonly canRead: boolean;
  private readonly canWrite: boolean;
  private readonly appendMode: boolean;
  constructor(private readonly n: Inode, opts: OpenFileOptions) {
    this.canRead = opts.read || !opts.write;
    this.canWrite = opts.write;
    this.appendMode = opts.append;
  }
  private node(): Inode {
    if (this.closed) fail(Errno.BADF, 'file is closed');
    return this.n;
  }
  /** The regular file behind this node for data access (EISDIR on a directory), after the access check. */
  private file(write: boolean): MemFile {
    const n = this.node();
    if (write ? !this.canWrite : !this.canRead) fail(Errno.BADF, `file not open for ${write ? 'writing' : 'reading'}`);
    if (n instanceof MemDir) fail(Errno.ISDIR, 'is a directory');
    if (!(n instanceof MemFile)) fail(Errno.INVAL, 'not a regular file');
    return n;
  }

  stat(): Stat {
    return this.node().stat();
  }
  pread(buf: Uint8Array, position: bigint): number {
    const f = this.file(false);
    const pos = readPos(position, buf.length);
    if (pos === null || pos >= f.len) return 0;
    const n = Math.min(buf.length, f.len - pos);
    buf.set(f.data.subarray(pos, pos + n));
    return n;
  }
  pwrite(buf: Uint8Array, position: bigint): number {
    const f = this.file(true);
    // As Linux pwrite(2): on a file opened with O_APPEND the data goes to the end.
    return f.write(buf, this.appendMode ? writePos(f.size(), buf.length) : writePos(position, buf.length));
  }
  append(buf: Uint8Array): number {
    const f = this.file(true);
    return f.write(buf, writePos(f.size(), buf.length));
  }
  setSize(size: bigint): void {
    if (!this.canWrite && this.node()) fail(Errno.INVAL, 'file not open for writing'); // as ftruncate(2)
    const f = this.file(true);
    const s = sizeArg(size);
    if (s === f.len) return;
    f.resize(s);
    f.touch();
  }
  setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    this.node().setTimes(atim, mtim);
  }
  allocate(_offset: bigint, _len: bigint): void {
    this.node();
    // wasmtime 49 returns ENOTSUP for fd_allocate on every file (checked with a C guest).
    fail(Errno.NOTSUP, 'fd_allocate is not supported');
  }
  sync(): void {
    this.node();
  }
  datasync(): void {
    this.node();
  }
  close(): void {
    this.node();
    this.closed = true;
  }
}

