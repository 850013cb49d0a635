// WASI preview1 constants (rights, flags, enums) and the rights wasmtime 49 reports per fd kind.
// Spec: https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md

/** `rights` bits, in spec order (bit i = 1 << i). */
export const RIGHT_NAMES = [
  'FD_DATASYNC', 'FD_READ', 'FD_SEEK', 'FD_FDSTAT_SET_FLAGS', 'FD_SYNC', 'FD_TELL', 'FD_WRITE',
  'FD_ADVISE', 'FD_ALLOCATE', 'PATH_CREATE_DIRECTORY', 'PATH_CREATE_FILE', 'PATH_LINK_SOURCE',
  'PATH_LINK_TARGET', 'PATH_OPEN', 'FD_READDIR', 'PATH_READLINK', 'PATH_RENAME_SOURCE',
  'PATH_RENAME_TARGET', 'PATH_FILESTAT_GET', 'PATH_FILESTAT_SET_SIZE', 'PATH_FILESTAT_SET_TIMES',
  'FD_FILESTAT_GET', 'FD_FILESTAT_SET_SIZE', 'FD_FILESTAT_SET_TIMES', 'PATH_SYMLINK',
  'PATH_REMOVE_DIRECTORY', 'PATH_UNLINK_FILE', 'POLL_FD_READWRITE', 'SOCK_SHUTDOWN', 'SOCK_ACCEPT',
] as const;

export const Rights = Object.freeze(
  Object.fromEntries(RIGHT_NAMES.map((n, i) => [n, 1n << BigInt(i)])) as { [K in (typeof RIGHT_NAMES)[number]]: bigint },
);
export const RIGHTS_ALL = (1n << BigInt(RIGHT_NAMES.length)) - 1n;

/**
 * Rights as wasmtime 49 reports them in fd_fdstat_get (it does not enforce requested rights;
 * it reports a fixed set per kind of descriptor, checked with a C guest):
 * stdin 0x2/0x2, stdout/stderr 0x40/0x40, preopen 0x7b7fe00/0xff7ffff,
 * directory opened by path_open 0x3fb7ffbb, file read+write 0x3fffffff,
 * read-only file 0x3fffffbf (no FD_WRITE), write-only file 0x3fffbffd (no FD_READ, FD_READDIR).
 */
export const REPORTED_RIGHTS = {
  stdin: [Rights.FD_READ, Rights.FD_READ],
  output: [Rights.FD_WRITE, Rights.FD_WRITE],
  preopen: [0x7b7fe00n, 0xff7ffffn],
  dir: [0x3fb7ffbbn, 0x3fb7ffbbn],
  fileReadWrite: [RIGHTS_ALL, RIGHTS_ALL],
  fileReadOnly: [RIGHTS_ALL & ~Rights.FD_WRITE, RIGHTS_ALL & ~Rights.FD_WRITE],
  fileWriteOnly: [RIGHTS_ALL & ~(Rights.FD_READ | Rights.FD_READDIR), RIGHTS_ALL & ~(Rights.FD_READ | Rights.FD_READDIR)],
} as const satisfies Record<string, readonly [bigint, bigint]>;

export const OFlags = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
export const OFLAGS_ALL = 0xf;

export const FdFlags = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const;
export const FDFLAGS_ALL = 0x1f;

export const LookupFlags = { SYMLINK_FOLLOW: 1 } as const;
export const LOOKUPFLAGS_ALL = 0x1;

export const FstFlags = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;
export const FSTFLAGS_ALL = 0xf;

export const Whence = { SET: 0, CUR: 1, END: 2 } as const;

export const ClockId = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3 } as const;

export const EventType = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;
export const SubClockFlags = { ABSTIME: 1 } as const;
export const EventRwFlags = { HANGUP: 1 } as const;

export const Advice = { NORMAL: 0, SEQUENTIAL: 1, RANDOM: 2, WILLNEED: 3, DONTNEED: 4, NOREUSE: 5 } as const;

export const PreopenType = { DIR: 0 } as const;

/** Struct sizes in guest memory. */
export const SIZE = {
  iovec: 8,
  fdstat: 24,
  filestat: 64,
  prestat: 8,
  dirent: 24,
  subscription: 48,
  event: 32,
} as const;

/** Names of the set bits of `value` in a flags table, e.g. "CREAT|TRUNC" (for --trace). */
export function flagNames(table: Record<string, number>, value: number): string {
  if (value === 0) return '0';
  const names: string[] = [];
  let rest = value;
  for (const [n, bit] of Object.entries(table)) {
    if (value & bit) {
      names.push(n);
      rest &= ~bit;
    }
  }
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names.join('|');
}
