// Snapshots a host directory tree (names, types, sizes, content hashes, modes, mtimes, ctimes,
// link counts, symlink targets) and compares two snapshots, for tests that prove nothing changed.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

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
