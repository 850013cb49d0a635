// Filesystem backends of Warden (host directory, in-memory tree, read-only wrapper), the
// resolver, and openPreopen(): how the sandbox runtime turns a preopen spec into a DirNode.
import { WardenError } from '../errors.js';
import { openHostDir } from './host.js';
import { MemoryFs } from './memory.js';
import { readOnlyDir } from './readonly.js';
import type { DirNode } from './types.js';

export * from './types.js';
export { resolve, SYMLINK_BUDGET, ESCAPE_ERRNO, PATH_MAX, MAX_DEPTH, type Resolved, type ResolveOptions } from './resolve.js';
export { openHostDir, HOST_BACKEND } from './host.js';
export { MemoryFs, type MemoryFsOptions } from './memory.js';
export { readOnlyDir, readOnlyFile } from './readonly.js';
export { READONLY_ERRNO } from './common.js';

export interface PreopenSpec {
  /** A host directory path (opened now; WardenError 'host-dir' if missing or unreadable). */
  host?: string;
  /** An in-memory tree (its root is mounted). */
  memory?: MemoryFs;
  /** Refuse every write through this preopen. */
  readOnly?: boolean;
}

/** Opens one preopen: exactly one of `host` / `memory`, optionally read-only. */
export function openPreopen(spec: PreopenSpec): DirNode {
  if ((spec.host === undefined) === (spec.memory === undefined)) {
    throw new WardenError('config', 'a preopen needs exactly one of `host` or `memory`');
  }
  const dir = spec.host !== undefined ? openHostDir(spec.host) : spec.memory!.root();
  return spec.readOnly ? readOnlyDir(dir) : dir;
}

/** A host directory as a preopen root (read-write unless `readOnly`). */
export function createHostBackend(hostPath: string, opts: { readOnly?: boolean } = {}): DirNode {
  return openPreopen({ host: hostPath, readOnly: opts.readOnly });
}
