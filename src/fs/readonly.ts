// Read-only wrapper for any backend: reads pass through, every kind of write is refused with
// the errno wasmtime 49 gives for a read-only preopen (evidence in common.ts, READONLY_ERRNO).
import { Errno, fail } from '../wasi/errno.js';
import { READONLY_ERRNO } from './common.js';
import type { DirEntry, DirNode, FileNode, OpenFileOptions, Stat, TimeSpec } from './types.js';

function refuse(what: string): never {
  fail(READONLY_ERRNO, `${what}: read-only mount`);
}

class ReadOnlyDir implements DirNode {
  readonly kind = 'dir';
  readonly readOnly = true;
  readonly backend: object;
  constructor(private readonly inner: DirNode) {
    this.backend = inner.backend;
  }
  stat(): Stat {
    return this.inner.stat();
  }
  setTimes(_a: TimeSpec, _m: TimeSpec): void {
    refuse('set times');
  }
  sync(): void {
    this.inner.sync();
  }
  readdir(): DirEntry[] {
    return this.inner.readdir();
  }
  close(): void {
    this.inner.close();
  }
  lstatChild(name: string): Stat {
    return this.inner.lstatChild(name);
  }
  readlinkChild(name: string): string {
    return this.inner.readlinkChild(name);
  }
  openDirChild(name: string): DirNode {
    return new ReadOnlyDir(this.inner.openDirChild(name));
  }
  openFileChild(name: string, opts: OpenFileOptions): FileNode {
    // Checked before any lookup, as wasmtime does (O_CREAT of an existing file is EPERM too).
    if (opts.write || opts.create || opts.truncate) refuse('open for writing');
    return new ReadOnlyFile(this.inner.openFileChild(name, { ...opts, write: false, create: false, exclusive: false, truncate: false }));
  }
  mkdirChild(_name: string): void {
    refuse('mkdir');
  }
  rmdirChild(_name: string): void {
    refuse('rmdir');
  }
  unlinkChild(_name: string): void {
    refuse('unlink');
  }
  symlinkChild(_target: string, _name: string): void {
    refuse('symlink');
  }
  linkChild(_name: string, _destDir: DirNode, _destName: string): void {
    refuse('link');
  }
  renameChild(_name: string, _destDir: DirNode, _destName: string): void {
    refuse('rename');
  }
  setTimesChild(_name: string, _a: TimeSpec, _m: TimeSpec): void {
    refuse('set times');
  }
}

class ReadOnlyFile implements FileNode {
  readonly kind = 'file';
  readonly readOnly = true;
  constructor(private readonly inner: FileNode) {}
  stat(): Stat {
    return this.inner.stat();
  }
  pread(buf: Uint8Array, position: bigint): number {
    return this.inner.pread(buf, position);
  }
  // A file in a read-only mount is never open for writing: wasmtime's fd_write gives EBADF.
  pwrite(_buf: Uint8Array, _position: bigint): number {
    fail(Errno.BADF, 'file not open for writing');
  }
  append(_buf: Uint8Array): number {
    fail(Errno.BADF, 'file not open for writing');
  }
  setSize(_size: bigint): void {
    refuse('set size');
  }
  setTimes(_a: TimeSpec, _m: TimeSpec): void {
    refuse('set times');
  }
  allocate(_offset: bigint, _len: bigint): void {
    fail(Errno.NOTSUP, 'fd_allocate is not supported'); // wasmtime 49: ENOTSUP, read-only or not
  }
  sync(): void {
    this.inner.sync();
  }
  datasync(): void {
    this.inner.datasync();
  }
  close(): void {
    this.inner.close();
  }
}

/** Makes `dir` (and everything opened through it) read-only. Idempotent. */
export function readOnlyDir(dir: DirNode): DirNode {
  return dir.readOnly ? dir : new ReadOnlyDir(dir);
}

/** Makes an open file read-only. Idempotent. */
export function readOnlyFile(file: FileNode): FileNode {
  return file.readOnly ? file : new ReadOnlyFile(file);
}
