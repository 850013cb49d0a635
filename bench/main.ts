// `npm run bench`: the WASI I/O bench (Warden vs node:wasi vs wasmtime), printed as ratios.
// Flags: --quick (small sizes, few reps), --only=a,b (workloads; --only=cpu: the CPU-bound suite; --only=ispeed: the instrumentation speed; --only=fresh: the fresh-sandbox bench; --only=serve: the warden serve load bench, needs wrk), --reps=N, --no-wasmtime,
// --contenders=a,b (e.g. only warden, for profiling with node --cpu-prof).
// Profiling one workload:  node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/main.js \
//   --only=manyfiles --contenders=warden && node dist/bench/profile-summary.js /tmp/prof/*.cpuprofile
import { nodeWasi, wasmtime, type Contender } from './contenders.js';
import { logInstrumentSpeed, runCpuBench } from './cpu.js';
import { runFreshBench } from './fresh.js';
import { runServeBench } from './serve.js';
import { BASELINE, report, runIoBench } from './io.js';
import { warden } from './warden.js';
import { benchRoot, type Size } from './workloads.js';

// node:wasi prints an ExperimentalWarning when first used; the bench uses it on purpose.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!(w.name === 'ExperimentalWarning' && /WASI/.test(w.message))) console.warn(`${w.name}: ${w.message}`);
});

function flag(name: string): string | undefined {
  const hit = process.argv.slice(2).find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : '';
}

async function main(): Promise<void> {
  const known = ['quick', 'only', 'reps', 'no-wasmtime', 'contenders'];
  for (const a of process.argv.slice(2)) {
    if (!known.some((k) => a === `--${k}` || a.startsWith(`--${k}=`))) throw new Error(`unknown flag ${a}; known: ${known.map((k) => `--${k}`).join(' ')}`);
  }
  const size: Size = flag('quick') !== undefined ? 'quick' : 'full';
  const only = flag('only')?.split(',').filter(Boolean);
  const reps = flag('reps') !== undefined ? Number(flag('reps')) : undefined;
  if (reps !== undefined && !(Number.isInteger(reps) && reps > 0)) throw new Error('--reps needs a positive integer');
  const wanted = flag('contenders')?.split(',').filter(Boolean);
  const log = (l: string): void => console.log(l);
  if (only?.includes('cpu')) {
    // --only=cpu: just the CPU-bound suite (fuel overhead, issue #3)
    if (!(await runCpuBench({ quick: size === 'quick', reps, log }))) process.exitCode = 1;
    return;
  }
  if (only?.includes('ispeed')) {
    // --only=ispeed: just the instrumentation speed (issue #3)
    if (!logInstrumentSpeed(size === 'quick', log)) process.exitCode = 1;
    return;
  }
  if (only?.includes('fresh')) return runFreshBench({ quick: size === 'quick', log }); // --only=fresh: just the fresh-sandbox bench
  if (only?.includes('serve')) return runServeBench({ quick: size === 'quick', reps, log }); // --only=serve: just the HTTP load bench

  const contenders: Contender[] = [warden(), nodeWasi()];
  const notes: string[] = [];
  if (flag('no-wasmtime') === undefined && (!wanted || wanted.includes('wasmtime'))) {
    const wt = await wasmtime();
    if (typeof wt === 'string') notes.push(`wasmtime skipped: ${wt}`);
    else contenders.push(wt);
  }
  const selected = contenders.filter((c) => !wanted || wanted.includes(c.name));
  for (const c of contenders) if (!selected.includes(c)) await c.close();

  const t0 = Date.now();
  console.log(`WASI I/O bench (${size}): ${selected.map((c) => c.name + (c.version ? ` ${c.version}` : '')).join(' vs ')}; ${process.platform}/${process.arch}; scratch dirs in ${benchRoot()}`);
  for (const n of notes) console.log(n);
  try {
    const results = await runIoBench({ size, only, reps, contenders: selected, log: (l) => console.log(l) });
    console.log('');
    console.log(report(results, selected.map((c) => c.name), size));
  } finally {
    for (const c of selected) await c.close();
  }
  console.log('');
  console.log(
    `method: one process, contenders interleaved and rotated per repetition (fewer repetitions, at least 3, once a workload has used its time budget), forced GC before each sample; ` +
      `ms = median per run; ratio = median of per-repetition ${'<x>'}/${BASELINE} [min-max]; ` +
      `stdout goes to /dev/null in every runtime (node:wasi and wasmtime: one write(2) per guest fd_write; warden: small writes coalesced into 64 KiB), "captured" = in memory for warden, ` +
      `a temp file read back for node:wasi and wasmtime; modules compiled once (not timed); wasmtime timed inside its Python worker. ` +
      `Total ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
  );
  if (!only && !wanted && !(await runCpuBench({ quick: size === 'quick', reps, log: (l) => console.log(l) }))) process.exitCode = 1;
  if (!only && !wanted) await runFreshBench({ quick: size === 'quick', log });
  if (!only && !wanted) await runServeBench({ quick: size === 'quick', reps, log });
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
