// The WASI I/O bench: runs every workload under each contender, interleaved and rotated
// (A B C, B C A, ...), and prints medians and paired ratios against node:wasi.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bareInstance, RunTimeout, type Contender, type RunSpec } from './contenders.js';
import { Wasm } from './wasm.js';
import { fmtMs, fmtRatio, geomean, median, pairedRatios, table } from './stats.js';
import { benchRoot, guestPath, WORKLOADS, type Size, type Workload } from './workloads.js';

export const BASELINE = 'node:wasi';
export const GOAL_IO_RATIO = 0.6;
export const GOAL_FRESH_VS_BARE = 0.3;
/** Repetitions stop early (but never below MIN_REPS) once a workload has used its time budget,
 *  so the whole bench stays within a few minutes on a loaded machine. */
export const MIN_REPS = 3;
const budgetMs = (size: Size): number => (size === 'full' ? 14_000 : 4_000);
/** A contender whose warm-up run takes longer than this is skipped for that workload. */
export const WARMUP_LIMIT_MS = 5_000;

/** A forced full GC before every timed sample, so one contender's garbage is not billed to the next. */
export const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

export interface WorkloadResult {
  workload: Workload;
  /** Per contender name: the per-run ms of each repetition, in repetition order. */
  samples: Map<string, number[]>;
  /** Contenders left out of this workload, with the reason. */
  skipped: Map<string, string>;
}

export interface IoBenchOptions {
  size: Size;
  /** Workload names to run (default: all). */
  only?: readonly string[];
  /** Overrides each workload's repetition count (and its time budget). */
  reps?: number;
  /** The contenders, the baseline (node:wasi) among them. */
  contenders: readonly Contender[];
  log: (line: string) => void;
}

function check(c: Contender, w: Workload, exitCode: number): void {
  if (exitCode !== 0) throw new Error(`${c.name} on ${w.name}: guest exited with ${exitCode}`);
}

/** Compares captured stdout with the first contender's, so no runtime wins by doing less. */
function sameOutput(w: Workload, outputs: Map<string, string>, c: Contender, out: string | undefined): void {
  if (out === undefined) return;
  const [firstName, first] = [...outputs.entries()][0] ?? [c.name, out];
  if (first !== out) throw new Error(`${w.name}: stdout differs between ${firstName} and ${c.name}`);
  outputs.set(c.name, out);
}

async function runWorkload(w: Workload, opts: IoBenchOptions): Promise<WorkloadResult> {
  const path = guestPath(w.guest);
  const bytes = new Uint8Array(readFileSync(path));
  const module = await Wasm.compile(bytes);
  let contenders = w.bareInstance ? [...opts.contenders, bareInstance()] : [...opts.contenders];
  const dirs: string[] = [];
  const newDir = () => {
    const d = mkdtempSync(join(benchRoot(), `warden-bench-${w.name}-`));
    dirs.push(d);
    w.setup?.(d, opts.size);
    return d;
  };
  const shared = w.sharedDir ? newDir() : undefined;
  const specs = new Map<Contender, RunSpec>(
    contenders.map((c) => [c, { path, bytes, module, argv: [basename(w.guest), ...w.args(opts.size)], hostDir: shared ?? newDir(), stdout: w.stdout }]),
  );
  const inner = w.inner(opts.size);
  const reps = opts.reps ?? w.reps(opts.size);
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const skipped = new Map<string, string>();
  const outputs = new Map<string, string>();
  let done = 0;
  try {
    for (const c of [...contenders]) {
      // Warm-up (untimed): JIT the runtime's own code paths and fault in caches. A contender
      // whose warm-up passes the limit is left out of this workload (noted in the report).
      try {
        const out = await c.run(specs.get(c)!, Math.min(inner, 20), WARMUP_LIMIT_MS);
        check(c, w, out.exitCode);
        sameOutput(w, outputs, c, out.stdout);
      } catch (e) {
        if (!(e instanceof RunTimeout) || c.name === BASELINE) throw e;
        contenders = contenders.filter((x) => x !== c);
        skipped.set(c.name, e.message);
        opts.log(`  ${w.name}: ${c.name} skipped: ${e.message}`);
      }
    }
    const t0 = Date.now();
    const budget = opts.reps === undefined ? budgetMs(opts.size) : Infinity;
    for (let r = 0; r < reps && (r < MIN_REPS || Date.now() - t0 < budget); r++, done++) {
      const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]!);
      for (const c of order) {
        if (order.length > 1) gc(); // alone (e.g. when profiling) there is no one else to bill
        const out = await c.run(specs.get(c)!, inner);
        check(c, w, out.exitCode);
        sameOutput(w, outputs, c, out.stdout);
        samples.get(c.name)!.push(out.ms);
      }
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  const medians = contenders.map((c) => `${c.name} ${fmtMs(median(samples.get(c.name)!))} ms`).join(', ');
  opts.log(`  ${w.name}: ${done} reps x ${inner} run(s): ${medians}`);
  for (const name of skipped.keys()) samples.delete(name);
  return { workload: w, samples, skipped };
}

export async function runIoBench(opts: IoBenchOptions): Promise<WorkloadResult[]> {
  const selected = WORKLOADS.filter((w) => !opts.only || opts.only.includes(w.name));
  if (selected.length === 0) throw new Error(`no workload matches ${opts.only?.join(',')}; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  const results: WorkloadResult[] = [];
  for (const w of selected) results.push(await runWorkload(w, opts));
  return results;
}

/** The results table: absolute medians per contender, then each contender's ratio to node:wasi. */
export function report(results: readonly WorkloadResult[], contenders: readonly string[], size: Size): string {
  const others = contenders.filter((c) => c !== BASELINE);
  const header = ['workload', ...contenders.map((c) => `${c} ms`), ...others.map((c) => `${c}/${BASELINE}`)];
  const rows = results.map(({ workload: w, samples }) => {
    const base = samples.get(BASELINE) ?? [];
    return [
      w.label(size),
      ...contenders.map((c) => fmtMs(median(samples.get(c) ?? []))),
      ...others.map((c) => fmtRatio(pairedRatios(samples.get(c) ?? [], base))),
    ];
  });
  const lines = [table(header, rows)];
  for (const { workload: w, skipped } of results) {
    for (const [name, why] of skipped) lines.push(`${w.name}: ${name} skipped (${why}; shown as -)`);
  }
  for (const { workload: w, samples } of results) {
    const bare = samples.get('bare Instance');
    if (!bare) continue;
    const vsBare = contenders.map((c) => `${c} ${median(pairedRatios(samples.get(c) ?? [], bare)).toFixed(2)}x`).join(', ');
    lines.push(`${w.name}: bare new WebAssembly.Instance ${fmtMs(median(bare))} ms; per-run time / bare Instance: ${vsBare} (these runs preopen a host directory each, which the bare Instance does not; the <= ${GOAL_FRESH_VS_BARE}x goal is checked by the fresh-sandbox section)`);
  }
  const io = results.filter((r) => r.workload.io);
  // Warden's line last: it is the one the PRODUCT.md goal is about.
  for (const c of [...others.filter((o) => o !== 'warden'), ...others.filter((o) => o === 'warden')]) {
    const have = io.filter((r) => (r.samples.get(c)?.length ?? 0) > 0 && (r.samples.get(BASELINE)?.length ?? 0) > 0);
    if (have.length === 0) continue;
    const g = geomean(have.map((r) => median(pairedRatios(r.samples.get(c)!, r.samples.get(BASELINE)!))));
    const goal = c === 'warden' ? ` (goal <= ${GOAL_IO_RATIO}x: ${g <= GOAL_IO_RATIO ? 'met' : 'NOT met'})` : '';
    lines.push(`geomean ${c}/${BASELINE} over I/O workloads (${have.map((r) => r.workload.name).join(', ')}): ${g.toFixed(2)}x${goal}`);
  }
  return lines.join('\n');
}
