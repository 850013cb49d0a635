// The WebAssembly spec-test runner: `node dist/scripts/spec-run.js [--no-instrument] [--fuel N] [--verbose] PATH...`
// runs .wast scripts (files, or directories searched recursively) through V8 as they are and after Warden's
// rewriter, and prints pass/fail/skip counts per file, per directory and in total (exit status 1 on any failure).
// --fuel N: fuel put in the counter at each refill (default 2^60; a small N makes the meter call the host often).
// --instrument-only: only the rewritten modules. --caps: rewrite with Warden's default memory and table caps too.
// --jobs N: scripts run at once (default 2). --timeout S: per script (default 300).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Mode, Outcome } from './spec/runner.js';
import type { WorkerReply, WorkerRequest } from './spec/worker.js';

const USAGE = 'usage: spec-run [--no-instrument | --instrument-only] [--caps] [--fuel N] [--jobs N] [--timeout S] [--verbose] PATH...';

function fail(msg: string): never {
  console.error(`spec-run: ${msg}\n${USAGE}`);
  process.exit(2);
}

const args = process.argv.slice(2);
let modes: Mode[] = ['plain', 'instrumented'];
let fuel = 1n << 60n;
let jobs = 2;
let timeoutS = 300;
let verbose = false;
let caps = false;
const paths: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = (): string => args[++i] ?? fail(`${a} needs a value`);
  if (a === '--no-instrument') modes = ['plain'];
  else if (a === '--instrument-only') modes = ['instrumented'];
  else if (a === '--verbose' || a === '-v') verbose = true;
  else if (a === '--caps') caps = true;
  else if (a === '--fuel') {
    const v = value();
    if (!/^[1-9][0-9]*$/.test(v)) fail(`--fuel needs a positive integer, got "${v}"`);
    fuel = BigInt(v);
  } else if (a === '--jobs') jobs = Math.max(1, Number(value()) | 0);
  else if (a === '--timeout') timeoutS = Number(value());
  else if (a.startsWith('-')) fail(`unknown option ${a}`);
  else paths.push(a);
}
if (!paths.length) fail('no .wast files or directories given');

function collect(path: string, out: string[]): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    fail(`no such file or directory: ${path}`);
  }
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      const p = join(path, name);
      if (statSync(p).isDirectory() || name.endsWith('.wast')) collect(p, out);
    }
  } else out.push(path);
}
const files: string[] = [];
for (const p of paths) collect(p, files);

const emptyOutcome = (): Outcome => ({ pass: 0, fail: 0, skip: 0, failures: [], skips: {} });

function runFile(file: string): Promise<Partial<Record<Mode, Outcome>>> {
  return new Promise((resolve) => {
    const req: WorkerRequest = { file, modes, fuelSlice: fuel.toString(), caps };
    const worker = new Worker(new URL('./spec/worker.js', import.meta.url), { workerData: req });
    let done = false;
    const finish = (r: Partial<Record<Mode, Outcome>>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(r);
    };
    const broken = (why: string): void => {
      const r: Partial<Record<Mode, Outcome>> = {};
      for (const m of modes) r[m] = { ...emptyOutcome(), fail: 1, failures: [`0: ${why}`] };
      finish(r);
    };
    const timer = setTimeout(() => broken(`script did not finish within ${timeoutS} s`), timeoutS * 1000);
    worker.on('message', (reply: WorkerReply) => ('error' in reply ? broken(`runner error: ${reply.error}`) : finish(reply.outcomes)));
    worker.on('error', (e) => broken(`runner error: ${e.message}`));
    worker.on('exit', (code) => broken(`worker exited (${code})`));
  });
}

const results = new Map<string, Partial<Record<Mode, Outcome>>>();
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(jobs, files.length) }, async () => {
    while (next < files.length) {
      const file = files[next++]!;
      results.set(file, await runFile(file));
    }
  }),
);

const add = (a: Outcome, b: Outcome): void => {
  a.pass += b.pass;
  a.fail += b.fail;
  a.skip += b.skip;
  for (const [k, v] of Object.entries(b.skips)) a.skips[k] = (a.skips[k] ?? 0) + v;
};
const counts = (o: Outcome | undefined): string => (o ? `${o.pass}/${o.fail}/${o.skip}`.padEnd(16) : '');
const header = (): string => modes.map((m) => `${m} pass/fail/skip`.padEnd(16 + 8)).join('');
const base = process.cwd();
const width = Math.min(60, Math.max(...files.map((f) => (relative(base, f).startsWith('..') ? f : relative(base, f)).length)) + 2);

console.log(`${'script'.padEnd(width)}${header()}`);
const groups = new Map<string, Record<string, Outcome>>();
const total: Record<string, Outcome> = {};
const differing: string[] = [];
const onlyOne: string[] = [];
for (const file of files) {
  const r = results.get(file)!;
  const rel = relative(base, file).startsWith('..') ? file : relative(base, file);
  const group = dirname(rel);
  const g = groups.get(group) ?? {};
  groups.set(group, g);
  console.log(`${rel.padEnd(width)}${modes.map((m) => counts(r[m]).padEnd(24)).join('')}`);
  for (const m of modes) {
    add((g[m] ??= emptyOutcome()), r[m]!);
    add((total[m] ??= emptyOutcome()), r[m]!);
  }
  const p = r.plain;
  const ins = r.instrumented;
  if (p && ins && (p.pass !== ins.pass || p.fail !== ins.fail || p.skip !== ins.skip)) differing.push(rel);
  if (p && ins) {
    // a command that fails in one mode only is a rewriter (or decoder) bug: always listed
    const lineOf = (f: string): string => f.slice(0, f.indexOf(':'));
    const failed = (o: Outcome): Set<string> => new Set(o.failures.map(lineOf));
    const fp = failed(p);
    const fi = failed(ins);
    for (const f of ins.failures) if (!fp.has(lineOf(f))) onlyOne.push(`  instrumented only: ${rel}:${f}`);
    for (const f of p.failures) if (!fi.has(lineOf(f))) onlyOne.push(`  plain only: ${rel}:${f}`);
  }
  if (verbose) {
    for (const m of modes) for (const f of r[m]!.failures) console.log(`  FAIL [${m}] ${rel}:${f}`);
  }
}
if (groups.size > 1) {
  console.log('');
  for (const [group, g] of groups) console.log(`${(group + '/').padEnd(width)}${modes.map((m) => counts(g[m]).padEnd(24)).join('')}`);
}
console.log('');
for (const m of modes) {
  const t = total[m]!;
  const reasons = Object.entries(t.skips).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    console.log(`skipped [${m}]:`);
    for (const [why, n] of reasons.slice(0, verbose ? reasons.length : 12)) console.log(`  ${String(n).padStart(6)}  ${why}`);
    if (!verbose && reasons.length > 12) console.log(`  ... ${reasons.length - 12} more reasons (--verbose lists all)`);
  }
}
if (differing.length) console.log(`\nplain and instrumented counts differ in: ${differing.join(', ')}`);
if (onlyOne.length) console.log(`\nfailing in one mode only (${onlyOne.length}):\n${onlyOne.join('\n')}`);
console.log('');
for (const m of modes) {
  const t = total[m]!;
  console.log(`total [${m}]: ${t.pass} passed, ${t.fail} failed, ${t.skip} skipped (${files.length} scripts)`);
}
process.exitCode = modes.some((m) => total[m]!.fail > 0) ? 1 : 0;
