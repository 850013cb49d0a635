// The CPU-bound bench programs (bench/cpu/*.c, built to .wasm by scripts/build-guests.sh): their size
// argument per bench size, and the expected checksums committed in bench/cpu/expected.txt.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** bench/cpu in the source tree (this file runs from dist/bench/). */
export const CPU_DIR = fileURLToPath(new URL('../../bench/cpu/', import.meta.url));

export type CpuSize = 'test' | 'quick' | 'full';

export interface CpuProgram {
  name: string;
  what: string;
  /** The program's one argument per size (test: fast enough for `npm test` in wasm). */
  arg: Record<CpuSize, string>;
}

export const CPU_PROGRAMS: readonly CpuProgram[] = [
  { name: 'sha256', what: 'SHA-256 of 1 MiB, N rounds', arg: { test: '2', quick: '10', full: '40' } },
  { name: 'nbody', what: 'n-body, N steps (f64)', arg: { test: '1000', quick: '1000000', full: '5000000' } },
  { name: 'fannkuch', what: 'fannkuch-redux(N)', arg: { test: '7', quick: '9', full: '10' } },
  { name: 'sort', what: 'qsort + merge sort of N u32', arg: { test: '5000', quick: '250000', full: '1000000' } },
  { name: 'lexer', what: 'tokenize N KiB of C-like text x4', arg: { test: '16', quick: '1024', full: '4096' } },
  { name: 'lz', what: 'LZ77 compress + decompress N KiB', arg: { test: '16', quick: '1024', full: '4096' } },
];

export const wasmPath = (p: CpuProgram): string => join(CPU_DIR, `${p.name}.wasm`);
export const sourcePath = (p: CpuProgram): string => join(CPU_DIR, `${p.name}.c`);
export const EXPECTED_PATH = join(CPU_DIR, 'expected.txt');

/** The `checksum: ...` line of a program's output (without the prefix), or null. */
export function checksumOf(stdout: string): string | null {
  const m = /^checksum: (.*)$/m.exec(stdout);
  return m ? m[1]!.trim() : null;
}

/** expected.txt: lines `NAME ARG CHECKSUM...` ('#' comments) -> "NAME ARG" -> checksum. */
export function readExpected(path = EXPECTED_PATH): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [name, arg, ...rest] = t.split(/\s+/);
    out.set(`${name} ${arg}`, rest.join(' '));
  }
  return out;
}
