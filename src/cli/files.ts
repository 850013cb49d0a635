// Reading a module file named on the command line: the one place the CLI turns a missing, unreadable or
// non-regular file into a 'config' error ("cannot read PATH: why"), without ever reading a device whole.
import { readFileSync, statSync } from 'node:fs';
import { WardenError } from '../errors.js';

/** The whole file at `path`; throws WardenError('config', "cannot read PATH: ...") if it is not a readable regular file. */
export function readModuleFile(path: string): Buffer {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) throw new Error('not a regular file'); // e.g. /dev/zero: never read it whole
    return readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new WardenError('config', `cannot read ${path}: ${why}`);
  }
}
