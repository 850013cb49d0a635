// Snapshots a directory tree (names, types, sizes, content hashes, modes, mtimes, ctimes, link
// counts, symlink targets) of the host or of any fs backend, and compares two snapshots, for tests
// that prove nothing changed.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FileType, type DirNode } from '../../src/fs/types.js';

export interface EntrySnapshot {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  size: bigint;
  nlink: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** sha256 of a regular file's content. */
  sha256?: string;
  /** A symlink's target. */
  target?: string;
}

/** Relative path ('.' for the root itself) -> entry. */
export type TreeSnapshot = Map<string, EntrySnapshot>;

export interface SnapshotOptions {
  /** Relative paths (e.g. 'sandbox') whose entry and subtree are left out. */
  exclude?: readonly string[];
}

/** Takes a snapshot of `root` and everything beneath it, never following symlinks. */
export function snapshotTree(root: string, opts: SnapshotOptions = {}): TreeSnapshot {
  const exclude = new Set(opts.exclude ?? []);
  const out: TreeSnapshot = new Map();
  const visit = (rel: string) => {
    if (exclude.has(rel)) return;
    const abs = rel === '.' ? root : join(root, rel);
    const st = lstatSync(abs, { bigint: true });
    const entry: EntrySnapshot = {
      type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other',
      mode: Number(st.mode),
      size: st.size,
      nlink: st.nlink,
      mtimeNs: st.mtimeNs,
      ctimeNs: st.ctimeNs,
    };
    if (entry.type === 'file') entry.sha256 = createHash('sha256').update(readFileSync(abs)).digest('hex');
    if (entry.type === 'symlink') entry.target = readlinkSync(abs);
    out.set(rel, entry);
    if (entry.type === 'dir') {
      for (const name of readdirSync(abs).sort()) visit(rel === '.' ? name : join(rel, name));
    }
  };
  visit('.');
  return out;
}

/** Lists every difference between two snapshots, one readable line each (empty = identical). */
export function diffTrees(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const diffs: string[] = [];
  for (const [path, a] of before) {
    const b = after.get(path);
    if (!b) {
      diffs.push(`removed: ${path}`);
      continue;
    }
    for (const key of Object.keys(a) as (keyof EntrySnapshot)[]) {
      if (a[key] !== b[key]) diffs.push(`changed ${key}: ${path} (${String(a[key])} -> ${String(b[key])})`);
    }
    for (const key of Object.keys(b) as (keyof EntrySnapshot)[]) {
      if (!(key in a)) diffs.push(`changed ${key}: ${path} (none -> ${String(b[key])})`);
    }
  }
  for (const path of after.keys()) if (!before.has(path)) diffs.push(`added: ${path}`);
  return diffs;
}

const READ_ONLY_OPEN = { read: true, write: false, create: false, exclusive: false, truncate: false, append: false };

/**
 * The same snapshot taken through a backend's DirNode (e.g. an in-memory tree), never following
 * symlinks. `mode` is 0: backends have no permission bits.
 */
export function snapshotDirNode(root: DirNode): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  const entry = (st: ReturnType<DirNode['stat']>): EntrySnapshot => ({
    type:
      st.filetype === FileType.REGULAR_FILE ? 'file'
      : st.filetype === FileType.DIRECTORY ? 'dir'
      : st.filetype === FileType.SYMBOLIC_LINK ? 'symlink'
      : 'other',
    mode: 0,
    size: st.size,
    nlink: st.nlink,
    mtimeNs: st.mtimNs,
    ctimeNs: st.ctimNs,
  });
  const visit = (dir: DirNode, rel: string) => {
    for (const { name } of dir.readdir().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = rel === '.' ? name : join(rel, name);
      const e = entry(dir.lstatChild(name));
      if (e.type === 'symlink') e.target = dir.readlinkChild(name);
      if (e.type === 'file') {
        const f = dir.openFileChild(name, READ_ONLY_OPEN);
        try {
          const buf = new Uint8Array(Number(e.size));
          let off = 0;
          while (off < buf.length) {
            const n = f.pread(buf.subarray(off), BigInt(off));
            if (n === 0) break;
            off += n;
          }
          e.sha256 = createHash('sha256').update(buf.subarray(0, off)).digest('hex');
        } finally {
          f.close();
        }
      }
      out.set(path, e);
      if (e.type === 'dir') {
        const child = dir.openDirChild(name);
        try {
          visit(child, path);
        } finally {
          child.close();
        }
      }
    }
  };
  out.set('.', entry(root.stat()));
  visit(root, '.');
  return out;
}
