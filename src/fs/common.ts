// Checks and conversions shared by the filesystem backends: component validation, position
// guards, symlink-target rules and the errno used for read-only refusals.
import { Errno, fail } from '../wasi/errno.js';

/**
 * errno for any write through a read-only mount. Verified against wasmtime 49 (wasmtime-py,
 * `preopen_dir(path, '.', fs_mutable=False)`, raw preview1 calls from a C guest): path_open with
 * write rights, O_CREAT (new or existing), O_TRUNC; path_create_directory (also of an existing
 * name), path_remove_directory, path_unlink_file (also of a missing name), path_symlink,
 * path_link, path_rename, path_filestat_set_times, fd_filestat_set_size, fd_filestat_set_times
 * (file and dir) all return 63 = EPERM, checked before the name is looked up. fd_write on such a
 * file returns 8 = EBADF (it has no write right), fd_allocate 58 = ENOTSUP (as on any file).
 */
export const READONLY_ERRNO = Errno.PERM;

/** Largest byte position a backend accepts (Number-safe); past it reads see EOF, writes EFBIG. */
export const MAX_SAFE_POS = BigInt(Number.MAX_SAFE_INTEGER);
const I64_MAX = (1n << 63n) - 1n;

/** Linux NAME_MAX in bytes. */
export const NAME_MAX = 255;

/** Verifies `name` is exactly one plain path component (the resolver guarantees it; re-checked). */
export function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name === '.' || name === '..' || name.includes('/')) {
    fail(Errno.INVAL, `invalid path component ${JSON.stringify(name)}`);
  }
  if (name.includes('\0')) fail(Errno.INVAL, 'NUL in path component');
  if (Buffer.byteLength(name) > NAME_MAX) fail(Errno.NAMETOOLONG, 'path component too long');
}

/** Symlink contents a guest may store: wasmtime 49 refuses absolute targets (EPERM), empty ones ENOENT. */
export function checkSymlinkTarget(target: string): void {
  if (target.length === 0) fail(Errno.NOENT, 'empty symlink target');
  if (target.includes('\0')) fail(Errno.INVAL, 'NUL in symlink target');
  if (target.startsWith('/')) fail(Errno.PERM, `absolute symlink target ${JSON.stringify(target)}`);
  if (Buffer.byteLength(target) >= 4096) fail(Errno.NAMETOOLONG, 'symlink target too long');
}

/*
 * Positions, as wasmtime 49 on Linux reports them (C guest, fd_pread/fd_pwrite/set_size at
 * 2^53, 2^60, 2^63-1, 2^63, 2^64-1): pos + len past 2^63-1 is EINVAL (the kernel's
 * rw_verify_area); a read past the end is 0 bytes; a write or size past the largest file is EFBIG.
 */
function checkRange(pos: bigint, len: number): void {
  if (pos < 0n || pos + BigInt(len) > I64_MAX) fail(Errno.INVAL, 'invalid file position');
}

/** A read position: null when it is past anything a file can hold (caller returns 0 = EOF). */
export function readPos(pos: bigint, len: number): number | null {
  checkRange(pos, len);
  return pos > MAX_SAFE_POS ? null : Number(pos);
}

/** A write range [pos, pos+len) as numbers; EFBIG when its end is not Number-safe. */
export function writePos(pos: bigint, len: number): number {
  checkRange(pos, len);
  if (pos + BigInt(len) > MAX_SAFE_POS) fail(Errno.FBIG, 'file too large');
  return Number(pos);
}

/** A file size as a number; EFBIG past the Number-safe range. */
export function sizeArg(size: bigint): number {
  if (size < 0n || size > I64_MAX) fail(Errno.INVAL, 'invalid size');
  if (size > MAX_SAFE_POS) fail(Errno.FBIG, 'file too large');
  return Number(size);
}

/** The current real time in ns. */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
