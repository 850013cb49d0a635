// --trace: one line per WASI call with decoded arguments, errno and outputs, e.g.
// `wasi: path_open(fd=3, dirflags=SYMLINK_FOLLOW, path="foo/bar", oflags=CREAT|TRUNC, ...) -> errno 0 (SUCCESS) fd=4`
import { ERRNO_NAMES } from './errno.js';
import { Advice, ClockId, FdFlags, FstFlags, LookupFlags, OFlags, RIGHT_NAMES, Whence, flagNames } from './constants.js';
import type { GuestMemory } from './memory.js';
import type { FunctionDef } from './preview1.js';

const MAX_PATH_SHOWN = 256;

function enumName(table: Record<string, number>, v: number): string {
  for (const [k, n] of Object.entries(table)) if (n === v) return k;
  return String(v);
}

function rightsName(v: bigint): string {
  const all = (1n << BigInt(RIGHT_NAMES.length)) - 1n;
  if (v === all) return 'ALL';
  return `0x${v.toString(16)}`;
}

function pathString(mem: GuestMemory, ptr: number, len: number): string {
  try {
    const n = Math.min(len >>> 0, MAX_PATH_SHOWN);
    const b = mem.bytes(ptr, n).slice();
    const s = Buffer.from(b).toString('utf8');
    return JSON.stringify(s) + ((len >>> 0) > n ? '...' : '');
  } catch {
    return `<bad pointer 0x${(ptr >>> 0).toString(16)}+${len >>> 0}>`;
  }
}

/** Decodes the arguments of one call (values as the import received them). */
export function formatArgs(def: FunctionDef, mem: GuestMemory, args: readonly unknown[]): string {
  const parts: string[] = [];
  let i = 0;
  for (const [name, kind] of def.params) {
    const v = args[i];
    const n = typeof v === 'number' ? v : 0;
    switch (kind) {
      case 'path':
        parts.push(`${name}=${mem.bound ? pathString(mem, n, args[i + 1] as number) : '?'}`);
        i += 2;
        continue;
      case 'ptr':
        parts.push(`${name}=0x${(n >>> 0).toString(16)}`);
        break;
      case 'u64':
        parts.push(`${name}=${typeof v === 'bigint' ? BigInt.asUintN(64, v) : '?'}`);
        break;
      case 'i64':
        parts.push(`${name}=${typeof v === 'bigint' ? BigInt.asIntN(64, v) : '?'}`);
        break;
      case 'oflags':
        parts.push(`${name}=${flagNames(OFlags, n)}`);
        break;
      case 'fdflags':
        parts.push(`${name}=${flagNames(FdFlags, n)}`);
        break;
      case 'lookupflags':
        parts.push(`${name}=${flagNames(LookupFlags, n)}`);
        break;
      case 'fstflags':
        parts.push(`${name}=${flagNames(FstFlags, n)}`);
        break;
      case 'rights':
        parts.push(`${name}=${typeof v === 'bigint' ? rightsName(BigInt.asUintN(64, v)) : '?'}`);
        break;
      case 'whence':
        parts.push(`${name}=${enumName(Whence, n)}`);
        break;
      case 'clockid':
        parts.push(`${name}=${enumName(ClockId, n)}`);
        break;
      case 'advice':
        parts.push(`${name}=${enumName(Advice, n)}`);
        break;
      default:
        parts.push(`${name}=${n >>> 0}`);
    }
    i++;
  }
  return parts.join(', ');
}

/** Reads the outputs of a successful call from guest memory. */
export function formatOutputs(def: FunctionDef, mem: GuestMemory, args: readonly unknown[]): string {
  const parts: string[] = [];
  for (const [name, kind, param] of def.outputs) {
    const ptr = args[param] as number;
    try {
      mem.refresh();
      parts.push(`${name}=${kind === 'u64' ? mem.u64(ptr) : mem.u32(ptr)}`);
    } catch {
      // the call succeeded, so the pointer was valid; nothing to show otherwise
    }
  }
  return parts.length > 0 ? ' ' + parts.join(' ') : '';
}

export function formatErrno(errno: number): string {
  return `errno ${errno} (${ERRNO_NAMES[errno] ?? '?'})`;
}

/** One trace line. Never throws: arguments that cannot be decoded are shown as `?`. */
export function traceLine(def: FunctionDef, mem: GuestMemory, args: readonly unknown[], result: string): string {
  let decoded: string;
  try {
    decoded = formatArgs(def, mem, args);
  } catch {
    decoded = '?';
  }
  return `wasi: ${def.name}(${decoded}) -> ${result}`;
}
