// Open file descriptions of a WASI context: each kind of fd is a class implementing the fd
// operations; the base class fails every operation with the errno wasmtime 49 gives for it.
import * as fs from 'node:fs';
import { Socket } from 'node:net';
import { isatty } from 'node:tty';
import { WardenError } from '../errors.js';
import { FileType, type DirEntry, type DirNode, type FileNode, type Stat, type TimeSpec } from '../fs/types.js';
import { Errno, WasiError, fail } from './errno.js';
import { FdFlags, REPORTED_RIGHTS, Whence } from './constants.js';
import { RunAbort, type InputSource, type OutputSink, type WasiOptions } from './options.js';
import { sleepNs, sleepWithin } from './sleep.js';

const EBADF = new WasiError(Errno.BADF);
const ESPIPE = new WasiError(Errno.SPIPE);

export const ZERO_STAT: Readonly<Stat> = Object.freeze({
  dev: 0n, ino: 0n, filetype: FileType.UNKNOWN, nlink: 0n, size: 0n, atimNs: 0n, mtimNs: 0n, ctimNs: 0n,
});

/**
 * Base of every open fd. Defaults (checked against wasmtime 49 with a C guest on stdio):
 * every operation EBADF, except seek/tell/pread/pwrite ESPIPE (overridden per kind).
 */
export abstract class Fd {
  abstract readonly filetype: number;
  /** fdstat flags (APPEND...). */
  fdflags = 0;
  abstract rights(): readonly [bigint, bigint];

  /** Reads into dst at the current position; returns bytes read (0 = EOF). */
  read(_dst: Uint8Array): number {
    throw EBADF;
  }
  /** Writes src at the current position; returns bytes written. */
  write(_src: Uint8Array): number {
    throw EBADF;
  }
  pread(_dst: Uint8Array, _pos: bigint): number {
    throw ESPIPE;
  }
  pwrite(_src: Uint8Array, _pos: bigint): number {
    throw ESPIPE;
  }
  seek(_offset: bigint, _whence: number): bigint {
    throw ESPIPE;
  }
  tell(): bigint {
    throw ESPIPE;
  }
  stat(): Stat {
    return ZERO_STAT;
  }
  setFlags(_flags: number): void {
    throw EBADF;
  }
  setSize(_size: bigint): void {
    throw EBADF;
  }
  setTimes(_atim: TimeSpec, _mtim: TimeSpec): void {
    throw EBADF;
  }
  advise(): void {
    throw EBADF;
  }
  allocate(): void {
    throw EBADF;
  }
  sync(): void {
    throw EBADF;
  }
  datasync(): void {
    throw EBADF;
  }
  /** Directory entries from `cookie` on (including "." and ".."), for fd_readdir. */
  readdirFrom(_cookie: bigint): { entries: readonly DirEntry[]; start: number } {
    throw EBADF;
  }
  /** The directory path_* calls resolve against. path_open on a non-dir gives ENOTDIR, other path_* EBADF. */
  dirNode(_forOpen: boolean): DirNode {
    throw EBADF;
  }
  /** fd_prestat_dir_name on anything that is not a preopen: ENOTDIR (wasmtime). */
  preopenName(): Uint8Array | undefined {
    return undefined;
  }
  /** poll_oneoff readiness for fd_read (nbytes available) or fd_write; throws to fail the whole call. */
  pollBytes(_write: boolean): bigint {
    return 1n;
  }
  close(): void {}
}

/** Guest stdin: bytes from the host, a host fd read synchronously, or immediate EOF. */
/**
 * A non-blocking open file description of host fd `fd` when it is a pipe or a terminal (Linux: opening
 * /proc/self/fd/N makes a new description of the same pipe or device, so O_NONBLOCK does not reach the
 * process that shares ours); -1 for anything else, whose reads then block.
 */
function reopenNonBlocking(fd: number): number {
  try {
    const st = fs.fstatSync(fd);
    if (st.isSocket()) return nonBlockingSocket(fd);
    if (!st.isFIFO() && !st.isCharacterDevice()) return -1;
    return fs.openSync(`/proc/self/fd/${fd}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return -1;
  }
}

/** Sockets made non-blocking, by fd (their handles are kept: closing one would close the fd). */
const socketHandles = new Map<number, Socket>();

/**
 * A socket cannot be reopened through /proc: it is made non-blocking itself (the description is this process's own
 * unless it was passed on), by libuv, which opening a net.Socket on it does at once; with `readable: false` libuv
 * never reads from it, so its bytes stay for our reads. The same fd back (not ours to close).
 */
function nonBlockingSocket(fd: number): number {
  if (!socketHandles.has(fd)) {
    const s = new Socket({ fd, readable: false, writable: false });
    s.unref();
    s.on('error', () => {});
    socketHandles.set(fd, s);
  }
  return fd;
}

export class StdinFd extends Fd {
  /** wasmtime: a character device when stdin is a terminal, else unknown. */
  readonly filetype: number;
  private pos = 0;
  private scratch: Buffer | undefined;
  /**
   * For a host fd that can block (a pipe or a terminal): our own non-blocking open file description of it
   * (Linux: /proc/self/fd/N; a socket: the fd itself, made non-blocking), so a read waits in slices and sees
   * the run's deadline; -1 when the fd cannot block (a regular file) or cannot be reopened (no /proc), then
   * reads block as before.
   */
  private nonBlocking: number | undefined;
  constructor(
    private readonly src: InputSource,
    /** Called before every read (flushes buffered guest output, e.g. a prompt). */
    private readonly beforeRead: () => void = () => {},
    /** The run's deadline: it bounds how long a read waits for input. */
    private readonly deadline?: WasiOptions['deadline'],
  ) {
    super();
    this.filetype = src.kind === 'fd' && isatty(src.fd) ? FileType.CHARACTER_DEVICE : FileType.UNKNOWN;
  }
  rights(): readonly [bigint, bigint] {
    return REPORTED_RIGHTS.stdin;
  }
  override read(dst: Uint8Array): number {
    const src = this.src;
    this.beforeRead();
    if (src.kind === 'none' || dst.length === 0) return 0;
    if (src.kind === 'bytes') {
      const n = Math.min(dst.length, src.data.length - this.pos);
      if (n <= 0) return 0;
      dst.set(src.data.subarray(this.pos, this.pos + n));
      this.pos += n;
      return n;
    }
    // Host fd: read into a host buffer (guest memory may be shared), then copy.
    const len = Math.min(dst.length, 1 << 16);
    if (!this.scratch || this.scratch.length < len) this.scratch = Buffer.allocUnsafe(Math.max(len, 4096));
    const deadline = this.deadline;
    const fd = deadline !== undefined ? (this.nonBlocking ??= reopenNonBlocking(src.fd)) : -1;
    let waitNs = 50_000n;
    for (;;) {
      try {
        const n = fs.readSync(fd >= 0 ? fd : src.fd, this.scratch, 0, len, null);
        dst.set(this.scratch.subarray(0, n));
        return n;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code === 'EAGAIN') {
          // No input yet: wait a little longer each time (up to 5 ms), never past the deadline.
          if (deadline !== undefined) sleepWithin(waitNs, deadline);
          else sleepNs(waitNs);
          if (waitNs < 5_000_000n) waitNs *= 2n;
          continue;
        }
        if (code === 'EOF') return 0;
        throw e;
      }
    }
  }
  override close(): void {
    if (this.nonBlocking !== undefined && this.nonBlocking >= 0 && !socketHandles.has(this.nonBlocking)) fs.closeSync(this.nonBlocking);
    this.nonBlocking = undefined;
  }
  /** wasmtime: fd_pwrite on stdin is EBADF (not writable) before ESPIPE. */
  override pwrite(): number {
    throw EBADF;
  }
  /** fd_write on stdin: EBADF for the whole poll_oneoff (wasmtime 49). */
  override pollBytes(write: boolean): bigint {
    if (write) throw EBADF;
    if (this.src.kind === 'bytes') return BigInt(this.src.data.length - this.pos);
    return this.src.kind === 'none' ? 0n : 1n;
  }
}

/** Guest stdout/stderr: chunks go to the host's sink; past `cap` bytes the run ends (output-limit). */
export class OutputFd extends Fd {
  /** wasmtime: a character device when the output is a terminal, else unknown. */
  readonly filetype: number;
  written = 0;
  constructor(
    private readonly sink: OutputSink,
    private readonly cap: number,
    private readonly stream: 'stdout' | 'stderr',
    /** The other output stream's sink: flushed before each write here, so their order holds. */
    private readonly other?: OutputSink,
  ) {
    super();
    this.filetype = sink.isTTY ? FileType.CHARACTER_DEVICE : FileType.UNKNOWN;
  }
  rights(): readonly [bigint, bigint] {
    return REPORTED_RIGHTS.output;
  }
  /** wasmtime: fd_pread on stdout/stderr is EBADF (not readable) before ESPIPE. */
  override pread(): number {
    throw EBADF;
  }
  /** fd_read on stdout/stderr: EBADF for the whole poll_oneoff (wasmtime 49). */
  override pollBytes(write: boolean): bigint {
    if (!write) throw EBADF;
    return 1n;
  }
  override write(src: Uint8Array): number {
    this.other?.flush?.();
    const room = this.cap - this.written;
    if (src.length <= room) {
      this.written += src.length;
      if (src.length > 0) this.sink.write(src);
      return src.length;
    }
    if (room > 0) {
      this.written = this.cap;
      this.sink.write(src.subarray(0, room));
    }
    throw new RunAbort(
      new WardenError('output-limit', `${this.stream} exceeded its limit of ${this.cap} bytes`, {
        stream: this.stream,
        limit: this.cap,
      }),
    );
  }
}

/** The fdflags a file fd keeps and reports in fd_fdstat_get (wasmtime 49 reports NONBLOCK too). */
const KEPT_FDFLAGS = FdFlags.APPEND | FdFlags.NONBLOCK;

/** A regular file opened by path_open: a FileNode with this fd's own offset and mode. */
export class FileFd extends Fd {
  readonly filetype: number;
  private pos = 0n;
  constructor(
    private readonly node: FileNode,
    private readonly readable: boolean,
    private readonly writable: boolean,
    fdflags: number,
    /** As seen when it was opened (saves a stat per open). */
    filetype: number,
  ) {
    super();
    this.fdflags = fdflags & KEPT_FDFLAGS;
    this.filetype = filetype;
  }
  rights(): readonly [bigint, bigint] {
    if (!this.writable) return REPORTED_RIGHTS.fileReadOnly;
    return this.readable ? REPORTED_RIGHTS.fileReadWrite : REPORTED_RIGHTS.fileWriteOnly;
  }
  override read(dst: Uint8Array): number {
    if (!this.readable) throw EBADF;
    const n = this.node.pread(dst, this.pos);
    this.pos += BigInt(n);
    return n;
  }
  override write(src: Uint8Array): number {
    if (!this.writable) throw EBADF;
    if (this.fdflags & FdFlags.APPEND) {
      const n = this.node.append(src);
      this.pos = this.node.stat().size;
      return n;
    }
    const n = this.node.pwrite(src, this.pos);
    this.pos += BigInt(n);
    return n;
  }
  override pread(dst: Uint8Array, pos: bigint): number {
    if (!this.readable) throw EBADF;
    return this.node.pread(dst, pos);
  }
  /** wasmtime 49: pwrite on an APPEND fd appends (as Linux pwrite with O_APPEND) and leaves the offset. */
  override pwrite(src: Uint8Array, pos: bigint): number {
    if (!this.writable) throw EBADF;
    if (this.fdflags & FdFlags.APPEND) return this.node.append(src);
    return this.node.pwrite(src, pos);
  }
  /** A resulting negative offset is EINVAL; seeking past the end is allowed. */
  override seek(offset: bigint, whence: number): bigint {
    let base: bigint;
    if (whence === Whence.SET) base = 0n;
    else if (whence === Whence.CUR) base = this.pos;
    else if (whence === Whence.END) base = this.node.stat().size;
    else fail(Errno.INVAL, 'bad whence');
    const next = base + offset;
    if (next < 0n || next >= 1n << 63n) fail(Errno.INVAL, 'seek out of range');
    this.pos = next;
    return next;
  }
  override tell(): bigint {
    return this.pos;
  }
  override stat(): Stat {
    return this.node.stat();
  }
  /** APPEND and NONBLOCK (kept, reported, no effect on a file) are accepted; DSYNC/RSYNC/SYNC are EINVAL (wasmtime). */
  override setFlags(flags: number): void {
    if (flags & (FdFlags.DSYNC | FdFlags.RSYNC | FdFlags.SYNC)) fail(Errno.INVAL, 'sync flags cannot be set');
    this.fdflags = flags & KEPT_FDFLAGS;
  }
  /**
   * wasmtime: fd_filestat_set_size on a read-only fd is EINVAL, but on a file of a read-only
   * mount EPERM (the mount's refusal comes first).
   */
  override setSize(size: bigint): void {
    if (!this.writable && !this.node.readOnly) fail(Errno.INVAL, 'file not open for writing');
    this.node.setSize(size);
  }
  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    this.node.setTimes(atim, mtim);
  }
  override advise(): void {}
  /** wasmtime 49 implements fd_allocate as ENOTSUP for every file. */
  override allocate(): void {
    fail(Errno.NOTSUP, 'fd_allocate is not supported');
  }
  override sync(): void {
    this.node.sync();
  }
  override datasync(): void {
    this.node.datasync();
  }
  /** fd_readdir on a file: EBADF (default); path_open relative to a file: ENOTDIR. */
  override dirNode(forOpen: boolean): DirNode {
    throw new WasiError(forOpen ? Errno.NOTDIR : Errno.BADF);
  }
  override pollBytes(write: boolean): bigint {
    if (write) return 1n;
    const size = this.node.stat().size;
    return size > this.pos ? size - this.pos : 0n;
  }
  override close(): void {
    this.node.close();
  }
}

/**
 * A DirNode shared by the fds that refer to it (path_open of "." gives a second fd on the same
 * node). It is closed when the last fd goes, and never if the caller owns it (a preopen root).
 */
export class DirHandle {
  private refs = 1;
  constructor(
    readonly node: DirNode,
    private readonly owned: boolean,
  ) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0 && this.owned) this.node.close();
  }
}

/** An open directory. */
export class DirFd extends Fd {
  readonly filetype = FileType.DIRECTORY;
  /** Snapshot of the listing taken when a readdir starts at cookie 0. */
  private listing: DirEntry[] | undefined;
  readonly dir: DirNode;
  private closed = false;
  constructor(readonly handle: DirHandle) {
    super();
    this.dir = handle.node;
  }
  rights(): readonly [bigint, bigint] {
    return REPORTED_RIGHTS.dir;
  }
  override seek(): bigint {
    throw EBADF;
  }
  override tell(): bigint {
    throw EBADF;
  }
  override pread(): number {
    throw EBADF;
  }
  override pwrite(): number {
    throw EBADF;
  }
  override stat(): Stat {
    return this.dir.stat();
  }
  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    this.dir.setTimes(atim, mtim);
  }
  /**
   * wasmtime lists "." and ".." first (both with the directory's own inode), then the entries;
   * cookie i = index of the next entry. The listing is cached until a read from cookie 0.
   */
  override readdirFrom(cookie: bigint): { entries: readonly DirEntry[]; start: number } {
    if (cookie === 0n || this.listing === undefined) {
      const ino = this.dir.stat().ino;
      this.listing = [
        { name: '.', ino, filetype: FileType.DIRECTORY },
        { name: '..', ino, filetype: FileType.DIRECTORY },
        ...this.dir.readdir(),
      ];
    }
    const start = cookie > BigInt(this.listing.length) ? this.listing.length : Number(cookie);
    return { entries: this.listing, start };
  }
  override dirNode(): DirNode {
    return this.dir;
  }
  /** wasmtime: a poll_oneoff subscription on a directory fails the call with EBADF. */
  override pollBytes(): bigint {
    throw EBADF;
  }
  override close(): void {
    this.listing = undefined;
    if (!this.closed) {
      this.closed = true;
      this.handle.release();
    }
  }
}

/** A preopened directory: a DirFd the caller owns, with a name for fd_prestat_dir_name. */
export class PreopenFd extends DirFd {
  private readonly name: Uint8Array;
  constructor(dir: DirNode, guestPath: string) {
    super(new DirHandle(dir, false));
    this.name = new TextEncoder().encode(guestPath);
  }
  override rights(): readonly [bigint, bigint] {
    return REPORTED_RIGHTS.preopen;
  }
  override preopenName(): Uint8Array {
    return this.name;
  }
  /**
   * wasmtime 49: fd_filestat_set_times on a preopen is EBADF (on a directory opened by path_open
   * it works), but on a read-only preopen EPERM (the mount's refusal comes first).
   */
  override setTimes(atim: TimeSpec, mtim: TimeSpec): void {
    if (this.dir.readOnly) return this.dir.setTimes(atim, mtim); // refuses with READONLY_ERRNO
    throw EBADF;
  }
}
