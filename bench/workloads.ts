// The WASI I/O benchmark workloads, one table row each: which guest, its arguments at full,
// quick and test size, how its directory is prepared, and whether it counts as I/O-heavy.
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The guest sees its scratch directory here (a preopen). */
export const GUEST_DIR = '/tmp';

/** Workload sizes: `full` for `npm run bench`, `quick` for `--quick`, `test` for the correctness test. */
export type Size = 'full' | 'quick' | 'test';

/** How guest stdout is consumed: written to /dev/null by every runtime, or captured in memory. */
export type StdoutMode = 'devnull' | 'capture';

export interface Workload {
  /** Short name, also the `--only` filter. */
  name: string;
  /** What the table shows. */
  label: (size: Size) => string;
  /** Guest module, relative to bench/guests/. */
  guest: string;
  /** Guest argv after argv[0], per size. */
  args: (size: Size) => string[];
  /** Fills the (empty) host directory mounted at GUEST_DIR before any timed run; untimed. */
  setup?: (hostDir: string, size: Size) => void;
  /** Shared read-only fixture (setup once) rather than a fresh scratch directory per contender. */
  sharedDir?: boolean;
  stdout: StdoutMode;
  /** Counted in the geometric mean of I/O ratios (the PRODUCT.md <= 0.6x goal). */
  io: boolean;
  /** Runs per timed sample (tiny programs are timed in batches; the sample is the per-run mean). */
  inner: (size: Size) => number;
  /** Timed samples per contender (interleaved). */
  reps: (size: Size) => number;
  /** Also time a bare `new WebAssembly.Instance` of the module (the fresh-sandbox reference). */
  bareInstance?: boolean;
}

const pick = <T>(size: Size, full: T, quick: T, test: T): T => (size === 'full' ? full : size === 'quick' ? quick : test);

const LINES = { full: 200_000, quick: 20_000, test: 500 };
const BIG_MIB = { full: 64, quick: 8, test: 1 };
const FILES = { full: 5_000, quick: 500, test: 50 };
const DIR_ENTRIES = { full: 10_000, quick: 500, test: 100 };
const LISTINGS = { full: 5, quick: 2, test: 2 };

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'stdout',
    label: (s) => `stdout: ${LINES[s].toLocaleString('en')} small writes -> /dev/null`,
    guest: 'stdout_lines.wasm',
    args: (s) => [String(LINES[s])],
    stdout: 'devnull',
    io: true,
    inner: () => 1,
    reps: (s) => pick(s, 7, 3, 1),
  },
  {
    name: 'stdout-capture',
    label: (s) => `stdout: ${LINES[s].toLocaleString('en')} small writes, captured (info)`,
    guest: 'stdout_lines.wasm',
    args: (s) => [String(LINES[s])],
    stdout: 'capture',
    io: false,
    inner: () => 1,
    reps: (s) => pick(s, 5, 3, 1),
  },
  {
    name: 'bigfile',
    label: (s) => `file: write+read ${BIG_MIB[s]} MiB in 64 KiB chunks`,
    guest: 'bigfile.wasm',
    args: (s) => [GUEST_DIR, String(BIG_MIB[s]), '64'],
    stdout: 'devnull',
    io: true,
    inner: () => 1,
    reps: (s) => pick(s, 15, 5, 1),
  },
  {
    name: 'manyfiles',
    label: (s) => `files: create+stat+unlink ${FILES[s].toLocaleString('en')}`,
    guest: 'manyfiles.wasm',
    args: (s) => [GUEST_DIR, String(FILES[s])],
    stdout: 'devnull',
    io: true,
    inner: () => 1,
    reps: (s) => pick(s, 9, 3, 1),
  },
  {
    name: 'readdir',
    label: (s) => `readdir: ${DIR_ENTRIES[s].toLocaleString('en')} entries x ${LISTINGS[s]} listings`,
    guest: 'readdir.wasm',
    args: (s) => [GUEST_DIR, String(LISTINGS[s])],
    setup: (dir, s) => {
      for (let i = 0; i < DIR_ENTRIES[s]; i++) writeFileSync(join(dir, `entry-${String(i).padStart(5, '0')}.txt`), '');
      mkdirSync(join(dir, 'a-subdirectory'));
    },
    sharedDir: true,
    stdout: 'devnull',
    io: true,
    inner: () => 1,
    reps: (s) => pick(s, 7, 3, 1),
  },
  {
    name: 'fresh',
    label: () => 'fresh run of a tiny program (per run)',
    guest: 'hello.wasm',
    args: () => [],
    stdout: 'devnull',
    io: false,
    inner: (s) => pick(s, 200, 50, 1),
    reps: (s) => pick(s, 7, 3, 1),
    bareInstance: true,
  },
];

/** Absolute path of a bench guest (works from bench/ and from dist/bench/). */
export function guestPath(guest: string): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const root = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
  return join(root, 'bench', 'guests', guest);
}

/** Where scratch directories go: $WARDEN_BENCH_DIR, else /dev/shm (tmpfs: measures the runtimes,
 *  not a shared disk's journal, which is far noisier), else the OS temp directory. */
export function benchRoot(): string {
  const fromEnv = process.env.WARDEN_BENCH_DIR;
  if (fromEnv) return fromEnv;
  try {
    accessSync('/dev/shm', constants.W_OK);
    if (statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no usable /dev/shm
  }
  return tmpdir();
}
