// Path resolution beneath a preopened directory, one component at a time, with a symlink
// budget (after cap-std's `manually` resolver). This is the only place guest paths are walked.
import { Errno, WasiError, fail } from '../wasi/errno.js';
import { FileType, type DirNode, type Stat } from './types.js';

/** Symlinks followed in one resolution before ELOOP (Linux MAXSYMLINKS). */
export const SYMLINK_BUDGET = 40;

/**
 * errno for any attempt to leave the preopen (absolute paths, `..` above it, absolute links).
 * Verified against wasmtime 49 (wasmtime-py, raw `path_open` from a C guest): "/etc/passwd",
 * "../x", "sub/../../x", "abslink/passwd" (link -> /etc), a final link -> /etc/passwd followed,
 * and "uplink/x" (link -> ..) all return 63 = EPERM, not ENOTCAPABLE (76).
 */
export const ESCAPE_ERRNO = Errno.PERM;

/** Paths of this many bytes or more fail with ENAMETOOLONG (Linux PATH_MAX; wasmtime 49 agrees). */
export const PATH_MAX = 4096;

/** At most this many directories held open during one walk (bounds host fds per resolution). */
export const MAX_DEPTH = PATH_MAX / 2;

export interface Resolved {
  /** The directory that holds the final component (owned by this result unless it is the root). */
  dir: DirNode;
  /** The final component: one plain name, or '.' meaning `dir` itself. */
  name: string;
  /** The path (or a final symlink's target) ended in '/': the caller applies its operation's rule. */
  trailingSlash: boolean;
  /**
   * What the resolver's own lstat of the final name saw (when it looked: following the final
   * component or a trailing slash): its Stat (not a symlink), or null if it did not exist. A
   * caller may use it instead of a second lstat; it is as racy as one, so every later operation
   * still goes through the backend's no-follow calls.
   */
  finalStat?: Stat | null;
  /** Closes `dir` if the resolver opened it. Always call it. */
  release(): void;
}

export interface ResolveOptions {
  /** Follow a symlink in the final component (intermediate symlinks are always followed). */
  followFinal: boolean;
}

function splitPath(path: string): { parts: string[]; trailingSlash: boolean } {
  if (path.length === 0) fail(Errno.NOENT, 'empty path');
  // wasmtime 49: NUL in a path -> EINVAL; 4096 bytes or more -> ENAMETOOLONG.
  if (path.includes('\0')) fail(Errno.INVAL, 'NUL in path');
  if (Buffer.byteLength(path) >= PATH_MAX) fail(Errno.NAMETOOLONG, 'path too long');
  if (path.startsWith('/')) fail(ESCAPE_ERRNO, `absolute path ${JSON.stringify(path)} is outside the preopen`);
  const trailingSlash = path.endsWith('/');
  return { parts: path.split('/').filter((p) => p.length > 0), trailingSlash };
}

/**
 * Resolves `path` beneath `root` without ever leaving it. Every intermediate directory is
 * opened through the backend with no-follow semantics, so a concurrent rename or symlink swap
 * can only produce an error, never an escape: what is checked is what was opened.
 */
export function resolve(root: DirNode, path: string, opts: ResolveOptions): Resolved {
  const { parts, trailingSlash } = splitPath(path);
  // Remaining components, last one at index 0 (so symlink targets can be spliced in front).
  const queue = parts.reverse();
  const stack: DirNode[] = [root];
  let budget = SYMLINK_BUDGET;
  let sawTrailing = trailingSlash;
  const top = () => stack[stack.length - 1]!;
  const popDir = () => {
    if (stack.length === 1) fail(ESCAPE_ERRNO, `path ${JSON.stringify(path)} leads outside the preopen`);
    stack.pop()!.close();
  };
  const spliceLink = (target: string) => {
    if (--budget < 0) fail(Errno.LOOP, `too many symlinks in ${JSON.stringify(path)}`);
    if (target.length === 0) fail(Errno.NOENT, 'empty symlink target');
    if (target.includes('\0')) fail(Errno.INVAL, 'NUL in symlink target');
    if (target.startsWith('/')) fail(ESCAPE_ERRNO, `symlink to absolute path ${JSON.stringify(target)} is outside the preopen`);
    if (target.endsWith('/') && queue.length === 0) sawTrailing = true;
    const comps = target.split('/').filter((s) => s.length > 0);
    for (let i = comps.length - 1; i >= 0; i--) queue.push(comps[i]!);
  };

  try {
    let finalName = '.';
    let finalStat: Stat | null | undefined;
    while (queue.length > 0) {
      const c = queue.pop()!;
      const isLast = queue.length === 0;
      if (c === '.') continue;
      if (c === '..') {
        popDir();
        continue;
      }
      if (isLast) {
        if (opts.followFinal || sawTrailing) {
          let st;
          try {
            st = top().lstatChild(c);
          } catch (e) {
            if (e instanceof WasiError && e.errno === Errno.NOENT) {
              finalName = c;
              finalStat = null;
              break;
            }
            throw e;
          }
          if (st.filetype === FileType.SYMBOLIC_LINK) {
            spliceLink(top().readlinkChild(c));
            continue;
          }
          // A trailing slash on a non-directory is left to the caller: wasmtime 49 answers it per
          // operation (path_open O_CREAT: EISDIR, create_directory: EEXIST, filestat_get without
          // follow: success, rename onto "file/": success, most others: ENOTDIR).
          finalStat = st;
        }
        finalName = c;
        break;
      }
      // Intermediate component: must be a directory; a symlink is read and spliced in.
      if (stack.length >= MAX_DEPTH) fail(Errno.NAMETOOLONG, `path ${JSON.stringify(path)} is too deep`);
      try {
        stack.push(top().openDirChild(c));
      } catch (e) {
        if (e instanceof WasiError && e.errno === Errno.LOOP) {
          spliceLink(top().readlinkChild(c));
          continue;
        }
        throw e;
      }
    }
    const dir = stack.pop()!;
    for (const d of stack.slice(1)) d.close();
    stack.length = 0;
    const owned = dir !== root;
    let released = false;
    return {
      dir,
      name: finalName,
      trailingSlash: sawTrailing,
      finalStat,
      release: () => {
        if (owned && !released) {
          released = true;
          dir.close();
        }
      },
    };
  } catch (e) {
    for (const d of stack.slice(1)) d.close();
    throw e;
  }
}
