// Shared fixtures for the filesystem tests: one "world" per backend (a preopen root plus an
// outside tree it must never reach), tree builders, snapshots, and errno assertions.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { WasiError, errnoName } from '../src/wasi/errno.js';
import { openHostDir } from '../src/fs/host.js';
import { MemoryFs } from '../src/fs/memory.js';
import { FileType, type DirNode, type OpenFileOptions } from '../src/fs/types.js';

/** A tree to build: a string is a file's contents, `{ link }` a symlink, an object a directory. */
export type Tree = { [name: string]: string | { link: string } | Tree };

export interface World {
  /** The preopen. */
  root: DirNode;
  /** A directory of a different backend (for EXDEV). */
  foreign: DirNode;
  /** Builds `tree` inside the preopen with the backend's native tools (absolute links allowed). */
  build(tree: Tree): void;
  /** A snapshot of everything outside the preopen (must never change). */
  outside(): string;
  /** Absolute form of a path outside the preopen, for absolute symlinks. */
  outsideAbs(rel: string): string;
  cleanup(): void;
}

export interface Backend {
  name: string;
  make(): World;
}

const OUTSIDE: Tree = { secret: 'OUTSIDE-SECRET', dir: { deep: 'OUTSIDE-DEEP' } };

function buildHost(dir: string, tree: Tree): void {
  for (const [name, v] of Object.entries(tree)) {
    const p = path.join(dir, name);
    if (typeof v === 'string') fs.writeFileSync(p, v);
    else if ('link' in v && typeof v.link === 'string') fs.symlinkSync(v.link, p);
    else {
      fs.mkdirSync(p, { recursive: true });
      buildHost(p, v as Tree);
    }
  }
}

function buildMemory(mfs: MemoryFs, prefix: string, tree: Tree): void {
  for (const [name, v] of Object.entries(tree)) {
    const p = `${prefix}/${name}`;
    if (typeof v === 'string') mfs.writeFile(p, v);
    else if ('link' in v && typeof v.link === 'string') mfs.symlink(v.link, p);
    else {
      mfs.mkdirp(p);
      buildMemory(mfs, p, v as Tree);
    }
  }
}

/** Every entry beneath `dir` (through the DirNode API, never following links), sorted. */
export function snapshot(dir: DirNode, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of dir.readdir().sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = prefix + e.name;
    const st = dir.lstatChild(e.name);
    if (st.filetype === FileType.DIRECTORY) {
      out.push(`${p}/`);
      const sub = dir.openDirChild(e.name);
      try {
        out.push(...snapshot(sub, `${p}/`));
      } finally {
        sub.close();
      }
    } else if (st.filetype === FileType.SYMBOLIC_LINK) {
      out.push(`${p} -> ${dir.readlinkChild(e.name)}`);
    } else {
      out.push(`${p} = ${readAll(dir, e.name)} (nlink ${st.nlink})`);
    }
  }
  return out;
}

export const R: OpenFileOptions = { read: true, write: false, create: false, exclusive: false, truncate: false, append: false };
export const W: OpenFileOptions = { ...R, read: false, write: true };
export const CREATE: OpenFileOptions = { ...R, write: true, create: true };

export function readAll(dir: DirNode, name: string): string {
  const f = dir.openFileChild(name, R);
  try {
    const chunks: Buffer[] = [];
    let pos = 0n;
    for (;;) {
      const b = new Uint8Array(4096);
      const n = f.pread(b, pos);
      if (n === 0) break;
      chunks.push(Buffer.from(b.subarray(0, n)));
      pos += BigInt(n);
    }
    return Buffer.concat(chunks).toString();
  } finally {
    f.close();
  }
}

export function writeAll(dir: DirNode, name: string, data: string, opts: OpenFileOptions = { ...CREATE, truncate: true }): void {
  const f = dir.openFileChild(name, opts);
  try {
    assert.equal(f.pwrite(Buffer.from(data), 0n), Buffer.byteLength(data));
  } finally {
    f.close();
  }
}

/** Asserts `f` throws a WasiError with `errno` (names shown on mismatch). */
export function throwsErrno(f: () => unknown, errno: number, label = ''): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WasiError)) throw new assert.AssertionError({ message: `${label}: expected WasiError ${errnoName(errno)}, got ${String(e)}` });
    assert.equal(errnoName(e.errno), errnoName(errno), `${label}: ${e.message}`);
    return;
  }
  assert.fail(`${label}: expected ${errnoName(errno)}, but it succeeded`);
}

export const hostBackend: Backend = {
  name: 'host',
  make(): World {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-fs-'));
    const rootPath = path.join(base, 'root');
    const outPath = path.join(base, 'outside');
    fs.mkdirSync(rootPath);
    fs.mkdirSync(outPath);
    buildHost(outPath, OUTSIDE);
    const root = openHostDir(rootPath);
    const foreign = new MemoryFs().root();
    return {
      root,
      foreign,
      build: (tree) => buildHost(rootPath, tree),
      outside: () => {
        const d = openHostDir(outPath);
        try {
          // The base dir itself: only 'root' and 'outside' may exist there.
          return [...fs.readdirSync(base).sort(), ...snapshot(d)].join('\n');
        } finally {
          d.close();
        }
      },
      outsideAbs: (rel) => path.join(outPath, rel),
      cleanup: () => {
        try {
          root.close();
        } catch {
          /* already closed by the test */
        }
        fs.rmSync(base, { recursive: true, force: true });
      },
    };
  },
};

export const memoryBackend: Backend = {
  name: 'memory',
  make(): World {
    const mfs = new MemoryFs();
    mfs.mkdirp('root');
    buildMemory(mfs, 'outside', OUTSIDE);
    const root = mfs.root('root');
    let foreignBase: string | null = null;
    // The foreign backend of a memory world is a host directory.
    foreignBase = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-fs-foreign-'));
    const foreign = openHostDir(foreignBase);
    return {
      root,
      foreign,
      build: (tree) => buildMemory(mfs, 'root', tree),
      outside: () => {
        const top = mfs.root();
        const names = top.readdir().map((e) => e.name).sort();
        const out = top.openDirChild('outside');
        try {
          return [...names, ...snapshot(out)].join('\n');
        } finally {
          out.close();
        }
      },
      outsideAbs: (rel) => `/outside/${rel}`,
      cleanup: () => {
        try {
          foreign.close();
        } catch {
          /* closed */
        }
        fs.rmSync(foreignBase!, { recursive: true, force: true });
      },
    };
  },
};

export const backends: Backend[] = [hostBackend, memoryBackend];

/** Open host fds of this process (to check nothing leaks). */
export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}
