// WASI preview1 errno values and the one place where host (Node/libuv) errors become errnos.
// Spec: https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md#errno

/** errno names in spec order: the index is the errno value. */
export const ERRNO_NAMES = [
  'SUCCESS', '2BIG', 'ACCES', 'ADDRINUSE', 'ADDRNOTAVAIL', 'AFNOSUPPORT', 'AGAIN', 'ALREADY',
  'BADF', 'BADMSG', 'BUSY', 'CANCELED', 'CHILD', 'CONNABORTED', 'CONNREFUSED', 'CONNRESET',
  'DEADLK', 'DESTADDRREQ', 'DOM', 'DQUOT', 'EXIST', 'FAULT', 'FBIG', 'HOSTUNREACH', 'IDRM',
  'ILSEQ', 'INPROGRESS', 'INTR', 'INVAL', 'IO', 'ISCONN', 'ISDIR', 'LOOP', 'MFILE', 'MLINK',
  'MSGSIZE', 'MULTIHOP', 'NAMETOOLONG', 'NETDOWN', 'NETRESET', 'NETUNREACH', 'NFILE', 'NOBUFS',
  'NODEV', 'NOENT', 'NOEXEC', 'NOLCK', 'NOLINK', 'NOMEM', 'NOMSG', 'NOPROTOOPT', 'NOSPC',
  'NOSYS', 'NOTCONN', 'NOTDIR', 'NOTEMPTY', 'NOTRECOVERABLE', 'NOTSOCK', 'NOTSUP', 'NOTTY',
  'NXIO', 'OVERFLOW', 'OWNERDEAD', 'PERM', 'PIPE', 'PROTO', 'PROTONOSUPPORT', 'PROTOTYPE',
  'RANGE', 'ROFS', 'SPIPE', 'SRCH', 'STALE', 'TIMEDOUT', 'TXTBSY', 'XDEV', 'NOTCAPABLE',
] as const;

export type ErrnoName = (typeof ERRNO_NAMES)[number];

/** Errno values by name, e.g. `Errno.NOENT === 44`. */
export const Errno: { readonly [K in ErrnoName]: number } = Object.freeze(
  Object.fromEntries(ERRNO_NAMES.map((n, i) => [n, i])) as { [K in ErrnoName]: number },
);

/**
 * A failure inside the WASI layer or a filesystem backend that the guest sees as an errno.
 * It is ordinary control flow (ENOENT on every create, ...), so no stack trace is captured:
 * that would be most of the cost of throwing it.
 */
export class WasiError extends Error {
  readonly errno: number;
  constructor(errno: number, message?: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message ?? `E${ERRNO_NAMES[errno] ?? errno}`);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.errno = errno;
    this.name = 'WasiError';
  }
}

/** Throws a WasiError: `throw`-expression helper for backends. */
export function fail(errno: number, message?: string): never {
  throw new WasiError(errno, message);
}

/** Host error codes (Node's `err.code`) that map to a WASI errno by the same name. */
const HOST_CODE_ALIASES: Record<string, ErrnoName> = {
  EWOULDBLOCK: 'AGAIN',
  EOPNOTSUPP: 'NOTSUP',
  ENOTSUP: 'NOTSUP',
  EDEADLOCK: 'DEADLK',
};

/** Maps any thrown value to a WASI errno. Unknown host failures become EIO, never a host crash. */
export function errnoOf(err: unknown): number {
  if (err instanceof WasiError) return err.errno;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('E')) {
    const name = HOST_CODE_ALIASES[code] ?? (code.slice(1) as ErrnoName);
    const v = (Errno as Record<string, number>)[name];
    if (v !== undefined) return v;
  }
  return Errno.IO;
}

export function errnoName(errno: number): string {
  const n = ERRNO_NAMES[errno];
  return n ? `E${n}` : `errno ${errno}`;
}
