// The filesystem backend interface: every backend (host directory, in-memory tree, read-only
// wrapper) implements these node handles; the resolver and the WASI layer only talk to them.

/** WASI `filetype` values (preview1). */
export const FileType = {
  UNKNOWN: 0,
  BLOCK_DEVICE: 1,
  CHARACTER_DEVICE: 2,
  DIRECTORY: 3,
  REGULAR_FILE: 4,
  SOCKET_DGRAM: 5,
  SOCKET_STREAM: 6,
  SYMBOLIC_LINK: 7,
} as const;

/** WASI `filestat`, all times in nanoseconds since the epoch. */
export interface Stat {
  dev: bigint;
  ino: bigint;
  filetype: number;
  nlink: bigint;
  size: bigint;
  atimNs: bigint;
  mtimNs: bigint;
  ctimNs: bigint;
}

export interface DirEntry {
  name: string;
  ino: bigint;
  filetype: number;
}

/** A time to set: a value in ns, 'now', or undefined to leave it unchanged. */
export type TimeSpec = bigint | 'now' | undefined;

export interface OpenFileOptions {
  read: boolean;
  write: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  append: boolean;
}

/**
 * An open directory. `name` arguments are always exactly one path component: non-empty,
 * no '/', not '.' or '..' (the resolver guarantees this; backends re-check it cheaply).
 * No child operation ever follows a symlink in `name`: symlinks are the resolver's business.
 * Every method throws WasiError (see wasi/errno.ts) on failure; host errors are mapped there.
 */
export interface DirNode {
  readonly kind: 'dir';
  /** The backend instance this node belongs to; cross-backend rename/link fails with EXDEV. */
  readonly backend: object;
  readonly readOnly: boolean;
  stat(): Stat;
  setTimes(atim: TimeSpec, mtim: TimeSpec): void;
  sync(): void;
  /** Entries without '.' and '..'. */
  readdir(): DirEntry[];
  close(): void;

  lstatChild(name: string): Stat;
  readlinkChild(name: string): string;
  /** Opens a child directory; ENOTDIR if it is not one, ELOOP if it is a symlink. */
  openDirChild(name: string): DirNode;
  /** Opens (or creates) a child file; ELOOP if it is a symlink, EISDIR if a directory and write was asked. */
  openFileChild(name: string, opts: OpenFileOptions): FileNode;
  mkdirChild(name: string): void;
  rmdirChild(name: string): void;
  unlinkChild(name: string): void;
  symlinkChild(target: string, name: string): void;
  linkChild(name: string, destDir: DirNode, destName: string): void;
  renameChild(name: string, destDir: DirNode, destName: string): void;
  setTimesChild(name: string, atim: TimeSpec, mtim: TimeSpec): void;
}

/** An open regular file (or other non-directory). Offsets are kept by the caller. */
export interface FileNode {
  readonly kind: 'file';
  readonly readOnly: boolean;
  stat(): Stat;
  /** Reads at `position` into buf; returns bytes read (0 at EOF). */
  pread(buf: Uint8Array, position: bigint): number;
  /** Writes at `position`; returns bytes written. */
  pwrite(buf: Uint8Array, position: bigint): number;
  /** Appends at the current end; returns bytes written. */
  append(buf: Uint8Array): number;
  setSize(size: bigint): void;
  setTimes(atim: TimeSpec, mtim: TimeSpec): void;
  allocate(offset: bigint, len: bigint): void;
  sync(): void;
  datasync(): void;
  close(): void;
}

export type FsNode = DirNode | FileNode;
