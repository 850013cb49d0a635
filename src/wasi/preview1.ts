// The wasi_snapshot_preview1 functions: ONE table of definitions (name, params for --trace
// decoding, outputs, handler) from which the import object and the trace are both built.
// Spec: https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md
// Errno cases marked "wasmtime:" were checked against wasmtime 49 with raw-call C guests.
import { FileType, type DirNode, type Stat, type TimeSpec } from '../fs/types.js';
import { PATH_MAX, resolve, type Resolved } from '../fs/resolve.js';
import { READONLY_ERRNO } from '../fs/common.js';
import { Errno, WasiError, fail } from './errno.js';
import {
  Advice, ClockId, EventType, FDFLAGS_ALL, FdFlags, FSTFLAGS_ALL, FstFlags, LOOKUPFLAGS_ALL, LookupFlags, OFLAGS_ALL, OFlags,
  RIGHTS_ALL, Rights, SIZE, SubClockFlags, Whence,
} from './constants.js';
import { DirFd, DirHandle, FileFd, type Fd } from './fds.js';
import type { FdTable } from './fd-table.js';
import type { GuestMemory } from './memory.js';
import { ProcExit, RunAbort } from './options.js';
import { WardenError } from '../errors.js';

/** What the handlers work on: the state of one WASI context. */
export interface WasiState {
  readonly mem: GuestMemory;
  readonly fds: FdTable;
  /** NUL-terminated args, concatenated, and each one's offset in it. */
  readonly args: EncodedList;
  readonly env: EncodedList;
  /** Clock resolution (ClockPolicy.resolutionNs, default 1000). */
  readonly clockResNs: bigint;
  readonly randomFill: (buf: Uint8Array) => void;
  /** Writes out guest output that a sink still holds (poll_oneoff: the guest may wait a while). */
  readonly flushOutput: () => void;
  /** Blocks the thread for `ns` nanoseconds (poll_oneoff clock subscriptions). */
  readonly sleep: (ns: bigint) => void;
}

export interface EncodedList {
  blob: Uint8Array;
  offsets: number[];
}

/** How --trace prints a parameter. 'path' consumes two params (ptr, len) and prints the string. */
export type ParamKind =
  | 'fd' | 'u32' | 'ptr' | 'u64' | 'i64' | 'path' | 'oflags' | 'fdflags' | 'lookupflags' | 'fstflags'
  | 'rights' | 'whence' | 'clockid' | 'advice' | 'signal' | 'exitcode';
/** An output the guest gets through a pointer: name, kind, index of the pointer param. */
export type Output = readonly [name: string, kind: 'u32' | 'u64' | 'fd', param: number];

type Handler = (s: WasiState, a: any, b: any, c: any, d: any, e: any, f: any, g: any, h: any, i: any) => number;

export interface FunctionDef {
  readonly name: string;
  /** Parameter names and kinds, in order ('path' covers ptr+len). */
  readonly params: readonly (readonly [string, ParamKind])[];
  /** Values written through pointers on success, for --trace. */
  readonly outputs: readonly Output[];
  readonly handler: Handler;
  /** The function returns nothing (proc_exit); every other one returns its errno as an i32. */
  readonly noResult?: true;
}

/** The wasm type of each parameter kind ('path' is a pointer and a length: two i32). */
const WASM_TYPES: Record<ParamKind, readonly ('i32' | 'i64')[]> = {
  fd: ['i32'], u32: ['i32'], ptr: ['i32'], u64: ['i64'], i64: ['i64'], path: ['i32', 'i32'], oflags: ['i32'],
  fdflags: ['i32'], lookupflags: ['i32'], fstflags: ['i32'], rights: ['i64'], whence: ['i32'], clockid: ['i32'],
  advice: ['i32'], signal: ['i32'], exitcode: ['i32'],
};

/** The core wasm signature of a preview1 function, derived from its definition. */
export function wasmSignature(def: FunctionDef): { params: ('i32' | 'i64')[]; results: ('i32' | 'i64')[] } {
  return { params: def.params.flatMap(([, kind]) => WASM_TYPES[kind]), results: def.noResult ? [] : ['i32'] };
}

const OK = Errno.SUCCESS;
const EINVAL = new WasiError(Errno.INVAL);

// ---------------------------------------------------------------- helpers

function writeStat(mem: GuestMemory, ptr: number, st: Stat): void {
  const b = mem.bytes(ptr, SIZE.filestat);
  b.fill(0);
  const dv = mem.dv;
  const p = ptr >>> 0;
  dv.setBigUint64(p, st.dev, true);
  dv.setBigUint64(p + 8, st.ino, true);
  dv.setUint8(p + 16, st.filetype);
  dv.setBigUint64(p + 24, st.nlink, true);
  dv.setBigUint64(p + 32, st.size, true);
  dv.setBigUint64(p + 40, st.atimNs, true);
  dv.setBigUint64(p + 48, st.mtimNs, true);
  dv.setBigUint64(p + 56, st.ctimNs, true);
}

// Unknown bits in any flags argument (oflags, fdflags, fstflags, lookupflags, rights): EINVAL,
// the same rule everywhere. wasmtime 49 traps on them ("Invalid flags value"), so no toolchain
// whose programs run there sets them; an errno keeps the host's promise of never trapping on input.

/** lookupflags → follow the final symlink?; EINVAL on unknown bits. */
function followOf(flags: number): boolean {
  if (flags & ~LOOKUPFLAGS_ALL) throw EINVAL;
  return (flags & LookupFlags.SYMLINK_FOLLOW) !== 0;
}

/** EINVAL if a rights value has bits beyond the 29 preview1 rights. */
function checkRights(rights: bigint): void {
  if (BigInt.asUintN(64, rights) & ~RIGHTS_ALL) throw EINVAL;
}

/**
 * wasmtime 49's path_filestat_get without SYMLINK_FOLLOW takes a path that is one name followed
 * by slashes ("x/", "x//") as that name (its own lstat, no directory check), while a longer path
 * with a trailing slash ("./x/", "d/x/") follows and must end at a directory (checked with a C
 * guest: "dlink/" SYMBOLIC_LINK, "file/" REGULAR_FILE, "./file/" and "dir/flink/" ENOTDIR).
 */
function singleNameOf(path: string): string {
  const m = /^([^/]+)\/+$/.exec(path);
  return m && m[1] !== '.' && m[1] !== '..' ? m[1]! : path;
}

/** fstflags → the two TimeSpecs; EINVAL on unknown bits or both X and X_NOW (wasmtime). */
function timeSpecs(atim: bigint, mtim: bigint, flags: number): [TimeSpec, TimeSpec] {
  if (flags & ~FSTFLAGS_ALL) throw EINVAL;
  if ((flags & FstFlags.ATIM && flags & FstFlags.ATIM_NOW) || (flags & FstFlags.MTIM && flags & FstFlags.MTIM_NOW)) {
    throw EINVAL;
  }
  const a: TimeSpec = flags & FstFlags.ATIM_NOW ? 'now' : flags & FstFlags.ATIM ? BigInt.asUintN(64, atim) : undefined;
  const m: TimeSpec = flags & FstFlags.MTIM_NOW ? 'now' : flags & FstFlags.MTIM ? BigInt.asUintN(64, mtim) : undefined;
  return [a, m];
}

/** Resolves a guest path beneath the directory of `fd` (non-dir fd: EBADF), runs fn, releases. */
function withPath<T>(s: WasiState, fd: number, ptr: number, len: number, follow: boolean, fn: (r: Resolved) => T, edit?: (path: string) => string): T {
  const dir = s.fds.get(fd).dirNode(false);
  const path = pathString(s.mem, ptr, len);
  const r = resolve(dir, edit ? edit(path) : path, { followFinal: follow });
  try {
    return fn(r);
  } finally {
    r.release();
  }
}

/**
 * A path (or symlink target) from the guest: EFAULT out of bounds, ENAMETOOLONG from PATH_MAX
 * bytes on (before decoding, so a hostile length never makes the host build a huge string),
 * EILSEQ if not UTF-8.
 */
function pathString(mem: GuestMemory, ptr: number, len: number): string {
  mem.check(ptr, len);
  if (len >>> 0 >= PATH_MAX) fail(Errno.NAMETOOLONG, 'path too long');
  return mem.string(ptr, len);
}

function lstatOrUndefined(dir: DirNode, name: string): Stat | undefined {
  try {
    return dir.lstatChild(name);
  } catch (e) {
    if (e instanceof WasiError && e.errno === Errno.NOENT) return undefined;
    throw e;
  }
}

/** The final name's stat as the resolver saw it (it looks when following or on "x/"), else an lstat. */
function finalStatOf(r: Resolved): Stat | undefined {
  return r.finalStat === undefined ? lstatOrUndefined(r.dir, r.name) : r.finalStat ?? undefined;
}

/**
 * "x/" for calls that take a path that must name a directory (readlink, set_times) or a new name
 * (symlink, link): wasmtime 49 gives ENOTDIR when x (followed) is not a directory; for a new
 * name, a missing x is ENOENT and a directory EEXIST.
 */
function checkSlash(r: Resolved, newName: boolean): void {
  if (!r.trailingSlash || r.name === '.') return;
  const st = finalStatOf(r);
  if (st === undefined) {
    if (newName) fail(Errno.NOENT);
  } else if (st.filetype !== FileType.DIRECTORY) {
    fail(Errno.NOTDIR);
  } else if (newName) {
    fail(Errno.EXIST);
  }
}

/**
 * The path without trailing slashes, for mkdir and rename: wasmtime 49 acts on the final name
 * itself there, never through a symlink named "x/" (`mkdir dangling/`: EEXIST; `rename(ldir/ ->
 * y)`: ENOTDIR; `rename(file -> ldir/)` replaces the link). A path of slashes only stays (EPERM).
 */
function noTrailingSlash(path: string): string {
  const t = path.replace(/\/+$/, '');
  return t.length > 0 ? t : path;
}

const EMPTY = new Uint8Array(0);

/**
 * Iterates the iovecs (already checked) calling io(view) until a short transfer; returns the total.
 * io is called even for empty iovecs (and once for none) so that a wrong-direction or unseekable
 * fd fails as in wasmtime (e.g. fd_pwrite of 0 bytes on stdin: EBADF).
 */
const READ = 0;
const WRITE = 1;
const PREAD = 2;
const PWRITE = 3;

/** One transfer on fd (a switch, not a closure: this is the hot path of fd_read/fd_write). */
function io(f: Fd, mode: number, view: Uint8Array, pos: bigint, done: number): number {
  switch (mode) {
    case READ:
      return f.read(view);
    case WRITE:
      return f.write(view);
    case PREAD:
      return f.pread(view, pos + BigInt(done));
    default:
      return f.pwrite(view, pos + BigInt(done));
  }
}

function transfer(mem: GuestMemory, iovs: number, count: number, f: Fd, mode: number, pos: bigint): number {
  const dv = mem.dv;
  const u8 = mem.u8;
  count >>>= 0;
  if (count === 0) return io(f, mode, EMPTY, pos, 0);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const p = (iovs >>> 0) + i * 8;
    const buf = dv.getUint32(p, true);
    const len = dv.getUint32(p + 4, true);
    const n = io(f, mode, len === 0 ? EMPTY : u8.subarray(buf, buf + len), pos, total);
    total += n;
    if (n < len) break;
  }
  return total;
}

function prepareIo(mem: GuestMemory, iovs: number, count: number, outPtr: number): void {
  mem.checkIovecs(iovs, count);
  mem.check(outPtr, 4);
}

// ---------------------------------------------------------------- clocks

const hrtime = process.hrtime.bigint;
const perf = globalThis.performance;

/** Current time of a clock in ns. Process/thread CPU time come from process.cpuUsage(). */
function clockNow(id: number): bigint {
  switch (id) {
    case ClockId.REALTIME:
      return BigInt(Math.round((perf.timeOrigin + perf.now()) * 1000)) * 1000n;
    case ClockId.MONOTONIC:
      return hrtime();
    case ClockId.PROCESS_CPUTIME_ID:
    case ClockId.THREAD_CPUTIME_ID: {
      const u = process.cpuUsage();
      return BigInt(u.user + u.system) * 1000n;
    }
    default:
      throw EINVAL;
  }
}

// ---------------------------------------------------------------- path_open

/**
 * path_open(fd, dirflags, path, oflags, rights_base, rights_inheriting, fdflags) -> fd
 * wasmtime 49 (checked): requested rights are not enforced; FD_WRITE in rights_base opens for
 * writing, FD_READ (or no FD_WRITE) for reading. DIRECTORY with CREAT or TRUNC: EINVAL.
 * fdflags DSYNC/RSYNC/SYNC: ENOTSUP. A directory with write rights, CREAT or TRUNC: EISDIR (also
 * with O_DIRECTORY). O_DIRECTORY on a file: ENOTDIR; "file/": ENOTDIR; "new/" with CREAT: EISDIR.
 * CREAT|EXCL on anything existing (also a dangling symlink): EEXIST. A symlink as final
 * component without SYMLINK_FOLLOW: ELOOP. Empty path: ENOENT; absolute or escaping: EPERM.
 * From a regular file fd: ENOTDIR; from stdio: EBADF.
 */
function pathOpen(
  s: WasiState, fd: number, dirflags: number, pathPtr: number, pathLen: number, oflags: number,
  rightsBase: bigint, rightsInheriting: bigint, fdflags: number, outPtr: number,
): number {
  const base = s.fds.get(fd);
  const dir = base.dirNode(true);
  if (oflags & ~OFLAGS_ALL || fdflags & ~FDFLAGS_ALL || dirflags & ~LOOKUPFLAGS_ALL) throw EINVAL;
  checkRights(rightsBase);
  checkRights(rightsInheriting);
  // DIRECTORY with CREAT, TRUNC or EXCL (even without CREAT): EINVAL whatever the path (wasmtime 49).
  if (oflags & OFlags.DIRECTORY && oflags & (OFlags.CREAT | OFlags.TRUNC | OFlags.EXCL)) throw EINVAL;
  if (fdflags & (FdFlags.DSYNC | FdFlags.RSYNC | FdFlags.SYNC)) fail(Errno.NOTSUP, 'sync fdflags are not supported');
  s.mem.check(outPtr, 4);
  const path = pathString(s.mem, pathPtr, pathLen);
  const askWrite = (BigInt.asUintN(64, rightsBase) & Rights.FD_WRITE) !== 0n;
  const read = (BigInt.asUintN(64, rightsBase) & Rights.FD_READ) !== 0n || !askWrite;
  const create = (oflags & OFlags.CREAT) !== 0;
  const excl = create && (oflags & OFlags.EXCL) !== 0;
  const trunc = (oflags & OFlags.TRUNC) !== 0;
  // wasmtime 49 opens for writing whenever CREAT or TRUNC is given, FD_WRITE requested or not.
  const write = askWrite || create || trunc;
  const wantDir = (oflags & OFlags.DIRECTORY) !== 0;
  const follow = (dirflags & LookupFlags.SYMLINK_FOLLOW) !== 0 && !excl;
  // wasmtime 49 checks a read-only mount before any lookup: writing, creating or truncating is
  // EPERM there whatever the path names (a directory too, where a writable mount gives EISDIR).
  if (dir.readOnly && (write || create || trunc)) fail(READONLY_ERRNO, 'read-only mount');
  // APPEND is kept by the FileFd (fd_fdstat_set_flags can clear it), not by the backend's open mode.
  const fileOpts = { read, write, create, exclusive: excl, truncate: trunc, append: false };

  for (let attempt = 0; ; attempt++) {
    const r = resolve(dir, path, { followFinal: follow });
    let kept = false;
    try {
      let opened: Fd;
      if (r.name === '.') {
        if (excl) fail(Errno.EXIST);
        if (write || create || trunc) fail(Errno.ISDIR);
        if (r.dir === dir && base instanceof DirFd) {
          opened = new DirFd(base.handle.retain());
        } else {
          opened = new DirFd(new DirHandle(r.dir, true));
          kept = true;
        }
      } else if (excl && !r.trailingSlash && !wantDir && !r.dir.readOnly) {
        // O_CREAT|O_EXCL never follows and fails with EEXIST on anything existing (also a dangling
        // symlink): the backend's exclusive create decides, no lstat first.
        opened = new FileFd(r.dir.openFileChild(r.name, fileOpts), read, write, fdflags, FileType.REGULAR_FILE);
      } else {
        // CREAT with a trailing slash: EISDIR whatever the name is (file, dir, missing; wasmtime 49).
        if (create && r.trailingSlash) fail(Errno.ISDIR);
        const st = r.finalStat === undefined ? lstatOrUndefined(r.dir, r.name) : r.finalStat ?? undefined;
        if (st === undefined) {
          if (!create) fail(Errno.NOENT);
          if (r.trailingSlash) fail(Errno.ISDIR);
          opened = new FileFd(r.dir.openFileChild(r.name, fileOpts), read, write, fdflags, FileType.REGULAR_FILE);
        } else if (st.filetype === FileType.DIRECTORY) {
          if (excl) fail(Errno.EXIST);
          if (write || create || trunc) fail(Errno.ISDIR);
          opened = new DirFd(new DirHandle(r.dir.openDirChild(r.name), true));
        } else if (st.filetype === FileType.SYMBOLIC_LINK) {
          if (excl) fail(Errno.EXIST);
          // Without follow: ELOOP as O_NOFOLLOW. With follow it is a race (the resolver saw no link): retry.
          if (follow && attempt < 3) continue;
          fail(Errno.LOOP);
        } else {
          if (wantDir || r.trailingSlash) fail(Errno.NOTDIR);
          if (excl) fail(Errno.EXIST);
          opened = new FileFd(r.dir.openFileChild(r.name, fileOpts), read, write, fdflags, st.filetype);
        }
      }
      const newFd = s.fds.add(opened);
      s.mem.setU32(outPtr, newFd);
      return OK;
    } catch (e) {
      // The backend opens with no-follow: a symlink swapped in since the lstat gives ELOOP. Retry.
      if (follow && attempt < 3 && e instanceof WasiError && e.errno === Errno.LOOP) continue;
      throw e;
    } finally {
      if (!kept) r.release();
    }
  }
}

// ---------------------------------------------------------------- poll_oneoff

/**
 * poll_oneoff(in, out, nsubscriptions) -> nevents
 * subscription (48 bytes): userdata u64 @0, tag u8 @8, clock {id u32 @16, timeout u64 @24,
 * precision u64 @32, flags u16 @40} | fd_readwrite {fd u32 @16}.
 * event (32 bytes): userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24.
 * wasmtime: nsubscriptions 0: EINVAL; unknown tag, clock id or subclockflags bit, or a CPU-time
 * clock: EINVAL; a subscription on a closed fd or a directory, fd_write on stdin or fd_read on
 * stdout/stderr: EBADF for the whole call. All our fds are always ready (also fd_read on a
 * write-only file, as wasmtime 49), so fd events are returned at once; otherwise the thread sleeps until the earliest clock deadline,
 * and every clock due by then is reported.
 */
function pollOneoff(s: WasiState, inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
  const mem = s.mem;
  s.flushOutput();
  nsubs >>>= 0;
  if (nsubs === 0) throw EINVAL;
  mem.check(inPtr, nsubs * SIZE.subscription);
  mem.check(outPtr, nsubs * SIZE.event);
  mem.check(neventsPtr, 4);
  // Subscriptions are read from a copy if the guest made them overlap the events it asked for.
  const inStart = inPtr >>> 0;
  const inEnd = inStart + nsubs * SIZE.subscription;
  const outStart = outPtr >>> 0;
  const overlap = inStart < outStart + nsubs * SIZE.event && outStart < inEnd;
  const dv = overlap ? new DataView(mem.u8.slice(inStart, inEnd).buffer) : mem.dv;
  const base = overlap ? 0 : inStart;
  const out = mem.dv;
  const now = hrtime();
  let realOffset: bigint | undefined; // realtime - monotonic, for absolute realtime deadlines
  /** Monotonic deadline of clock subscription i (validated in the first pass). */
  const deadline = (p: number): bigint => {
    const timeout = dv.getBigUint64(p + 24, true);
    if (!(dv.getUint16(p + 40, true) & SubClockFlags.ABSTIME)) return now + timeout;
    if (dv.getUint32(p + 16, true) === ClockId.MONOTONIC) return timeout;
    realOffset ??= clockNow(ClockId.REALTIME) - hrtime();
    return timeout - realOffset;
  };
  // Pass 1: validate everything (no host memory proportional to nsubscriptions).
  let anyFd = false;
  let earliest: bigint | undefined;
  for (let i = 0; i < nsubs; i++) {
    const p = base + i * SIZE.subscription;
    const tag = dv.getUint8(p + 8);
    if (tag === EventType.CLOCK) {
      const id = dv.getUint32(p + 16, true);
      if (id !== ClockId.REALTIME && id !== ClockId.MONOTONIC) throw EINVAL;
      if (dv.getUint16(p + 40, true) & ~SubClockFlags.ABSTIME) throw EINVAL;
      if (!anyFd) {
        const d = deadline(p);
        if (earliest === undefined || d < earliest) earliest = d;
      }
    } else if (tag === EventType.FD_READ || tag === EventType.FD_WRITE) {
      // EBADF if closed, a dir or wrong-direction stdio.
      s.fds.get(dv.getUint32(p + 16, true)).pollBytes(tag === EventType.FD_WRITE);
      anyFd = true;
    } else {
      throw EINVAL;
    }
  }
  // All our fds are always ready: report them at once. Otherwise sleep until the earliest clock.
  let due = 0n;
  if (!anyFd) {
    const wait = earliest! - now;
    if (wait > 0n) s.sleep(wait);
    const after = hrtime();
    due = after > earliest! ? after : earliest!;
  }
  // Pass 2: write the events.
  let n = 0;
  for (let i = 0; i < nsubs; i++) {
    const p = base + i * SIZE.subscription;
    const tag = dv.getUint8(p + 8);
    let nbytes = 0n;
    if (anyFd) {
      if (tag === EventType.CLOCK) continue;
      nbytes = s.fds.get(dv.getUint32(p + 16, true)).pollBytes(tag === EventType.FD_WRITE);
    } else if (deadline(p) > due) {
      continue;
    }
    const e = outStart + n * SIZE.event;
    const userdata = dv.getBigUint64(p, true);
    mem.u8.fill(0, e, e + SIZE.event);
    out.setBigUint64(e, userdata, true);
    out.setUint8(e + 10, tag);
    out.setBigUint64(e + 16, nbytes, true);
    n++;
  }
  out.setUint32(neventsPtr >>> 0, n, true);
  return OK;
}

// ---------------------------------------------------------------- fd_readdir

/**
 * fd_readdir(fd, buf, buf_len, cookie) -> bufused
 * dirent (24 bytes + name): d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20.
 * wasmtime: "." and ".." come first (with the directory's inode); d_next = index + 1; a cookie
 * past the end gives 0 bytes; when the buffer is full the last entry is truncated and bufused ==
 * buf_len (the guest then retries with a bigger buffer). Files and stdio: EBADF. Only the bytes
 * actually written are bounds-checked (wasmtime: buf_len 0xffffffff with a short listing is ok).
 */
function fdReaddir(s: WasiState, fd: number, buf: number, bufLen: number, cookie: bigint, usedPtr: number): number {
  const f = s.fds.get(fd);
  const mem = s.mem;
  mem.check(usedPtr, 4);
  const { entries, start } = f.readdirFrom(BigInt.asUintN(64, cookie));
  let need = 0;
  for (let i = start; i < entries.length && need < bufLen >>> 0; i++) need += SIZE.dirent + Buffer.byteLength(entries[i]!.name);
  const cap = Math.min(bufLen >>> 0, need);
  const out = mem.bytes(buf, cap);
  let used = 0;
  const header = new Uint8Array(SIZE.dirent);
  const hv = new DataView(header.buffer);
  for (let i = start; i < entries.length && used < cap; i++) {
    const ent = entries[i]!;
    const name = Buffer.from(ent.name, 'utf8');
    hv.setBigUint64(0, BigInt(i + 1), true);
    hv.setBigUint64(8, ent.ino, true);
    hv.setUint32(16, name.length, true);
    hv.setUint32(20, 0, true);
    hv.setUint8(20, ent.filetype);
    const h = Math.min(SIZE.dirent, cap - used);
    out.set(h === SIZE.dirent ? header : header.subarray(0, h), used);
    used += h;
    const nl = Math.min(name.length, cap - used);
    if (nl > 0) out.set(nl === name.length ? name : name.subarray(0, nl), used);
    used += nl;
  }
  mem.setU32(usedPtr, used);
  return OK;
}

// ---------------------------------------------------------------- the table

const P = (name: string, kind: ParamKind) => [name, kind] as const;
const FD = P('fd', 'fd');
const PATH = P('path', 'path');

function def(name: string, params: (readonly [string, ParamKind])[], outputs: Output[], handler: Handler, noResult?: true): FunctionDef {
  return noResult ? { name, params, outputs, handler, noResult } : { name, params, outputs, handler };
}

function listSizes(s: WasiState, list: EncodedList, countPtr: number, sizePtr: number): number {
  s.mem.check(countPtr, 4);
  s.mem.check(sizePtr, 4);
  s.mem.setU32(countPtr, list.offsets.length);
  s.mem.setU32(sizePtr, list.blob.length);
  return OK;
}

function listGet(s: WasiState, list: EncodedList, ptrsPtr: number, bufPtr: number): number {
  const mem = s.mem;
  mem.check(ptrsPtr, list.offsets.length * 4);
  mem.check(bufPtr, list.blob.length);
  mem.write(bufPtr, list.blob);
  for (let i = 0; i < list.offsets.length; i++) mem.setU32(ptrsPtr + i * 4, ((bufPtr >>> 0) + list.offsets[i]!) >>> 0);
  return OK;
}

function sockFail(s: WasiState, fd: number): number {
  s.fds.get(fd); // closed fd: EBADF
  return Errno.NOTSOCK; // wasmtime: any open fd is not a socket (no sockets are ever granted)
}

/** Every wasi_snapshot_preview1 function, in spec order. */
export const FUNCTIONS: readonly FunctionDef[] = [
  // args_get(argv, argv_buf): argv is argc u32 pointers into argv_buf (NUL-terminated strings).
  def('args_get', [P('argv', 'ptr'), P('argv_buf', 'ptr')], [], (s, a, b) => listGet(s, s.args, a, b)),
  def('args_sizes_get', [P('argc_out', 'ptr'), P('argv_buf_size_out', 'ptr')], [['argc', 'u32', 0], ['size', 'u32', 1]],
    (s, a, b) => listSizes(s, s.args, a, b)),
  def('environ_get', [P('environ', 'ptr'), P('environ_buf', 'ptr')], [], (s, a, b) => listGet(s, s.env, a, b)),
  def('environ_sizes_get', [P('count_out', 'ptr'), P('buf_size_out', 'ptr')], [['count', 'u32', 0], ['size', 'u32', 1]],
    (s, a, b) => listSizes(s, s.env, a, b)),

  // clock_res_get(id) -> u64. All four clocks report the policy resolution. (wasmtime 49 gives
  // EBADF for the CPU-time clocks; Warden implements them so libc clock() works.) Unknown id: EINVAL.
  def('clock_res_get', [P('id', 'clockid'), P('out', 'ptr')], [['resolution', 'u64', 1]], (s, id, out) => {
    if (id >>> 0 > ClockId.THREAD_CPUTIME_ID) throw EINVAL;
    s.mem.setU64(out, s.clockResNs);
    return OK;
  }),
  // clock_time_get(id, precision) -> u64 ns, rounded down to the policy resolution.
  def('clock_time_get', [P('id', 'clockid'), P('precision', 'u64'), P('out', 'ptr')], [['time', 'u64', 2]], (s, id, _p, out) => {
    s.mem.check(out, 8);
    const t = clockNow(id >>> 0);
    const res = s.clockResNs;
    s.mem.setU64(out, res > 1n ? t - (t % res) : t);
    return OK;
  }),

  // fd_advise(fd, offset, len, advice): files: accepted (no-op); dirs and stdio: EBADF (wasmtime).
  def('fd_advise', [FD, P('offset', 'u64'), P('len', 'u64'), P('advice', 'advice')], [], (s, fd, _o, _l, advice) => {
    const f = s.fds.get(fd);
    if (advice >>> 0 > Advice.NOREUSE) throw EINVAL;
    f.advise();
    return OK;
  }),
  // fd_allocate(fd, offset, len): wasmtime 49: ENOTSUP on files, EBADF on dirs and stdio.
  def('fd_allocate', [FD, P('offset', 'u64'), P('len', 'u64')], [], (s, fd) => {
    s.fds.get(fd).allocate();
    return OK;
  }),
  // fd_close(fd): EBADF if not open. wasmtime lets the guest close a preopen (the root stays ours).
  def('fd_close', [FD], [], (s, fd) => {
    s.fds.close(fd);
    return OK;
  }),
  // fd_datasync(fd): dirs and stdio EBADF (wasmtime), files OK (also read-only ones).
  def('fd_datasync', [FD], [], (s, fd) => {
    s.fds.get(fd).datasync();
    return OK;
  }),
  // fd_fdstat_get(fd) -> fdstat (24 bytes): filetype u8 @0, flags u16 @2, rights_base u64 @8,
  // rights_inheriting u64 @16. Rights as wasmtime reports them (constants.ts REPORTED_RIGHTS).
  def('fd_fdstat_get', [FD, P('out', 'ptr')], [], (s, fd, out) => {
    const f = s.fds.get(fd);
    const b = s.mem.bytes(out, SIZE.fdstat);
    b.fill(0);
    const [rb, ri] = f.rights();
    const p = out >>> 0;
    s.mem.dv.setUint8(p, f.filetype);
    s.mem.dv.setUint16(p + 2, f.fdflags, true);
    s.mem.dv.setBigUint64(p + 8, rb, true);
    s.mem.dv.setBigUint64(p + 16, ri, true);
    return OK;
  }),
  // fd_fdstat_set_flags(fd, flags): files: APPEND/NONBLOCK OK, DSYNC/RSYNC/SYNC EINVAL; others EBADF.
  def('fd_fdstat_set_flags', [FD, P('flags', 'fdflags')], [], (s, fd, flags) => {
    const f = s.fds.get(fd);
    if (flags & ~FDFLAGS_ALL) throw EINVAL;
    f.setFlags(flags);
    return OK;
  }),
  // fd_fdstat_set_rights(fd, base, inheriting): wasmtime 49: ENOTSUP on files and dirs, EBADF on stdio.
  def('fd_fdstat_set_rights', [FD, P('base', 'rights'), P('inheriting', 'rights')], [], (s, fd, base, inheriting) => {
    const f = s.fds.get(fd);
    checkRights(base);
    checkRights(inheriting);
    return f instanceof FileFd || f instanceof DirFd ? Errno.NOTSUP : Errno.BADF;
  }),
  // fd_filestat_get(fd) -> filestat (64 bytes): dev @0, ino @8, filetype u8 @16, nlink @24,
  // size @32, atim @40, mtim @48, ctim @56. stdio: all zero, filetype UNKNOWN (wasmtime, non-tty).
  def('fd_filestat_get', [FD, P('out', 'ptr')], [], (s, fd, out) => {
    const f = s.fds.get(fd);
    s.mem.check(out, SIZE.filestat);
    writeStat(s.mem, out, f.stat());
    return OK;
  }),
  // fd_filestat_set_size(fd, size): read-only file EINVAL, dirs and stdio EBADF (wasmtime).
  def('fd_filestat_set_size', [FD, P('size', 'u64')], [], (s, fd, size) => {
    s.fds.get(fd).setSize(BigInt.asUintN(64, size));
    return OK;
  }),
  // fd_filestat_set_times(fd, atim, mtim, fstflags): X with X_NOW: EINVAL; stdio EBADF.
  def('fd_filestat_set_times', [FD, P('atim', 'u64'), P('mtim', 'u64'), P('flags', 'fstflags')], [], (s, fd, atim, mtim, flags) => {
    // wasmtime 49 checks the flags first: bad flags on a closed fd are EINVAL, not EBADF.
    const [a, m] = timeSpecs(atim, mtim, flags);
    s.fds.get(fd).setTimes(a, m);
    return OK;
  }),
  // fd_pread(fd, iovs, iovs_len, offset) -> nread. iovec (8 bytes): buf u32, len u32.
  // stdio ESPIPE, dirs EBADF, write-only files EBADF (wasmtime).
  def('fd_pread', [FD, P('iovs', 'ptr'), P('iovs_len', 'u32'), P('offset', 'u64'), P('nread_out', 'ptr')], [['nread', 'u32', 4]],
    (s, fd, iovs, n, offset, out) => {
      const f = s.fds.get(fd);
      prepareIo(s.mem, iovs, n, out);
      const base = BigInt.asUintN(64, offset);
      const total = transfer(s.mem, iovs, n, f, PREAD, base);
      s.mem.setU32(out, total);
      return OK;
    }),
  // fd_prestat_get(fd) -> prestat (8 bytes): tag u8 @0 (0 = dir), name_len u32 @4. Not a preopen: EBADF.
  def('fd_prestat_get', [FD, P('out', 'ptr')], [], (s, fd, out) => {
    const name = s.fds.get(fd).preopenName();
    if (name === undefined) return Errno.BADF;
    s.mem.check(out, SIZE.prestat);
    s.mem.setU32(out, 0);
    s.mem.setU32((out >>> 0) + 4, name.length);
    return OK;
  }),
  // fd_prestat_dir_name(fd, path, path_len): not a preopen ENOTDIR, path_len too small ENAMETOOLONG (wasmtime).
  def('fd_prestat_dir_name', [FD, P('path', 'ptr'), P('path_len', 'u32')], [], (s, fd, ptr, len) => {
    const name = s.fds.get(fd).preopenName();
    if (name === undefined) return Errno.NOTDIR;
    if (name.length > len >>> 0) return Errno.NAMETOOLONG;
    s.mem.write(ptr, name);
    return OK;
  }),
  // fd_pwrite(fd, iovs, iovs_len, offset) -> nwritten. On an APPEND fd it appends (wasmtime).
  def('fd_pwrite', [FD, P('iovs', 'ptr'), P('iovs_len', 'u32'), P('offset', 'u64'), P('nwritten_out', 'ptr')], [['nwritten', 'u32', 4]],
    (s, fd, iovs, n, offset, out) => {
      const f = s.fds.get(fd);
      prepareIo(s.mem, iovs, n, out);
      const base = BigInt.asUintN(64, offset);
      const total = transfer(s.mem, iovs, n, f, PWRITE, base);
      s.mem.setU32(out, total);
      return OK;
    }),
  // fd_read(fd, iovs, iovs_len) -> nread. Stops at the first short read. stdout/dirs: EBADF.
  def('fd_read', [FD, P('iovs', 'ptr'), P('iovs_len', 'u32'), P('nread_out', 'ptr')], [['nread', 'u32', 3]], (s, fd, iovs, n, out) => {
    const f = s.fds.get(fd);
    prepareIo(s.mem, iovs, n, out);
    const total = transfer(s.mem, iovs, n, f, READ, 0n);
    s.mem.setU32(out, total);
    return OK;
  }),
  def('fd_readdir', [FD, P('buf', 'ptr'), P('buf_len', 'u32'), P('cookie', 'u64'), P('bufused_out', 'ptr')], [['bufused', 'u32', 4]],
    fdReaddir),
  // fd_renumber(from, to): both must be open (EBADF); `to` is closed first. Preopens included (wasmtime).
  def('fd_renumber', [P('from', 'fd'), P('to', 'fd')], [], (s, from, to) => {
    s.fds.renumber(from, to);
    return OK;
  }),
  // fd_seek(fd, offset i64, whence) -> u64. stdio ESPIPE, dirs EBADF, negative result EINVAL (wasmtime).
  def('fd_seek', [FD, P('offset', 'i64'), P('whence', 'whence'), P('out', 'ptr')], [['offset', 'u64', 3]], (s, fd, offset, whence, out) => {
    const f = s.fds.get(fd);
    if (whence >>> 0 > Whence.END) throw EINVAL;
    s.mem.check(out, 8);
    s.mem.setU64(out, f.seek(BigInt.asIntN(64, offset), whence >>> 0));
    return OK;
  }),
  // fd_sync(fd): dirs and stdio EBADF (wasmtime), files OK.
  def('fd_sync', [FD], [], (s, fd) => {
    s.fds.get(fd).sync();
    return OK;
  }),
  // fd_tell(fd) -> u64: stdio ESPIPE, dirs EBADF.
  def('fd_tell', [FD, P('out', 'ptr')], [['offset', 'u64', 1]], (s, fd, out) => {
    const f = s.fds.get(fd);
    s.mem.check(out, 8);
    s.mem.setU64(out, f.tell());
    return OK;
  }),
  // fd_write(fd, iovs, iovs_len) -> nwritten. stdin/dirs/read-only files: EBADF. Every iovec is
  // checked before any byte is written. stdout/stderr past their cap end the run (output-limit).
  def('fd_write', [FD, P('iovs', 'ptr'), P('iovs_len', 'u32'), P('nwritten_out', 'ptr')], [['nwritten', 'u32', 3]],
    (s, fd, iovs, n, out) => {
      const f = s.fds.get(fd);
      prepareIo(s.mem, iovs, n, out);
      const total = transfer(s.mem, iovs, n, f, WRITE, 0n);
      s.mem.setU32(out, total);
      return OK;
    }),

  // path_create_directory(fd, path): existing (also "."): EEXIST; ".." above the preopen: EPERM.
  def('path_create_directory', [FD, PATH], [], (s, fd, p, l) =>
    withPath(s, fd, p, l, false, (r) => {
      if (r.name === '.') fail(Errno.EXIST);
      r.dir.mkdirChild(r.name);
      return OK;
    }, noTrailingSlash)),
  // path_filestat_get(fd, lookupflags, path) -> filestat. A dangling link without follow: its
  // own stat; with follow: ENOENT. "dir/file/": ENOTDIR. Without follow, one name with trailing
  // slashes is that name itself ("dlink/": SYMBOLIC_LINK, "file/": REGULAR_FILE), as wasmtime 49.
  def('path_filestat_get', [FD, P('flags', 'lookupflags'), PATH, P('out', 'ptr')], [], (s, fd, flags, p, l, out) => {
    const follow = followOf(flags);
    s.mem.check(out, SIZE.filestat);
    return withPath(s, fd, p, l, follow, (r) => {
      const st = r.name === '.' ? r.dir.stat() : r.finalStat === undefined ? r.dir.lstatChild(r.name) : r.finalStat ?? fail(Errno.NOENT);
      if (r.trailingSlash && st.filetype !== FileType.DIRECTORY) fail(Errno.NOTDIR);
      writeStat(s.mem, out, st);
      return OK;
    }, follow ? undefined : singleNameOf);
  }),
  // path_filestat_set_times(fd, lookupflags, path, atim, mtim, fstflags): X with X_NOW: EINVAL.
  def('path_filestat_set_times', [FD, P('flags', 'lookupflags'), PATH, P('atim', 'u64'), P('mtim', 'u64'), P('fstflags', 'fstflags')], [],
    (s, fd, flags, p, l, atim, mtim, fst) => {
      const follow = followOf(flags);
      const [a, m] = timeSpecs(atim, mtim, fst);
      return withPath(s, fd, p, l, follow, (r) => {
        checkSlash(r, false);
        if (r.name === '.') r.dir.setTimes(a, m);
        else r.dir.setTimesChild(r.name, a, m);
        return OK;
      });
    }),
  // path_link(old_fd, old_flags, old_path, new_fd, new_path): SYMLINK_FOLLOW: EINVAL (wasmtime);
  // a directory or ".": EPERM; existing target (also "."): EEXIST; "file/": ENOTDIR; "new/": ENOENT.
  def('path_link', [P('old_fd', 'fd'), P('old_flags', 'lookupflags'), P('old_path', 'path'), P('new_fd', 'fd'), P('new_path', 'path')], [],
    (s, ofd, oflags, op, ol, nfd, np, nl) => {
      if (followOf(oflags)) throw EINVAL;
      return withPath(s, ofd, op, ol, false, (src) => {
        if (src.name === '.') fail(Errno.PERM);
        if (src.trailingSlash && src.dir.lstatChild(src.name).filetype !== FileType.DIRECTORY) fail(Errno.NOTDIR);
        return withPath(s, nfd, np, nl, false, (dst) => {
          if (dst.name === '.') fail(Errno.EXIST);
          checkSlash(dst, true);
          src.dir.linkChild(src.name, dst.dir, dst.name);
          return OK;
        });
      });
    }),
  def('path_open',
    [FD, P('dirflags', 'lookupflags'), PATH, P('oflags', 'oflags'), P('rights_base', 'rights'), P('rights_inheriting', 'rights'), P('fdflags', 'fdflags'), P('fd_out', 'ptr')],
    [['fd', 'fd', 8]], pathOpen),
  // path_readlink(fd, path, buf, buf_len) -> bufused: not a link (also "."): EINVAL; the target is
  // truncated to buf_len (wasmtime).
  def('path_readlink', [FD, PATH, P('buf', 'ptr'), P('buf_len', 'u32'), P('bufused_out', 'ptr')], [['bufused', 'u32', 5]],
    (s, fd, p, l, buf, bufLen, out) => {
      const dst = s.mem.bytes(buf, bufLen);
      s.mem.check(out, 4);
      return withPath(s, fd, p, l, false, (r) => {
        if (r.name === '.') throw EINVAL;
        checkSlash(r, false);
        const target = Buffer.from(r.dir.readlinkChild(r.name), 'utf8');
        const n = Math.min(target.length, dst.length);
        dst.set(target.subarray(0, n));
        s.mem.setU32(out, n);
        return OK;
      });
    }),
  // path_remove_directory(fd, path): "." (also "d/..") and "dir/": EINVAL; a file or symlink:
  // ENOTDIR; not empty: ENOTEMPTY (wasmtime).
  def('path_remove_directory', [FD, PATH], [], (s, fd, p, l) =>
    withPath(s, fd, p, l, false, (r) => {
      if (r.name === '.') throw EINVAL;
      if (r.trailingSlash) fail(r.dir.lstatChild(r.name).filetype === FileType.DIRECTORY ? Errno.INVAL : Errno.NOTDIR);
      r.dir.rmdirChild(r.name);
      return OK;
    })),
  // path_rename(fd, old_path, new_fd, new_path): "." on either side: EBUSY; "file/": ENOTDIR;
  // file over dir EISDIR; dir over file ENOTDIR; dir over non-empty dir ENOTEMPTY; into itself EINVAL.
  // Neither side follows a final symlink, trailing slash or not (see noTrailingSlash); "x/" as
  // the old path must be a directory itself ("ldir/", "dangling/": ENOTDIR).
  def('path_rename', [FD, P('old_path', 'path'), P('new_fd', 'fd'), P('new_path', 'path')], [], (s, fd, op, ol, nfd, np, nl) => {
    let srcSlash = false;
    return withPath(s, fd, op, ol, false, (src) => {
      if (src.name === '.') fail(Errno.BUSY);
      if (srcSlash && src.dir.lstatChild(src.name).filetype !== FileType.DIRECTORY) fail(Errno.NOTDIR);
      return withPath(s, nfd, np, nl, false, (dst) => {
        if (dst.name === '.') fail(Errno.BUSY);
        src.dir.renameChild(src.name, dst.dir, dst.name);
        return OK;
      }, noTrailingSlash);
    }, (path) => {
      srcSlash = path.endsWith('/');
      return noTrailingSlash(path);
    });
  }),
  // path_symlink(old_path, fd, new_path): absolute target EPERM, empty ENOENT (backend checks);
  // existing name (also "."): EEXIST; "x/": x missing ENOENT, a directory EEXIST, else ENOTDIR (wasmtime).
  def('path_symlink', [P('target', 'path'), FD, P('new_path', 'path')], [], (s, tp, tl, fd, np, nl) => {
    const target = pathString(s.mem, tp, tl);
    return withPath(s, fd, np, nl, false, (r) => {
      if (r.name === '.') fail(Errno.EXIST);
      checkSlash(r, true);
      r.dir.symlinkChild(target, r.name);
      return OK;
    });
  }),
  // path_unlink_file(fd, path): a directory (also "." and "dir/"): EISDIR; "file/": ENOTDIR.
  def('path_unlink_file', [FD, PATH], [], (s, fd, p, l) =>
    withPath(s, fd, p, l, false, (r) => {
      if (r.name === '.') fail(Errno.ISDIR);
      if (r.trailingSlash) {
        fail(r.dir.lstatChild(r.name).filetype === FileType.DIRECTORY ? Errno.ISDIR : Errno.NOTDIR);
      }
      r.dir.unlinkChild(r.name);
      return OK;
    })),

  def('poll_oneoff', [P('in', 'ptr'), P('out', 'ptr'), P('nsubscriptions', 'u32'), P('nevents_out', 'ptr')], [['nevents', 'u32', 3]],
    pollOneoff),
  // proc_exit(rval): ends the guest (never the host) by throwing ProcExit through its frames.
  // wasmtime 49 traps on a status of 126 or more ("exit with invalid exit status outside of [0..126)").
  def('proc_exit', [P('rval', 'exitcode')], [], (_s, code) => {
    const c = code >>> 0;
    if (c >= 126) {
      throw new RunAbort(new WardenError('trap', `exit with invalid exit status ${c} outside of [0..126)`, { exitCode: c }));
    }
    throw new ProcExit(c);
  }, true),
  // proc_raise(sig): wasmtime 49: ENOTSUP.
  def('proc_raise', [P('sig', 'signal')], [], () => Errno.NOTSUP),
  def('sched_yield', [], [], () => OK),
  // random_get(buf, buf_len): from the policy's source (default crypto.randomFillSync).
  def('random_get', [P('buf', 'ptr'), P('buf_len', 'u32')], [], (s, buf, len) => {
    const b = s.mem.bytes(buf, len);
    for (let i = 0; i < b.length; i += 65536) s.randomFill(b.subarray(i, Math.min(b.length, i + 65536)));
    return OK;
  }),

  // sock_*: no socket is ever granted. wasmtime: an open fd ENOTSOCK, a closed one EBADF.
  def('sock_accept', [FD, P('flags', 'fdflags'), P('fd_out', 'ptr')], [], (s, fd) => sockFail(s, fd)),
  def('sock_recv', [FD, P('ri_data', 'ptr'), P('ri_data_len', 'u32'), P('ri_flags', 'u32'), P('ro_datalen_out', 'ptr'), P('ro_flags_out', 'ptr')], [],
    (s, fd) => sockFail(s, fd)),
  def('sock_send', [FD, P('si_data', 'ptr'), P('si_data_len', 'u32'), P('si_flags', 'u32'), P('so_datalen_out', 'ptr')], [],
    (s, fd) => sockFail(s, fd)),
  def('sock_shutdown', [FD, P('how', 'u32')], [], (s, fd) => sockFail(s, fd)),
];
