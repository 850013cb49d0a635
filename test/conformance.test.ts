// WASI preview1 conformance: runs the C guests of test/guests/wasi under Warden and compares each
// transcript with the committed reference transcript of wasmtime 49 (test/conformance/*.expected).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryFs, run, type DirOption } from '../src/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONF = join(ROOT, 'test/conformance');
const GUESTS = join(ROOT, 'test/guests/wasi');

interface Case {
  name: string;
  guest: string;
  argv0?: string;
  args?: string[];
  env?: Record<string, string>;
  stdin?: string;
  /** Runs the guest once per entry with these args; the transcripts are concatenated. */
  variants?: string[][];
}
interface CasesFile {
  fixture: Record<string, string>;
  dirs: { guest: string; fixture: string; readOnly?: boolean }[];
  cases: Case[];
}
const SPEC = JSON.parse(readFileSync(join(CONF, 'cases.json'), 'utf8')) as CasesFile;

/** What one run produced, reduced to what the transcript shows. */
interface Outcome {
  stdout: Buffer;
  stderr: Buffer;
  /** `exit N`, `trap`, or `error KIND: MESSAGE` (a Warden error that is not a trap). */
  end: string;
}

// ---------------------------------------------------------------------------------------------
// Where Warden differs from wasmtime 49. Each entry replaces what the reference transcript says
// with what Warden must print instead, so every difference is written down here, never silent:
//  - 'deliberate': Warden chose to differ (the reason says why);
//  - 'reported':   a difference this suite found and reported to the WASI implementation; when
//                  Warden is changed to match wasmtime, the entry stops matching and the test
//                  fails until the entry is removed.
// An entry whose reference line no longer exists fails the test too, so the list cannot go stale.
type DiffKind = 'deliberate' | 'reported';
type Backend = 'host' | 'memory';
interface LineDiff {
  kind: DiffKind;
  case: string;
  /** Only for runs on this filesystem backend (default: both). */
  backend?: Backend;
  /** The exact reference line (from the .expected file); every occurrence is replaced. */
  wasmtime: string;
  /** What Warden prints instead (may be several lines). */
  warden: string;
  reason: string;
}
interface RunDiff {
  kind: DiffKind;
  case: string;
  backend?: Backend;
  /** Which runs of a variant case this applies to, given their args and reference transcript. */
  applies: (args: string[], reference: string) => boolean;
  /** The whole transcript Warden must produce for that run instead. */
  warden: (args: string[], reference: string) => string;
  reason: string;
}

const CPU_CLOCKS = ['PROCESS_CPUTIME_ID', 'THREAD_CPUTIME_ID'];
const LINE_DIFFS: LineDiff[] = [
  ...CPU_CLOCKS.flatMap((clock): LineDiff[] => [
    ['clock_res_get %', '\n  resolution between 1ns and 1s: yes'],
    ['clock_time_get % precision 1', ''],
    ['clock_time_get % precision 1ms', '\n  does not go backwards: yes'],
    ['clock_time_get % precision 0', ''],
    ['clock_time_get % precision max', ''],
  ].map(([label, extra]) => ({
    kind: 'deliberate',
    case: 'clocks_random',
    wasmtime: `${label!.replace('%', clock)} -> EBADF`,
    warden: `${label!.replace('%', clock)} -> ok${extra}`,
    reason: 'Warden implements the CPU-time clocks (wasmtime 49: EBADF) so that libc clock() works',
  }))),
  {
    kind: 'deliberate', case: 'path_misc', backend: 'host',
    wasmtime: '  target mtim 1400000000000000005', warden: '  target mtim 1400000000000000000',
    reason: "host directories: Node's fs.utimes takes seconds as a double, so nanoseconds beyond its " +
      'precision are lost (the in-memory backend keeps them)',
  },
  ...[
    ['fd_write iovs_len 0x10000000', 'ENOMEM'],
    ['fd_write iovs_len 0xffffffff', 'ENOMEM'],
    ['fd_write buf len 0xfffffff0', 'ENOMEM'],
    ['path_open path_len 0xffffffff', 'ENOMEM'],
    ['poll_oneoff nsubscriptions 0x7fffffff', 'ENOMEM'],
    ['poll_oneoff nsubscriptions 0xffffffff', 'ENOMEM'],
  ].map(([label, errno]): LineDiff => ({
    kind: 'deliberate', case: 'hostile',
    wasmtime: `${label} -> ${errno}`, warden: `${label} -> EFAULT`,
    reason: 'a length too large for memory: wasmtime ENOMEM (a host allocation limit it hits first), Warden ' +
      'EFAULT: the range lies outside guest memory, which is checked before anything is allocated or read',
  })),
];

/** What Warden does where wasmtime 49 traps on an enum or flags value it cannot decode. */
const BAD_ARG_ERRNO: Record<string, string> = {
  'shutdown-how': 'ENOTSOCK', // the fd check comes first: stdin is not a socket
  'recv-flags': 'ENOTSOCK',
};
const endsInTrap = (_args: string[], ref: string) => ref.endsWith('--- trap\n');

const RUN_DIFFS: RunDiff[] = [
  {
    kind: 'deliberate', case: 'hostile', applies: endsInTrap,
    warden: (_args, ref) => {
      const head = ref.split('\n')[0]!; // "case N: label"
      const label = head.replace(/^case \d+: /, '');
      const errno = label.includes('unaligned') ? 'ok' : 'EFAULT';
      return `${head}\n${label} -> ${errno}\nh.txt intact: yes\nnothing named x created: yes\n--- stderr\n--- exit 0\n`;
    },
    reason: 'wasmtime 49 traps on an out-of-bounds or unaligned guest pointer; Warden returns EFAULT for ' +
      'out-of-bounds (the issue: a hostile pointer gives an errno) and accepts unaligned ones (wasm memory allows them)',
  },
  {
    kind: 'deliberate', case: 'bad_args', applies: endsInTrap,
    warden: ([which]) => `${which} -> ${BAD_ARG_ERRNO[which!] ?? 'EINVAL'}\n--- stderr\n--- exit 0\n`,
    reason: 'wasmtime 49 traps ("Invalid enum value", "Invalid flags value") on an undecodable enum or flags ' +
      'argument; Warden returns EINVAL for unknown bits of every flags argument (oflags, fdflags, fstflags, ' +
      'lookupflags, rights) and for values outside an enum',
  },
  {
    kind: 'deliberate', case: 'raise', applies: endsInTrap,
    warden: ([sig]) => `calling proc_raise(${sig})\nproc_raise ${sig} -> ENOTSUP\n--- stderr\n--- exit 0\n`,
    reason: 'wasmtime 49 traps on a signal number outside the enum ("Invalid enum value Signal"); Warden gives ' +
      'ENOTSUP as for every other signal',
  },
];

// ---------------------------------------------------------------------------------------------
// Fixtures and transcripts

/** A fresh temp dir holding the fixture tree; dirs are the preopens in cases.json order. */
function makeFixture(): { root: string; dirs: { guest: string; host: string; readOnly: boolean }[] } {
  const root = mkdtempSync(join(tmpdir(), 'warden-conformance-'));
  for (const d of SPEC.dirs) mkdirSync(join(root, d.fixture), { recursive: true });
  for (const [path, contents] of Object.entries(SPEC.fixture)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), contents);
  }
  return { root, dirs: SPEC.dirs.map((d) => ({ guest: d.guest, host: join(root, d.fixture), readOnly: !!d.readOnly })) };
}

function withNewline(s: string): string {
  return s === '' || s.endsWith('\n') ? s : `${s}\n[no newline at end]\n`;
}

function transcriptOf(o: Outcome): string {
  return `${withNewline(o.stdout.toString('utf8'))}--- stderr\n${withNewline(o.stderr.toString('utf8'))}--- ${o.end}\n`;
}

function runsOf(c: Case): string[][] {
  return c.variants ?? [c.args ?? []];
}

function variantHeader(args: string[]): string {
  return `=== ${JSON.stringify(args)}\n`;
}

/** Runs every variant of a case through `runner` (each in a fresh fixture) and joins the transcripts. */
async function caseTranscript(c: Case, runner: (c: Case, args: string[]) => Promise<Outcome>): Promise<string> {
  const parts = await mapPool(runsOf(c), 2, async (args) => {
    const t = transcriptOf(await runner(c, args));
    return c.variants ? variantHeader(args) + t : t;
  });
  return parts.join('');
}

async function mapPool<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The two runtimes

/** The fixture as in-memory trees, one MemoryFs per preopen. */
function memoryFixture(): DirOption[] {
  return SPEC.dirs.map((d) => {
    const fs = new MemoryFs();
    for (const [path, contents] of Object.entries(SPEC.fixture)) {
      if (path.startsWith(`${d.fixture}/`)) fs.writeFile(path.slice(d.fixture.length + 1), contents);
    }
    return { guest: d.guest, memory: fs, readOnly: !!d.readOnly };
  });
}

async function runWardenOn(backend: 'host' | 'memory', c: Case, args: string[]): Promise<Outcome> {
  const fx = backend === 'host' ? makeFixture() : undefined;
  try {
    const bytes = readFileSync(join(GUESTS, `${c.guest}.wasm`));
    const r = await run(bytes, {
      args,
      argv0: c.argv0 ?? `${c.guest}.wasm`,
      env: c.env ?? {},
      stdin: c.stdin ?? '',
      dirs: fx ? fx.dirs : memoryFixture(),
    });
    const end = !r.error ? `exit ${r.exitCode}` : r.error.kind === 'trap' ? 'trap' : `error ${r.error.kind}: ${r.error.message.split('\n')[0]}`;
    return { stdout: r.stdout, stderr: r.stderr, end };
  } finally {
    if (fx) rmSync(fx.root, { recursive: true, force: true });
  }
}

const WASMTIME_PY = process.env.WASMTIME_PY ?? '/tmp/wt/bin/python';
const WASMTIME_RUN = join(ROOT, 'scripts/wasmtime-run.py');

/** Why the reference runtime cannot run here, or undefined if it can. */
function wasmtimeMissing(): string | undefined {
  if (!existsSync(WASMTIME_PY) && !process.env.WASMTIME_PY) return `no python at ${WASMTIME_PY} (set WASMTIME_PY)`;
  const r = spawnSync(WASMTIME_PY, ['-c', 'import wasmtime'], { encoding: 'utf8' });
  if (r.status !== 0) return `${WASMTIME_PY} cannot import wasmtime`;
  return undefined;
}

/** Runs every variant of a case in ONE wasmtime-run.py process (the module is compiled once). */
async function wasmtimeTranscript(c: Case): Promise<string> {
  const runs = runsOf(c);
  const fixtures = runs.map(() => makeFixture());
  try {
    const job = {
      module: join(GUESTS, `${c.guest}.wasm`),
      runs: runs.map((args, i) => {
        const stdin = join(fixtures[i]!.root, 'stdin');
        writeFileSync(stdin, c.stdin ?? '');
        return {
          argv: [c.argv0 ?? `${c.guest}.wasm`, ...args],
          env: Object.entries(c.env ?? {}),
          stdin,
          dirs: fixtures[i]!.dirs,
        };
      }),
    };
    const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((res, rej) => {
      const p = spawn(WASMTIME_PY, [WASMTIME_RUN, '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const o: Buffer[] = [];
      const e: Buffer[] = [];
      p.stdout.on('data', (b: Buffer) => o.push(b));
      p.stderr.on('data', (b: Buffer) => e.push(b));
      p.on('error', rej);
      p.on('close', (code) => res({ code, out: Buffer.concat(o).toString(), err: Buffer.concat(e).toString() }));
      p.stdin.end(JSON.stringify(job));
    });
    if (code !== 0) throw new Error(`wasmtime-run --batch failed (${code}): ${err}`);
    const results = JSON.parse(out) as { exitCode: number; trap: string | null; stdout: string; stderr: string }[];
    return results
      .map((j, i) => {
        const t = transcriptOf({
          stdout: Buffer.from(j.stdout, 'base64'),
          stderr: Buffer.from(j.stderr, 'base64'),
          end: j.trap !== null ? 'trap' : `exit ${j.exitCode}`,
        });
        return c.variants ? variantHeader(runs[i]!) + t : t;
      })
      .join('');
  } finally {
    for (const fx of fixtures) rmSync(fx.root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison

function expectedPath(c: Case): string {
  return join(CONF, `${c.name}.expected`);
}

/** Splits a variant case's transcript into its runs, keyed by the `=== [args]` header line. */
function splitVariants(t: string): Map<string, string> {
  const m = new Map<string, string>();
  const re = /^=== (.*)\n/gm;
  const heads = [...t.matchAll(re)];
  heads.forEach((h, i) => m.set(h[1]!, t.slice(h.index! + h[0].length, heads[i + 1]?.index ?? t.length)));
  return m;
}

/** The reference transcript with the listed differences applied: what Warden must print. */
function wardenExpectation(c: Case, reference: string, backend: Backend, note: (s: string) => void): string {
  let t = reference;
  const runDiffs = RUN_DIFFS.filter((d) => d.case === c.name && (!d.backend || d.backend === backend));
  if (runDiffs.length > 0 && c.variants) {
    const parts = splitVariants(t);
    t = c.variants
      .map((args) => {
        const ref = parts.get(JSON.stringify(args)) ?? '';
        const d = runDiffs.find((x) => x.applies(args, ref));
        if (d) note(`${d.kind} difference, run ${JSON.stringify(args)}: ${d.reason}`);
        return variantHeader(args) + (d ? d.warden(args, ref) : ref);
      })
      .join('');
  }
  const lines = t.split('\n');
  for (const d of LINE_DIFFS.filter((x) => x.case === c.name && (!x.backend || x.backend === backend))) {
    assert.ok(lines.includes(d.wasmtime), `stale allow-list entry for ${c.name}: no reference line ${JSON.stringify(d.wasmtime)}`);
    for (let k = 0; k < lines.length; k++) if (lines[k] === d.wasmtime) lines[k] = d.warden;
    note(`${d.kind} difference: ${JSON.stringify(d.wasmtime)} -> ${JSON.stringify(d.warden)}: ${d.reason}`);
  }
  return lines.join('\n');
}

/** A line diff (longest common subsequence) of two transcripts, with a little context. */
export function lineDiff(expected: string, actual: string, context = 2): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: { tag: ' ' | '-' | '+'; line: string; ln: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ tag: ' ', line: a[i++]!, ln: j++ });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ tag: '-', line: a[i]!, ln: i++ });
    else ops.push({ tag: '+', line: b[j]!, ln: j++ });
  }
  const show = ops.map((o, k) => o.tag !== ' ' || ops.slice(Math.max(0, k - context), k + context + 1).some((x) => x.tag !== ' '));
  const out: string[] = [];
  ops.forEach((o, k) => {
    if (show[k]) out.push(`${o.tag} ${o.line}`);
    else if (show[k - 1] && show.indexOf(true, k) >= 0) out.push('  ...');
  });
  return out.join('\n');
}

function assertSameTranscript(label: string, expected: string, actual: string): void {
  if (expected === actual) return;
  assert.fail(`${label}: transcript differs (- expected, + actual)\n${lineDiff(expected, actual)}`);
}

// ---------------------------------------------------------------------------------------------
// The tests

const PREVIEW1 = [
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get', 'clock_time_get',
  'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags',
  'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread',
  'fd_prestat_get', 'fd_prestat_dir_name', 'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek',
  'fd_sync', 'fd_tell', 'fd_write', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times',
  'path_link', 'path_open', 'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink',
  'path_unlink_file', 'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get', 'sock_accept',
  'sock_recv', 'sock_send', 'sock_shutdown',
];

const UPDATE = process.env.CONFORMANCE_UPDATE === '1';
const ONLY = process.env.CONFORMANCE_ONLY ? process.env.CONFORMANCE_ONLY.split(',').filter(Boolean) : undefined;
const CASES = SPEC.cases.filter((c) => !ONLY || ONLY.includes(c.name));

describe('WASI conformance suite itself', () => {
  it('the guests import every wasi_snapshot_preview1 function', () => {
    const imported = new Set<string>();
    for (const c of SPEC.cases) {
      const mod = new WebAssembly.Module(readFileSync(join(GUESTS, `${c.guest}.wasm`)));
      for (const imp of WebAssembly.Module.imports(mod)) {
        if (imp.module === 'wasi_snapshot_preview1') imported.add(imp.name);
      }
    }
    assert.equal(PREVIEW1.length, 46);
    assert.deepEqual(PREVIEW1.filter((f) => !imported.has(f)), []);
    assert.deepEqual([...imported].filter((f) => !PREVIEW1.includes(f)), []);
  });

  it('every case has a committed reference transcript, and there are no others', () => {
    const names = new Set(SPEC.cases.map((c) => `${c.name}.expected`));
    const files = readdirSync(CONF).filter((f) => f.endsWith('.expected'));
    if (UPDATE) return;
    assert.deepEqual(files.filter((f) => !names.has(f)), [], 'stray .expected files');
    assert.deepEqual([...names].filter((f) => !files.includes(f)), [], 'missing .expected files');
  });

  it('the line diff used in failure messages marks removed and added lines', () => {
    assert.equal(lineDiff('a\nb\nc', 'a\nB\nc', 0), '- b\n+ B');
    assert.equal(lineDiff('x', 'x'), '');
  });
});

const missing = wasmtimeMissing();

describe('WASI conformance: the reference runtime (wasmtime 49) matches the committed transcripts', () => {
  for (const c of CASES) {
    it(c.name, { skip: missing ? `reference runtime unavailable: ${missing}` : false }, async () => {
      const live = await wasmtimeTranscript(c);
      if (UPDATE) writeFileSync(expectedPath(c), live);
      assertSameTranscript(`wasmtime ${c.name}`, readFileSync(expectedPath(c), 'utf8'), live);
    });
  }
});

for (const backend of ['host', 'memory'] as const) {
  const title = backend === 'host' ? 'host directories' : 'in-memory trees';
  describe(`WASI conformance: Warden on ${title} matches wasmtime 49 (committed transcripts, listed differences)`, () => {
    for (const c of CASES) {
      it(c.name, async (t) => {
        const reference = readFileSync(expectedPath(c), 'utf8');
        const actual = await caseTranscript(c, (cc, args) => runWardenOn(backend, cc, args));
        const notes = new Set<string>();
        const expected = wardenExpectation(c, reference, backend, (n) => notes.add(n));
        for (const n of notes) if (n.startsWith('reported')) t.diagnostic(n);
        assertSameTranscript(`warden (${title}) ${c.name}`, expected, actual);
      });
    }
  });
}
