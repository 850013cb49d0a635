// The fresh-sandbox bench: one brand-new sandbox per call (instantiate + WASI context + _start of
// bench/guests/hello.wasm + teardown), p50/p99 in microseconds, against a bare WebAssembly.Instance of
// the same module (own memory, stub imports) and node:wasi (in a child process: on Node 20 it can crash
// after some thousands of instances); runs per second on all cores with the worker pool; RSS over many runs.
import { spawnSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WASI } from 'node:wasi';
import { compile, type CompiledModule, type RunOptions } from '../src/index.js';
import { createWorkerPool } from '../src/workers/index.js';
import { table } from './stats.js';

const HELLO = fileURLToPath(new URL('../../bench/guests/hello.wasm', import.meta.url));
const EXPECTED = 'hello from a fresh sandbox\n';

/** Per-call times in microseconds of `n` calls of `fn`, after `warm` warm-up calls (V8 tiers wasm and JS up as they run). */
async function timeCalls(n: number, fn: () => unknown, warm = 5000): Promise<number[]> {
  for (let i = 0; i < warm; i++) await fn();
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    out[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  return out;
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
}

/** A bare instance of the uninstrumented module with stub WASI imports: fd_write counts, proc_exit throws. */
function bareRunner(module: WebAssembly.Module): () => void {
  class Exit {
    constructor(readonly code: number) {}
  }
  let memory: WebAssembly.Memory | undefined;
  const stub: Record<string, (...a: number[]) => number> = {
    fd_write(_fd, iovs, n, nwritten) {
      const v = new DataView(memory!.buffer);
      let total = 0;
      for (let i = 0; i < n; i++) total += v.getUint32(iovs + 8 * i + 4, true);
      v.setUint32(nwritten, total, true);
      return 0;
    },
    fd_close: () => 0,
    fd_seek: () => 70,
    fd_fdstat_get: () => 0,
    proc_exit(code) {
      throw new Exit(code);
    },
  };
  const imports = { wasi_snapshot_preview1: stub };
  return () => {
    const inst = new WebAssembly.Instance(module, imports);
    memory = inst.exports['memory'] as WebAssembly.Memory;
    try {
      (inst.exports['_start'] as () => void)();
    } catch (e) {
      if (!(e instanceof Exit)) throw e;
    }
    memory = undefined;
  };
}

/** node:wasi: a new WASI + instance + start per call (stdout to /dev/null). */
function nodeWasiRunner(module: WebAssembly.Module): () => void {
  const devnull = openSync('/dev/null', 'w');
  return () => {
    const wasi = new WASI({ version: 'preview1', args: ['hello'], env: {}, stdout: devnull, returnOnExit: true });
    const inst = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
    wasi.start(inst);
  };
}

/** Child-process entry for node:wasi: prints the per-call times as JSON (or dies trying). */
async function nodeWasiChild(n: number): Promise<void> {
  process.removeAllListeners('warning');
  const module = new WebAssembly.Module(readFileSync(HELLO));
  process.stdout.write(JSON.stringify(await timeCalls(n, nodeWasiRunner(module), n / 5)));
}

/** node:wasi times from a child process; it is retried (up to 3 times) when it crashes, and the crashes are reported. */
function nodeWasiTimes(n: number): { times: number[] | string; crashes: number } {
  let crashes = 0;
  let why = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--node-wasi-child', String(n)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status === 0) return { times: JSON.parse(r.stdout) as number[], crashes };
    crashes++;
    why = r.signal ?? `exit ${r.status}`;
  }
  return { times: `node:wasi child failed 3 times (${why}) within ${n * 1.2} instances`, crashes };
}

/** RSS (MiB) before and after `n` fresh runs in this process. */
export async function soak(cm: CompiledModule, n: number, options: RunOptions = {}, onProgress?: (done: number, rssMiB: number) => void): Promise<{ startMiB: number; endMiB: number; maxMiB: number }> {
  const mib = (): number => process.memoryUsage.rss() / 2 ** 20;
  for (let i = 0; i < 1000; i++) await cm.run(options);
  (globalThis as { gc?: () => void }).gc?.();
  const startMiB = mib();
  let maxMiB = startMiB;
  for (let i = 1; i <= n; i++) {
    const r = await cm.run(options);
    if (r.exitCode !== 0) throw new Error(`soak run ${i} failed: ${r.error?.message ?? r.exitCode}`);
    if (i % 10_000 === 0) {
      maxMiB = Math.max(maxMiB, mib());
      onProgress?.(i, mib());
    }
  }
  (globalThis as { gc?: () => void }).gc?.();
  const endMiB = mib();
  return { startMiB, endMiB, maxMiB: Math.max(maxMiB, endMiB) };
}

/** Runs per second over `total` runs on a worker pool of every core (8 runs in flight per thread), after a warm-up of as many. */
async function poolThroughput(cm: CompiledModule, total: number): Promise<{ size: number; perSecond: number }> {
  const pool = createWorkerPool();
  const burst = async (count: number): Promise<number> => {
    const t0 = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next++ < count) {
        const r = await pool.run(cm);
        if (r.stdout.toString() !== EXPECTED) throw new Error('pooled run gave the wrong output');
      }
    };
    await Promise.all(Array.from({ length: pool.size * 8 }, lane));
    return count / ((performance.now() - t0) / 1000);
  };
  try {
    await burst(total);
    return { size: pool.size, perSecond: await burst(total) };
  } finally {
    await pool.close();
  }
}

export async function runFreshBench(opts: { quick: boolean; log: (line: string) => void }): Promise<void> {
  const { log } = opts;
  const n = opts.quick ? 2000 : 20_000;
  const bytes = readFileSync(HELLO);
  const cm = await compile(bytes);
  const first = await cm.run({});
  if (first.stdout.toString() !== EXPECTED) throw new Error(`hello.wasm printed ${JSON.stringify(first.stdout.toString())}`);
  const plain = new WebAssembly.Module(bytes);
  const bare = bareRunner(plain);

  log('');
  log(`Fresh sandbox per call: bench/guests/hello.wasm (${bytes.length} bytes), ${n} calls each after 5000 warm-up calls (node:wasi: 1000 after 200)`);
  const warden = await timeCalls(n, () => cm.run({}));
  const unpooled = await timeCalls(n, () => cm.run({ pool: false }));
  const bareT = await timeCalls(n, bare);
  const { times: nw, crashes } = nodeWasiTimes(1000);
  const row = (name: string, t: number[] | string): string[] =>
    typeof t === 'string'
      ? [name, '-', '-', '-', '-', t]
      : [name, pct(t, 50).toFixed(1), pct(t, 99).toFixed(1), (pct(t, 50) / pct(bareT, 50)).toPrecision(2), (pct(t, 99) / pct(bareT, 99)).toPrecision(2), ''];
  log(
    table(['', 'p50 us', 'p99 us', 'p50 / bare', 'p99 / bare', ''], [
      row('warden (pooled memory)', warden),
      row('warden (pool: false)', unpooled),
      row('bare WebAssembly.Instance', bareT),
      row('node:wasi', nw),
    ]),
  );
  if (typeof nw !== 'string') log(`warden p50 / node:wasi p50 = ${(pct(warden, 50) / pct(nw, 50)).toPrecision(2)}, p99 / p99 = ${(pct(warden, 99) / pct(nw, 99)).toPrecision(2)}`);
  if (crashes > 0) log(`node:wasi crashed ${crashes} time(s) (segfault in Node ${process.version}) within 1200 instances; the figures are from a run that did not`);

  const total = opts.quick ? 20_000 : 200_000;
  const tp = await poolThroughput(cm, total);
  const t1 = performance.now();
  const inThread = opts.quick ? 5000 : 20_000;
  for (let i = 0; i < inThread; i++) await cm.run({});
  log(`worker pool: ${tp.perSecond.toFixed(0)} runs/s on ${tp.size} threads (${total} runs); one thread in-process: ${(inThread / ((performance.now() - t1) / 1000)).toFixed(0)} runs/s`);

  const soakN = opts.quick ? 10_000 : 100_000;
  const s = await soak(cm, soakN);
  log(`RSS over ${soakN} fresh runs in one process: ${s.startMiB.toFixed(1)} MiB at start, ${s.endMiB.toFixed(1)} MiB at the end (max ${s.maxMiB.toFixed(1)} MiB)`);
  log(
    'method: per-call wall time (hrtime) of sequential calls in this process; warden = CompiledModule.run() with stdout collected in memory; ' +
      'bare = new WebAssembly.Instance of the uninstrumented module (V8 allocates its memory) with stub imports + _start; ' +
      'node:wasi = new WASI + Instance + start, stdout to /dev/null, in a child process.',
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--node-wasi-child');
  if (i >= 0) await nodeWasiChild(Number(process.argv[i + 1]));
  else await runFreshBench({ quick: process.argv.includes('--quick'), log: (l) => console.log(l) });
}
