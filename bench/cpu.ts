// The CPU-bound section of `npm run bench`: bench/cpu/*.c run natively (clang -O2, built into a temp dir),
// as plain wasm in V8 (uninstrumented, a minimal WASI shim) and in Warden (instrumented: fuel, limits),
// interleaved; prints per-program ratios, geometric means and instrumentation speed in MB/s.
// Standalone: node dist/bench/cpu.js [--quick] [--reps=N]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { compile, DEFAULT_LIMITS, instrument, type CompiledModule } from '../src/index.js';
import { listSections } from '../src/binary/names.js';
import { CPU_PROGRAMS, checksumOf, readExpected, sourcePath, wasmPath, type CpuProgram } from './cpu-programs.js';
import { gc } from './io.js';
import { fmtMs, fmtRatio, geomean, median, pairedRatios, table } from './stats.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const GOAL = { instrumented: 1.1, native: 1.5, mbps: 50 };

export interface CpuBenchOptions {
  quick: boolean;
  reps?: number;
  log?: (line: string) => void;
}

interface Sample {
  /** CPU time (user + system) of the run, in ms: less disturbed than wall time by other load on the machine. */
  ms: number;
  checksum: string | null;
}

type Runner = (p: CpuProgram, arg: string) => Promise<Sample>;

/** CPU time this process has used, in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs a native program and reports its CPU time (wait4's rusage, in microseconds) on stderr. */
const NATIVE_RUNNER = `#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  (void)argc;
  pid_t pid = fork();
  if (pid == 0) { execv(argv[1], argv + 1); _exit(127); }
  int st; struct rusage ru;
  if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) return 126;
  fprintf(stderr, "cpu_us %ld\\n", (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
`;

/**
 * Runs a WASI command module in V8 with just the imports wasi-libc's startup and printf use: as built, or
 * (`fuel`) rewritten by instrument() exactly as Warden rewrites it for the default limits (fuel metering and
 * the memory/table caps, which declare a maximum) with an endless fuel supply, which isolates the rewriter's
 * cost from the rest of a Warden run.
 */
async function plainV8(fuel = false): Promise<Runner> {
  const modules = new Map<string, WebAssembly.Module>();
  let fuelImport: Record<string, Record<string, (n: bigint) => bigint>> = {};
  for (const p of CPU_PROGRAMS) {
    let bytes: Uint8Array = readFileSync(wasmPath(p));
    if (fuel) {
      const out = instrument(bytes, { fuel: true, memoryBytes: DEFAULT_LIMITS.memoryBytes, tableElements: DEFAULT_LIMITS.tableElements });
      bytes = out.bytes;
      const f = out.requires.fuel!;
      fuelImport = { [f.module]: { [f.name]: () => 1n << 60n } };
    }
    modules.set(p.name, await WebAssembly.compile(bytes));
  }
  class Exit {
    constructor(readonly code: number) {}
  }
  return async (p, arg) => {
    const argv = [p.name, arg].map((a) => Buffer.from(a + '\0'));
    let memory: WebAssembly.Memory | undefined;
    const view = (): DataView => new DataView(memory!.buffer);
    let stdout = '';
    const wasi: Record<string, (...a: number[]) => number> = {
      args_sizes_get(pc, ps) {
        view().setUint32(pc, argv.length, true);
        view().setUint32(ps, argv.reduce((s, a) => s + a.length, 0), true);
        return 0;
      },
      args_get(pv, pb) {
        const bytes = new Uint8Array(memory!.buffer);
        argv.forEach((a, i) => {
          view().setUint32(pv + 4 * i, pb, true);
          bytes.set(a, pb);
          pb += a.length;
        });
        return 0;
      },
      fd_write(fd, iovs, n, pw) {
        let total = 0;
        for (let i = 0; i < n; i++) {
          const ptr = view().getUint32(iovs + 8 * i, true);
          const len = view().getUint32(iovs + 8 * i + 4, true);
          if (fd === 1) stdout += Buffer.from(memory!.buffer, ptr, len).toString('utf8');
          total += len;
        }
        view().setUint32(pw, total, true);
        return 0;
      },
      fd_fdstat_get(_fd, p) {
        new Uint8Array(memory!.buffer, p, 24).fill(0);
        view().setUint8(p, 2); // character device
        return 0;
      },
      fd_seek: () => 70, // ESPIPE
      fd_close: () => 0,
      proc_exit(code) {
        throw new Exit(code);
      },
    };
    // Instantiation is timed as in a Warden run (which creates a fresh instance and memory every time).
    const t0 = cpuMs();
    const instance = new WebAssembly.Instance(modules.get(p.name)!, { wasi_snapshot_preview1: wasi, ...fuelImport });
    memory = instance.exports.memory as WebAssembly.Memory;
    try {
      (instance.exports._start as () => void)();
    } catch (e) {
      if (!(e instanceof Exit)) throw e;
      if (e.code !== 0) throw new Error(`${p.name} (V8) exited with ${e.code}`);
    }
    return { ms: cpuMs() - t0, checksum: checksumOf(stdout) };
  };
}

/** Runs the module through Warden's library API: instrumented (fuel, memory/table caps), default limits but a long deadline. */
async function warden(): Promise<Runner> {
  const modules = new Map<string, CompiledModule>();
  for (const p of CPU_PROGRAMS) {
    const m = await compile(readFileSync(wasmPath(p)));
    modules.set(p.name, m);
    // A module's first run uses its own memory, later runs the variant importing a pooled memory: another
    // compiled module, with its own tier-up. One short run here makes the bench's warm-up repetition warm that
    // variant, as it warms the single module of the other runners (else the first measured repetition pays
    // its Liftoff code and, in process CPU time, its background TurboFan compiles).
    const r = await m.run({ args: [p.arg.test], stdout: 'buffer' });
    if (r.error) throw new Error(`${p.name} (warden): ${r.error.kind}: ${r.error.message}`);
  }
  return async (p, arg) => {
    const t0 = cpuMs();
    const r = await modules.get(p.name)!.run({ args: [arg], stdout: 'buffer', limits: { timeoutMs: 600_000 } });
    const ms = cpuMs() - t0;
    if (r.error) throw new Error(`${p.name} (warden): ${r.error.kind}: ${r.error.message}`);
    return { ms, checksum: checksumOf(r.stdout.toString('utf8')) };
  };
}

/** Native clang -O2 builds in a temp dir, or the reason there are none. */
function native(): { run: Runner; close(): void } | string {
  const clang = process.env.CC ?? 'clang';
  if (spawnSync(clang, ['--version'], { stdio: 'ignore' }).status !== 0) return `native column skipped: ${clang} not found`;
  const dir = mkdtempSync(join(tmpdir(), 'warden-cpu-'));
  try {
    writeFileSync(join(dir, 'runner.c'), NATIVE_RUNNER);
    execFileSync(clang, ['-O2', '-o', join(dir, 'runner'), join(dir, 'runner.c')], { stdio: 'pipe' });
    for (const p of CPU_PROGRAMS) execFileSync(clang, ['-O2', '-o', join(dir, p.name), sourcePath(p), '-lm'], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return `native column skipped: ${clang} -O2 failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? String(e)}`;
  }
  return {
    run: async (p, arg) => {
      const r = spawnSync(join(dir, 'runner'), [join(dir, p.name), arg], { encoding: 'utf8' });
      const cpu = /^cpu_us (\d+)$/m.exec(r.stderr);
      if (r.status !== 0 || !cpu) throw new Error(`${p.name} (native) exited with ${r.status}: ${r.stderr.trim()}`);
      return { ms: Number(cpu[1]) / 1000, checksum: checksumOf(r.stdout) };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every .wasm in the repository (outside node_modules/dist), plus large ones shipped in node_modules. */
function instrumentCorpus(): string[] {
  const found: string[] = [];
  const walk = (dir: string, inModules: boolean): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name === '.git' || e.name === 'dist') continue;
        walk(path, inModules || e.name === 'node_modules');
      } else if (e.isFile() && e.name.endsWith('.wasm') && (!inModules || statSync(path).size >= 1 << 20)) found.push(path);
    }
  };
  walk(REPO, false);
  return found.sort();
}

/**
 * MB/s of instrument() for the default limit profile over the corpus: after a warm-up over the whole corpus
 * (so that no module is timed with a cold JIT or while V8 is still optimising the rewriter), each module is
 * instrumented repeatedly for a time budget and its median CPU time counts; MB/s = bytes of all modules / sum
 * of their median times.
 */
function instrumentSpeed(quick: boolean): { rows: string[][]; mbps: number; codeMbps: number; bytes: number; modules: number; refused: string[] } {
  const refused: string[] = [];
  const options = { fuel: true, memoryBytes: DEFAULT_LIMITS.memoryBytes, tableElements: DEFAULT_LIMITS.tableElements };
  const corpus: { path: string; bytes: Uint8Array }[] = [];
  for (const path of instrumentCorpus()) {
    const bytes = readFileSync(path);
    try {
      instrument(bytes, options);
      corpus.push({ path, bytes });
    } catch (e) {
      refused.push(`${relative(REPO, path)}: ${(e as Error).message}`);
    }
  }
  // Warm-up: V8 takes a second or more of passes over the corpus to finish optimising the rewriter (the
  // process CPU time measured meanwhile also counts its compiler threads): passes go on for at least `min` ms
  // and until one takes no more than 10% over the fastest so far (or 4 * `min` ms have passed).
  const warm = performance.now();
  const min = quick ? 1000 : 2000;
  let fastest = Infinity;
  for (let pass = 0; ; pass++) {
    const t = cpuMs();
    for (const m of corpus) instrument(m.bytes, options);
    const ms = cpuMs() - t;
    fastest = Math.min(fastest, ms);
    const elapsed = performance.now() - warm;
    if (pass >= 2 && elapsed >= min && (ms <= fastest * 1.1 || elapsed >= 4 * min)) break;
  }

  const rows: string[][] = [];
  let totalBytes = 0;
  let codeBytes = 0;
  let totalMs = 0;
  const budget = quick ? 20 : 60;
  for (const { path, bytes } of corpus) {
    const times: number[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < budget || times.length < 3) {
      const t = cpuMs();
      instrument(bytes, options);
      times.push(cpuMs() - t);
    }
    const ms = median(times);
    totalBytes += bytes.length;
    codeBytes += listSections(bytes).reduce((n, sec) => n + (sec.id === 10 ? sec.end - sec.start : 0), 0);
    totalMs += ms;
    if (bytes.length >= 1 << 20) rows.push([relative(REPO, path), `${(bytes.length / 1e6).toFixed(2)} MB`, `${(bytes.length / 1e3 / ms).toFixed(0)} MB/s`]);
  }
  return { rows, mbps: totalBytes / 1e3 / totalMs, codeMbps: codeBytes / 1e3 / totalMs, bytes: totalBytes, modules: corpus.length, refused };
}

const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');

/** Measures and prints the instrumentation speed (also alone: `npm run bench -- --only=ispeed`). */
export function logInstrumentSpeed(quick: boolean, log: (line: string) => void): boolean {
  const speed = instrumentSpeed(quick);
  // The goal is checked against code-section bytes: other sections (debug info, data) are only copied, so
  // MB/s of whole modules flatters the rewriter by how much of a module is not code.
  log(
    `instrumentation speed: ${speed.codeMbps.toFixed(0)} MB/s of code-section bytes ${mark(speed.codeMbps >= GOAL.mbps)} (goal >= ${GOAL.mbps}) over ${speed.modules} modules, ` +
      `${(speed.bytes / 1e6).toFixed(2)} MB in all (every .wasm in the repo${speed.rows.length ? ' and in node_modules >= 1 MiB' : '; no .wasm >= 1 MiB in node_modules'}); ` +
      `counting all module bytes: ${speed.mbps.toFixed(0)} MB/s (custom sections such as debug info and data are copied, not rewritten)`,
  );
  if (speed.rows.length) log(table(['large module', 'size', 'speed'], speed.rows));
  for (const r of speed.refused) log(`  not instrumented (refused): ${r}`);
  return speed.codeMbps >= GOAL.mbps;
}

/** Runs the CPU section; returns false if a checksum did not match. */
export async function runCpuBench(options: CpuBenchOptions): Promise<boolean> {
  const log = options.log ?? ((l: string) => console.log(l));
  const size = options.quick ? 'quick' : 'full';
  const reps = options.reps ?? (options.quick ? 3 : 5);
  const t0 = Date.now();
  const expected = readExpected();
  const nat = native();
  const runners: [string, Runner][] = [
    ['v8', await plainV8()],
    ['warden', await warden()],
    ['v8+fuel', await plainV8(true)],
  ];
  if (typeof nat !== 'string') runners.push(['native', nat.run]);
  log(`CPU bench (${size}, ${reps} reps + 1 warm-up): warden (instrumented) vs V8 (same module, uninstrumented) vs native clang -O2`);
  if (typeof nat === 'string') log(nat);

  const ms = new Map<string, number[]>(); // `${program}/${runner}` -> samples
  const failures: string[][] = [];
  const budgetMs = options.quick ? 30_000 : 90_000;
  let done = 0;
  const failed = new Set<string>(); // `${program}/${runner}` already reported
  try {
    for (let rep = 0; rep <= reps; rep++) {
      // past the time budget, stop after 3 measured repetitions (a loaded machine keeps the run short)
      if (rep > 3 && Date.now() - t0 > budgetMs) break;
      done = rep;
      for (const p of CPU_PROGRAMS) {
        // rotate the order per repetition so no runner always goes first
        const order = runners.map((_, i) => runners[(i + rep + CPU_PROGRAMS.indexOf(p)) % runners.length]!);
        for (const [name, run] of order) {
          gc(); // one runner's garbage (instances, memories) is not collected on the next one's time
          const s = await run(p, p.arg[size]);
          const want = expected.get(`${p.name} ${p.arg[size]}`);
          const key = `${p.name}/${name}`;
          if (s.checksum !== want && !failed.has(key)) {
            failures.push([p.name, name, s.checksum ?? '(no checksum line)', want ?? '(none in expected.txt)']);
            failed.add(key);
          }
          if (rep > 0) ms.set(key, [...(ms.get(key) ?? []), s.ms]);
        }
      }
    }
  } finally {
    if (typeof nat !== 'string') nat.close();
  }

  const series = (p: CpuProgram, r: string): number[] => ms.get(`${p.name}/${r}`) ?? [];
  const instrRatios: number[] = [];
  const nativeRatios: number[] = [];
  const fuelRatios: number[] = [];
  const rows = CPU_PROGRAMS.map((p) => {
    const w = series(p, 'warden');
    const v = series(p, 'v8');
    const n = series(p, 'native');
    const ri = pairedRatios(w, v);
    const rn = pairedRatios(w, n);
    const rf = pairedRatios(series(p, 'v8+fuel'), v);
    fuelRatios.push(median(rf));
    instrRatios.push(median(ri));
    if (n.length) nativeRatios.push(median(rn));
    return [p.name, `${p.what.replace('N', p.arg[size])}`, fmtMs(median(n)), fmtMs(median(v)), fmtMs(median(w)), fmtRatio(ri), n.length ? fmtRatio(rn) : '-', fmtRatio(rf)];
  });
  const gi = geomean(instrRatios);
  const gn = geomean(nativeRatios);
  rows.push(['geomean', '', '', '', '', `${gi.toFixed(2)}x ${mark(gi <= GOAL.instrumented)}`, nativeRatios.length ? `${gn.toFixed(2)}x ${mark(gn <= GOAL.native)}` : '-', `${geomean(fuelRatios).toFixed(2)}x`]);
  log('');
  log(`${done} repetitions measured`);
  log(table(['program', 'work', 'native cpu ms', 'v8 cpu ms', 'warden cpu ms', `warden/v8 (<=${GOAL.instrumented})`, `warden/native (<=${GOAL.native})`, 'v8+fuel/v8'], rows));
  if (failures.length) {
    log('');
    log(table(['CHECKSUM FAILURE', 'runner', 'got', 'want'], failures));
  }

  log('');
  logInstrumentSpeed(options.quick, log);
  log('');
  log(
    `method: one process; per repetition each program runs once per runner, order rotated, forced GC before each run; ms = median CPU time (user+system) of the run ` +
      `(native: the child's rusage; v8: instantiate + _start; warden: CompiledModule.run(), a fresh sandbox included, after one untimed run so the warm-up repetition warms its pooled-memory variant; ` +
      `v8+fuel: the module as instrument() rewrites it, run like v8 with an endless fuel import: the rewriter's share of warden/v8); ratio = median of ` +
      `per-repetition ratios [min-max]; modules compiled once (not timed); checksums compared with bench/cpu/expected.txt. ` +
      `Total ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
  );
  return failures.length === 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const reps = args.find((a) => a.startsWith('--reps='));
  for (const a of args) if (a !== '--quick' && a !== reps) throw new Error(`unknown flag ${a}; known: --quick --reps=N`);
  runCpuBench({ quick: args.includes('--quick'), reps: reps ? Number(reps.slice(7)) : undefined }).then(
    (ok) => void (process.exitCode = ok ? 0 : 1),
    (e: unknown) => {
      console.error(`cpu bench failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
