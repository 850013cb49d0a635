// Host directory backend, race-safe on Linux: every directory is held as an open fd and every
// child operation goes through `/proc/self/fd/N/<one name>` (the kernel jumps to the directory
// actually held, as openat(N, name) would), never following a symlink in that name.
import * as fs from 'node:fs';
import { Errno, WasiError, errnoOf, fail } from '../wasi/errno.js';
import { WardenError } from '../errors.js';
import {
  checkName, checkSymlinkTarget, readPos, sizeArg, writePos, READONLY_ERRNO,
} from './common.js';
import {
  FileType, type DirEntry, type DirNode, type FileNode, type OpenFileOptions, type Stat, type TimeSpec,
} from './types.js';

const C = fs.constants;
const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;
// O_NONBLOCK: opening a FIFO must never block the host thread (regular files ignore it).
// libuv adds O_CLOEXEC to every open on Linux.
const FILE_BASE_FLAGS = C.O_NOFOLLOW | C.O_NONBLOCK;
/** Most bytes one read/write moves (Linux MAX_RW_COUNT); larger requests are short, as POSIX allows. */
const MAX_IO = 0x7fff_f000;

/** The one backend identity shared by all host directories: rename/link between them is allowed. */
export const HOST_BACKEND = Object.freeze({ name: 'host' });

/** Runs a host call, turning any thrown host error into a WasiError (never a raw Node error). */
function host<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof WasiError) throw e;
    throw new WasiError(errnoOf(e), `${what}: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** What both fs.Stats and fs.Dirent can tell about a file's type. */
interface TypeInfo {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

function filetypeOf(s: TypeInfo): number {
  if (s.isFile()) return FileType.REGULAR_FILE;
  if (s.isDirectory()) return FileType.DIRECTORY;
  if (s.isSymbolicLink()) return FileType.SYMBOLIC_LINK;
  if (s.isCharacterDevice()) return FileType.CHARACTER_DEVICE;
  if (s.isBlockDevice()) return FileType.BLOCK_DEVICE;
  // FIFOs and Unix sockets in a directory: wasmtime 49's path_filestat_get reports both as
  // unknown (0), checked with a C guest; preview1 has no FIFO code.
  return FileType.UNKNOWN;
}

function toStat(s: fs.BigIntStats): Stat {
  return {
    dev: s.dev, ino: s.ino, filetype: filetypeOf(s), nlink: s.nlink, size: s.size,
    atimNs: s.atimeNs, mtimNs: s.mtimeNs, ctimNs: s.ctimeNs,
  };
}

/**
 * Whether this Node's libuv keeps nanoseconds when setting times: libuv >= 1.52 converts the seconds
 * double with `tv_nsec = trunc(frac(x) * 1e9)` (libuv PR #4951, Node 24); older ones (Node 20) truncate
 * to whole microseconds.
 */
const NS_UTIMES = (() => {
  const [major = 0, minor = 0] = process.versions.uv.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 52);
})();

/** What libuv >= 1.52 stores for the seconds double `d` (ns since the epoch). */
function storedNs(d: number): bigint {
  const whole = Math.trunc(d);
  return BigInt(whole) * 1_000_000_000n + BigInt(Math.trunc((d - whole) * 1e9));
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
/** The next double above a positive `d`. */
function nextUp(d: number): number {
  f64[0] = d;
  u64[0] = u64[0]! + 1n;
  return f64[0];
}

/**
 * ns -> seconds as Node's utimes family takes them (a double: ~238 ns apart at today's dates).
 * Host times are set to whole microseconds on every Node, as libuv < 1.52 (Node 20) stores them and
 * as wasmtime 49 gave here (M + 5 ns set through a symlink read back as M). Old libuv truncates the
 * double to µs: µs + 0.5 makes that land on the exact µs (a plain ns / 1e9 double came out 1 µs low
 * in 121 of 2000 random times). New libuv keeps ns: take the nearest double, or the next one up if
 * its truncation would land below the whole µs.
 */
function secs(ns: bigint): number {
  const us = ns / 1000n;
  if (!NS_UTIMES) return (Number(us) + 0.5) / 1e6;
  const target = us * 1000n;
  let d = Number(target / 1_000_000_000n) + Number(target % 1_000_000_000n) / 1e9;
  for (let i = 0; i < 4 && storedNs(d) < target; i++) d = nextUp(d);
  return d;
}

/** Resolves a TimeSpec pair into the two values to set, reading unchanged fields via `current`. */
function times(atim: TimeSpec, mtim: TimeSpec, current: () => fs.BigIntStats): [number, number] {
  const now = Date.now() / 1000;
  const cur = atim === undefined || mtim === undefined ? current() : null;
  const pick = (t: TimeSpec, old: bigint | undefined) => (t === 'now' ? now : secs(t ?? old!));
  return [pick(atim, cur?.atimeNs), pick(mtim, cur?.mtimeNs)];
}

/** A listed entry whose inode number is looked up on first use (lstat through the held dir). */
class HostDirEntry implements DirEntry {
  private inoValue: bigint | undefined;
  constructor(private readonly dir: HostDirNode, readonly name: string, readonly filetype: number) {}
  get ino(): bigint {
    if (this.inoValue === undefined) {
      try {
        // Through the node (EBADF once closed), so a reused fd number is never looked at.
        this.inoValue = this.dir.inoOfChild(this.name);
      } catch {
        this.inoValue = 0n; // vanished, closed or unreadable meanwhile
      }
    }
    return this.inoValue;
  }
}

abstract class HostNode {
  private fdv: number | null;
  constructor(fd: number) {
    this.fdv = fd;
  }
  protected get fd(): number {
    if (this.fdv === null) fail(Errno.BADF, 'closed');
    return this.fdv;
  }
  stat(): Stat {
    return host('fstat', () => toStat(fs.fstatSync(this.fd, { bigint: true })));
  }
  setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    const fd = this.fd;
    if (atim === undefined && mtim === undefined) return; // both omitted: nothing changes
    host('futimes', () => {
      const [a, m] = times(atim, mtim, () => fs.fstatSync(fd, { bigint: true }));
      fs.futimesSync(fd, a, m);
    });
  }
  sync(): void {
    const fd = this.fd;
    host('fsync', () => fs.fsyncSync(fd));
  }
  close(): void {
    const fd = this.fd;
    this.fdv = null; // closed exactly once, even if close(2) reports an error
    host('close', () => fs.closeSync(fd));
  }
}

class HostDirNode extends HostNode implements DirNode {
  readonly kind = 'dir';
  readonly backend = HOST_BACKEND;
  readonly readOnly = false;
  /** `/proc/self/fd/N/` of the held fd (built once: this is on every child operation's path). */
  private readonly prefix: string;
  constructor(fd: number) {
    super(fd);
    this.prefix = `/proc/self/fd/${fd}/`;
  }

  /** The magic path of child `name` of the held directory (as openat(fd, name)); EBADF once closed. */
  private at(name: string): string {
    checkName(name);
    void this.fd;
    return this.prefix + name;
  }
  private dest(destDir: DirNode, destName: string): string {
    if (destDir.readOnly) fail(READONLY_ERRNO, 'destination is read-only');
    if (!(destDir instanceof HostDirNode)) fail(Errno.XDEV, 'cross-device link');
    return destDir.at(destName);
  }

  /**
   * Entries with their types from the directory itself (d_type); each inode number is read
   * (lstat) only when asked for and then kept, so listing a big directory stays cheap. An entry
   * that vanished before its ino was asked for reports ino 0.
   */
  readdir(): DirEntry[] {
    const fd = this.fd;
    const dirents = host('readdir', () => fs.readdirSync(`/proc/self/fd/${fd}`, { withFileTypes: true }));
    return dirents.map((d) => new HostDirEntry(this, d.name, filetypeOf(d)));
  }
  lstatChild(name: string): Stat {
    const p = this.at(name);
    // throwIfNoEntry: a missing name (the common case of every create) costs no host Error.
    const st = host('lstat', () => fs.lstatSync(p, { bigint: true, throwIfNoEntry: false }));
    if (st === undefined) fail(Errno.NOENT, `lstat ${JSON.stringify(name)}: no such file or directory`);
    return toStat(st);
  }
  /** The inode number of child `name` (a number lstat, cheaper than a bigint one, unless the ino is too big for it). */
  inoOfChild(name: string): bigint {
    const p = this.at(name);
    const st = host('lstat', () => fs.lstatSync(p, { throwIfNoEntry: false }));
    if (st === undefined) fail(Errno.NOENT, `lstat ${JSON.stringify(name)}: no such file or directory`);
    return Number.isSafeInteger(st.ino) ? BigInt(st.ino) : this.lstatChild(name).ino;
  }
  readlinkChild(name: string): string {
    const p = this.at(name);
    return host('readlink', () => fs.readlinkSync(p));
  }
  openDirChild(name: string): DirNode {
    const p = this.at(name);
    let fd: number;
    try {
      fd = fs.openSync(p, DIR_FLAGS);
    } catch (e) {
      // Linux gives ENOTDIR (not ELOOP) for a symlink under O_DIRECTORY|O_NOFOLLOW: tell them apart.
      if (errnoOf(e) === Errno.NOTDIR) {
        let link = false;
        try {
          link = fs.lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
        } catch {
          /* report the open error */
        }
        if (link) fail(Errno.LOOP, `${JSON.stringify(name)} is a symlink`);
      }
      throw new WasiError(errnoOf(e), `open dir ${JSON.stringify(name)}: ${(e as Error).message}`);
    }
    return new HostDirNode(fd);
  }
  openFileChild(name: string, opts: OpenFileOptions): FileNode {
    const p = this.at(name);
    let flags = FILE_BASE_FLAGS | (opts.write ? (opts.read ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY);
    if (opts.create) flags |= C.O_CREAT;
    if (opts.create && opts.exclusive) flags |= C.O_EXCL;
    if (opts.truncate) flags |= C.O_TRUNC;
    if (opts.append) flags |= C.O_APPEND;
    const fd = host('open', () => fs.openSync(p, flags, 0o666));
    return new HostFileNode(fd, opts.append);
  }
  mkdirChild(name: string): void {
    const p = this.at(name);
    host('mkdir', () => fs.mkdirSync(p, 0o777));
  }
  rmdirChild(name: string): void {
    const p = this.at(name);
    host('rmdir', () => fs.rmdirSync(p));
  }
  unlinkChild(name: string): void {
    const p = this.at(name);
    host('unlink', () => fs.unlinkSync(p));
  }
  symlinkChild(target: string, name: string): void {
    checkSymlinkTarget(target);
    const p = this.at(name);
    host('symlink', () => fs.symlinkSync(target, p));
  }
  linkChild(name: string, destDir: DirNode, destName: string): void {
    const p = this.at(name);
    const q = this.dest(destDir, destName);
    // link(2) without AT_SYMLINK_FOLLOW: a symlink source is linked itself, never followed.
    host('link', () => fs.linkSync(p, q));
  }
  renameChild(name: string, destDir: DirNode, destName: string): void {
    const p = this.at(name);
    const q = this.dest(destDir, destName);
    host('rename', () => fs.renameSync(p, q));
  }
  setTimesChild(name: string, atim: TimeSpec, mtim: TimeSpec): void {
    const p = this.at(name);
    // lutimes = utimensat(AT_SYMLINK_NOFOLLOW): a symlink gets its own times set, never its target's.
    host('lutimes', () => {
      if (atim === undefined && mtim === undefined) return void fs.lstatSync(p); // still ENOENT if missing
      const [a, m] = times(atim, mtim, () => fs.lstatSync(p, { bigint: true }));
      fs.lutimesSync(p, a, m);
    });
  }
}

class HostFileNode extends HostNode implements FileNode {
  readonly kind = 'file';
  readonly readOnly = false;
  constructor(fd: number, private readonly appendMode: boolean) {
    super(fd);
  }
  pread(buf: Uint8Array, position: bigint): number {
    const fd = this.fd;
    const pos = readPos(position, buf.length);
    if (pos === null) return 0; // past anything a file can hold: EOF
    return host('pread', () => fs.readSync(fd, buf, 0, Math.min(buf.length, MAX_IO), pos));
  }
  pwrite(buf: Uint8Array, position: bigint): number {
    const fd = this.fd;
    const len = Math.min(buf.length, MAX_IO);
    const pos = writePos(position, len);
    return host('pwrite', () => fs.writeSync(fd, buf, 0, len, pos));
  }
  append(buf: Uint8Array): number {
    const fd = this.fd;
    return host('append', () => {
      // On an O_APPEND fd the kernel appends atomically; otherwise write at the current size.
      const len = Math.min(buf.length, MAX_IO);
      if (this.appendMode) return fs.writeSync(fd, buf, 0, len, null);
      return fs.writeSync(fd, buf, 0, len, writePos(fs.fstatSync(fd, { bigint: true }).size, len));
    });
  }
  setSize(size: bigint): void {
    const fd = this.fd;
    const s = sizeArg(size);
    host('ftruncate', () => fs.ftruncateSync(fd, s));
  }
  allocate(_offset: bigint, _len: bigint): void {
    void this.fd;
    // wasmtime 49 returns ENOTSUP for fd_allocate on every file (checked with a C guest).
    fail(Errno.NOTSUP, 'fd_allocate is not supported');
  }
  datasync(): void {
    const fd = this.fd;
    host('fdatasync', () => fs.fdatasyncSync(fd));
  }
}

/**
 * Opens the host directory `hostPath` as a preopen root (a symlink in `hostPath` itself is
 * followed: it is the host's own choice). A missing, non-directory or unreadable path is a
 * WardenError of kind 'host-dir'. Read-only mounts wrap the result (readonly.ts).
 */
export function openHostDir(hostPath: string): DirNode {
  if (process.platform !== 'linux' || !fs.existsSync('/proc/self/fd')) {
    throw new WardenError('host-dir', 'host directories need Linux with /proc mounted');
  }
  let fd: number;
  try {
    fd = fs.openSync(hostPath, C.O_RDONLY | C.O_DIRECTORY);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'does not exist'
      : code === 'ENOTDIR' ? 'is not a directory'
      : code === 'EACCES' || code === 'EPERM' ? 'is not readable'
      : `cannot be opened (${code ?? String(e)})`;
    throw new WardenError('host-dir', `host directory ${JSON.stringify(hostPath)} ${why}`, { path: hostPath, code });
  }
  try {
    // O_RDONLY on a directory without read permission can still succeed for root; check listing.
    fs.readdirSync(`/proc/self/fd/${fd}`);
  } catch (e) {
    fs.closeSync(fd);
    throw new WardenError('host-dir', `host directory ${JSON.stringify(hostPath)} is not readable`, { path: hostPath });
  }
  return new HostDirNode(fd);
}
