// The `warden serve` load bench (`npm run bench -- --only=serve`): wrk on loopback against a bare Node `http`
// hello-world server and `warden serve` running examples/serve/hello.wasm in a fresh sandbox per request
// (requests/s, p50/p99, ratio to bare), then the mixed run: the healthy route's p99 at a fixed load alone vs.
// while a second client sends as many requests to a runaway-loop route, and a health request after. Servers are child processes; skipped without wrk.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmtMs, fmtRatio, median, pairedRatios, table } from './stats.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/serve/', import.meta.url));
const HELLO_BODY = 'hello, world\n';
/** One wrk thread: on 2 cores wrk's own CPU would otherwise take the server's. */
const THREADS = 1;
const CONNECTIONS = 32;
const TICKS = 100; // clock ticks per second in /proc/<pid>/stat (USER_HZ)

/** The bare server: the same body and headers as the hello handler (content-type, content-length). */
const BARE_SERVER = `
const http = require('node:http');
const body = ${JSON.stringify(HELLO_BODY)};
const s = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }); res.end(body); });
s.keepAliveTimeout = 5000;
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + s.address().port })));
`;

/** The bare server in `n` processes on one listener (node:cluster), as \`warden serve --processes n\` runs. */
const bareCluster = (n: number): string => `
const cluster = require('node:cluster');
if (cluster.isPrimary) {
  let up = 0;
  for (let i = 0; i < ${n}; i++) cluster.fork();
  cluster.on('listening', (w, a) => { if (++up === ${n}) console.log(JSON.stringify({ url: 'http://127.0.0.1:' + a.port })); });
  process.on('SIGTERM', () => {
    let left = ${n};
    for (const w of Object.values(cluster.workers)) { w.once('exit', () => { if (--left === 0) process.exit(0); }); w.kill(); }
  });
} else {
${BARE_SERVER}
}
`;

/** The warden config: hello inline (the fast path) and on a worker thread; the runaway loop isolated on a worker, one at a time. */
const WARDEN_TOML = `
[server]
listen = "127.0.0.1:0"
metrics = "off"
watch = false
[limits]
timeout = "2s"
memory = "64MiB"
[[route]]
path = "/hello"
module = "${EXAMPLES}hello.wasm"
isolation = "inline"
[[route]]
path = "/hello-worker"
module = "${EXAMPLES}hello.wasm"
isolation = "worker"
[[route]]
path = "/runaway"
module = "${EXAMPLES}runaway.wasm"
isolation = "worker"
[route.limits]
timeout = "1s"
concurrency = 1
queue = 4
`;

interface Started {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

async function startChild(args: string[], logFile: string): Promise<Started> {
  const fd = openSync(logFile, 'w'); // the request log goes to a file, as a service's would (not through a pipe to this process)
  const child = spawn(process.execPath, args, { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  const t0 = Date.now();
  for (;;) {
    const text = readFileSync(logFile, 'utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) {
      const url = (JSON.parse(text.slice(0, nl)) as { url?: string }).url;
      if (!url) throw new Error(`server's first line has no url: ${text.slice(0, nl)}`);
      const stop = async (): Promise<void> => {
        if (exited) return;
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      };
      return { child, url, stop };
    }
    if (exited || Date.now() - t0 > 15_000) {
      child.kill('SIGKILL');
      throw new Error(`server did not start (${args.join(' ')}): ${stderr.trim() || 'no ready line within 15 s'}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Fields of /proc/<pid>/stat after the command name (f[1] = ppid, f[11] = utime, f[12] = stime). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone meanwhile
  }
}

/** utime+stime of a process (all its threads) and of its child processes (a cluster's workers), in seconds. */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(entry);
    if (f && (entry === String(pid) || f[1] === String(pid))) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS;
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Responses other than 2xx/3xx. */
  non2xx: number;
  socketErrors: string;
  /** wrk's own CPU seconds. */
  cpu: number;
}

const toMs = (s: string): number => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s);
  if (!m) throw new Error(`cannot read wrk latency "${s}"`);
  return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2]!]!;
};

/** Runs wrk (through bash, whose `times` reports wrk's CPU) and reads its summary. */
function wrk(url: string, seconds: number, connections: number, paced?: { script: string; delayMs: number }): Promise<WrkResult> {
  const cmd = `wrk -t${THREADS} -c${connections} -d${seconds}s --latency ${paced ? '-s "$2" ' : ''}"$1"; times`;
  return new Promise((resolve, reject) => {
    const env = paced ? { ...process.env, WARDEN_BENCH_DELAY_MS: String(paced.delayMs) } : process.env;
    const p = spawn('bash', ['-c', cmd, 'bash', url, ...(paced ? [paced.script] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('exit', (code) => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p50 = /\s50%\s+(\S+)/.exec(out);
      const p99 = /\s99%\s+(\S+)/.exec(out);
      const n = /(\d+) requests in/.exec(out);
      if (code !== 0 || !rps || !p50 || !p99 || !n) return reject(new Error(`wrk failed (exit ${code}): ${(err || out).trim().slice(0, 500)}`));
      // `times`: shell user/sys, then children's user/sys ("0m1.234s 0m0.567s")
      const times = out.trim().split('\n').slice(-1)[0]!.match(/(\d+)m([\d.]+)s/g) ?? [];
      const cpu = times.reduce((s, t) => {
        const m = /(\d+)m([\d.]+)s/.exec(t)!;
        return s + Number(m[1]) * 60 + Number(m[2]);
      }, 0);
      resolve({
        rps: Number(rps[1]),
        p50: toMs(p50[1]!),
        p99: toMs(p99[1]!),
        requests: Number(n[1]),
        non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
        socketErrors: /Socket errors: (.*)/.exec(out)?.[1] ?? '',
        cpu,
      });
    });
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

interface Sample extends WrkResult {
  /** The server's CPU over the measured run, in cores. */
  serverCores: number;
  seconds: number;
}

/** A warm-up, then the measured wrk run with the server's CPU time around it. */
async function measure(s: Started, path: string, seconds: number, warm: number, connections = CONNECTIONS): Promise<Sample> {
  const check = await get(s.url + path);
  if (check.status !== 200 || check.body !== HELLO_BODY) throw new Error(`${s.url}${path} answered ${check.status} ${JSON.stringify(check.body.slice(0, 200))}`);
  await wrk(s.url + path, warm, connections);
  const c0 = cpuSeconds(s.child.pid!);
  const r = await wrk(s.url + path, seconds, connections);
  return { ...r, serverCores: (cpuSeconds(s.child.pid!) - c0) / seconds, seconds };
}

const fmtRps = (x: number): string => x.toFixed(0);
/** The server's CPU time per request answered during the measured run, in microseconds. */
const cpuPerRequest = (x: Sample): number => (x.serverCores * x.seconds * 1e6) / x.requests;
const fmtCores = (x: number): string => x.toFixed(2);

export function wrkMissing(): string | undefined {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (r.error) return `wrk not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): apt-get install wrk`;
  return undefined;
}

export async function runServeBench(opts: { quick: boolean; reps?: number; log: (line: string) => void }): Promise<void> {
  const { log } = opts;
  log('');
  const missing = wrkMissing();
  if (missing) {
    log(`warden serve bench skipped: ${missing}`);
    return;
  }
  const rounds = opts.reps ?? (opts.quick ? 2 : 5);
  const seconds = opts.quick ? 3 : 10;
  const warm = opts.quick ? 2 : 3; // several processes each warm up (compile, tier up) on their own share of the requests
  const dir = mkdtempSync(join(tmpdir(), 'warden-serve-bench-'));
  const config = join(dir, 'warden.toml');
  writeFileSync(config, WARDEN_TOML);
  // The bare servers as files (cluster workers re-run their primary's script).
  const bareFile = join(dir, 'bare.cjs');
  writeFileSync(bareFile, BARE_SERVER);
  const bareClusterFile = join(dir, 'bare-cluster.cjs');
  writeFileSync(bareClusterFile, bareCluster(availableParallelism()));
  const version = (spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '').replace(/\s+Copyright.*$/, '').trim();
  log(
    `warden serve bench: ${version}, -t${THREADS} -c${CONNECTIONS}, loopback, ${rounds} rounds x ${seconds} s after ${warm} s of warm-up; ` +
      `servers are child processes on Node ${process.version}, restarted every round, order rotated; ${process.platform}/${process.arch}, ${availableParallelism()} cores`,
  );
  const busy = (): string => {
    const l = loadavg()[0]!;
    return `load average ${l.toFixed(1)}${l > availableParallelism() / 2 ? ' (other work is running: the figures are disturbed)' : ''}`;
  };
  log(`before: ${busy()}`);

  const serve = (extra: string[]) => (i: number, tag: string) => startChild([CLI, 'serve', ...extra, '--listen', '127.0.0.1:0', '--metrics', 'off', config], join(dir, `${tag}-${i}.log`));
  const contenders: { name: string; path: string; start(i: number, tag: string): Promise<Started> }[] = [
    { name: 'bare node http', path: '/', start: (i, tag) => startChild([bareFile], join(dir, `${tag}-${i}.log`)) },
    { name: 'warden serve (inline)', path: '/hello', start: serve([]) },
    { name: 'warden serve (worker)', path: '/hello-worker', start: serve([]) },
  ];
  // Several processes on one listener, when this build of warden serve has them: against a bare cluster of as many.
  const procs = availableParallelism();
  const multi = procs > 1 && spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' }).stdout.includes('--processes');
  if (multi) {
    contenders.push(
      { name: `bare node http x${procs} (cluster)`, path: '/', start: (i, tag) => startChild([bareClusterFile], join(dir, `${tag}-${i}.log`)) },
      { name: `warden serve --processes ${procs} (inline)`, path: '/hello', start: serve(['--processes', String(procs)]) },
    );
  }
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]!);
      const parts: string[] = [];
      for (const c of order) {
        const s = await c.start(r, `c${contenders.indexOf(c)}`);
        try {
          const m = await measure(s, c.path, seconds, warm);
          samples.get(c.name)!.push(m);
          parts.push(`${c.name} ${fmtRps(m.rps)} req/s p50 ${fmtMs(m.p50)} p99 ${fmtMs(m.p99)} ms${m.non2xx || m.socketErrors ? ` (${m.non2xx} non-2xx, socket errors: ${m.socketErrors || 'none'})` : ''}`);
        } finally {
          await s.stop();
        }
      }
      log(`round ${r + 1}: ${parts.join('; ')}`);
    }
    const bare = samples.get(contenders[0]!.name)!;
    const rows = contenders.map((c) => {
      const xs = samples.get(c.name)!;
      return [
        c.name,
        fmtRps(median(xs.map((x) => x.rps))),
        fmtMs(median(xs.map((x) => x.p50))),
        fmtMs(median(xs.map((x) => x.p99))),
        fmtRatio(pairedRatios(xs.map((x) => x.rps), bare.map((x) => x.rps))),
        fmtCores(median(xs.map((x) => x.serverCores))),
        fmtCores(median(xs.map((x) => x.cpu / seconds))),
        median(xs.map(cpuPerRequest)).toFixed(0),
      ];
    });
    log(table(['hello world, fresh sandbox per request', 'req/s', 'p50 ms', 'p99 ms', 'req/s vs bare', 'server cores', 'wrk cores', 'server CPU us/req'], rows));
    const rps = (i: number): number[] => samples.get(contenders[i]!.name)!.map((x) => x.rps);
    const inline = pairedRatios(rps(1), rps(0));
    log(`warden serve (inline) / bare node http, req/s: ${fmtRatio(inline)} (goal >= 0.7: ${median(inline) >= 0.7 ? 'met' : 'NOT met'})`);
    if (multi) {
      const vsOne = pairedRatios(rps(4), rps(0));
      log(`warden serve --processes ${procs} / bare node http (one process), req/s: ${fmtRatio(vsOne)} (goal >= 0.7: ${median(vsOne) >= 0.7 ? 'met' : 'NOT met'}); / bare x${procs}: ${fmtRatio(pairedRatios(rps(4), rps(3)))}`);
    }
    // CPU per request is less disturbed by other load than req/s: its inverse ratio is what req/s would be on an idle machine, both CPU-bound.
    const byCpu = pairedRatios(bare.map(cpuPerRequest), samples.get(contenders[1]!.name)!.map(cpuPerRequest));
    log(`bare CPU per request / warden serve (inline) CPU per request: ${fmtRatio(byCpu)} (the req/s ratio if both were CPU-bound on one core)`);

    await mixedRun({ config, dir, rounds, seconds, warm, log, bareFile });
    log(`after: ${busy()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(
    'method: wrk (closed loop, latency from its histogram) against servers in child processes; ratios are per round (paired), shown as median [min-max]; ' +
      '"server cores" = the server process\'s CPU time (all threads) / wall time; wrk runs on the same 2-core-or-so machine and takes CPU of its own ("wrk cores"), ' +
      'so every server here is measured with less than the whole machine; warden logs one JSON line per request to a file.',
  );
}

/** "504 x3, 503 x3459": the statuses the server logged for `route` (its JSON request log). */
function statusCounts(logFile: string, route: string): string {
  const counts = new Map<number, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as { route?: string; status?: number };
      if (rec.route === route && rec.status !== undefined) counts.set(rec.status, (counts.get(rec.status) ?? 0) + 1);
    } catch {
      // a line cut short when the server stopped
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([st, n]) => `${st} x${n}`).join(', ') || 'none logged';
}

/** A wrk script that waits WARDEN_BENCH_DELAY_MS before each request of a connection (paces a closed loop). */
const PACE_LUA = `local d = tonumber(os.getenv("WARDEN_BENCH_DELAY_MS")) or 0
function delay() return d end
`;
/** Each connection of both paced clients waits this long before each request. */
const PACE_DELAY_MS = 10;
/** The healthy client's share of the route's saturated rate; the runaway client sends as many again: the server runs at about half its capacity. */
const HEALTHY_LOAD = 0.25;
/** Short rounds that size the runaway client so it sends as many requests as the healthy one. */
const CALIBRATION_ROUNDS = 3;
const CALIBRATION_SECONDS = 2;

interface MixedRound {
  /** The healthy route's saturated rate (closed loop, no pacing): what the paced load is sized from. */
  capacity: Sample;
  /** The paced healthy client alone, and with the other client at the same time. */
  alone: WrkResult;
  mixed: WrkResult;
  /** The other client's run during `mixed`. */
  other: WrkResult;
  conns: { healthy: number; other: number };
}

/**
 * One mixed round against a started server: the healthy route's capacity, then the healthy route at a fixed
 * paced load (HEALTHY_LOAD of it) alone, then the same load while a second paced client sends as many requests
 * to `other` (calibrated), so half the requests are other ones and the server runs at about half its capacity.
 * (At saturation, a closed loop measures how the CPU is shared instead: any server's latency doubles when it
 * gets twice the requests, bare node http's included.)
 */
async function mixedRound(s: Started, hello: string, other: string, seconds: number, warm: number, script: string): Promise<MixedRound> {
  const capacity = await measure(s, hello, seconds, warm, CONNECTIONS);
  const paced = { script, delayMs: PACE_DELAY_MS };
  // each paced connection sends about 1000 / (delay + its latency) requests a second
  const healthy = Math.max(1, Math.min(1000, Math.round((HEALTHY_LOAD * capacity.rps * PACE_DELAY_MS) / 1000)));
  await wrk(s.url + hello, warm, healthy, paced);
  const alone = await wrk(s.url + hello, seconds, healthy, paced);
  let n = healthy;
  for (let i = 0; i < CALIBRATION_ROUNDS; i++) {
    const [h, o] = await Promise.all([wrk(s.url + hello, CALIBRATION_SECONDS, healthy, paced), wrk(s.url + other, CALIBRATION_SECONDS, n, paced)]);
    n = Math.max(1, Math.min(2000, Math.round((n * h.rps) / Math.max(1, o.rps))));
  }
  const [mixed, otherRun] = await Promise.all([wrk(s.url + hello, seconds, healthy, paced), wrk(s.url + other, seconds, n, paced)]);
  return { capacity, alone, mixed, other: otherRun, conns: { healthy, other: n } };
}

async function mixedRun(o: { config: string; dir: string; rounds: number; seconds: number; warm: number; log: (line: string) => void; bareFile: string }): Promise<void> {
  const { log } = o;
  const script = join(o.dir, 'pace.lua');
  writeFileSync(script, PACE_LUA);
  log('');
  log(
    `mixed run: /hello (inline) at a fixed load, alone and while a second client sends as many /runaway requests (an endless loop on a worker ` +
      `thread: timeout 1s, concurrency 1, queue 4, so the rest are refused with 503). The load: wrk connections each waiting ${PACE_DELAY_MS} ms ` +
      `before a request, as many as make ${HEALTHY_LOAD * 100}% of /hello's saturated rate (wrk -c${CONNECTIONS} first); the runaway client's ` +
      `connections sized by ${CALIBRATION_ROUNDS} ${CALIBRATION_SECONDS}-s rounds to match the healthy client's rate: half the requests are runaway ` +
      `ones, the server at about half its capacity. ${o.rounds} rounds x ${o.seconds} s. Reference: the same run against bare node http, ` +
      `its second client on another path (a plain hello).`,
  );
  const share = (m: MixedRound): string => `${((100 * m.other.requests) / (m.other.requests + m.mixed.requests)).toFixed(0)}%`;
  const solo: WrkResult[] = [];
  const mixed: WrkResult[] = [];
  const bareSolo: WrkResult[] = [];
  const bareMixed: WrkResult[] = [];
  let healthy = true;
  for (let r = 0; r < o.rounds; r++) {
    for (const target of r % 2 === 0 ? ['warden', 'bare'] : ['bare', 'warden']) {
      if (target === 'bare') {
        const s = await startChild([o.bareFile], join(o.dir, `mixed-bare-${r}.log`));
        try {
          const m = await mixedRound(s, '/', '/other', o.seconds, o.warm, script);
          bareSolo.push(m.alone);
          bareMixed.push(m.mixed);
          log(
            `round ${r + 1}, bare node http: saturated ${fmtRps(m.capacity.rps)} req/s; / at ${fmtRps(m.alone.rps)} req/s (${m.conns.healthy} paced connections) ` +
              `p99 ${fmtMs(m.alone.p99)} ms; with /other: ${fmtRps(m.mixed.rps)} req/s p99 ${fmtMs(m.mixed.p99)} ms; ` +
              `other share ${share(m)} (${m.conns.other} paced connections); p99 ratio ${(m.mixed.p99 / m.alone.p99).toFixed(2)}x`,
          );
        } finally {
          await s.stop();
        }
        continue;
      }
      const logFile = join(o.dir, `mixed-${r}.log`);
      const s = await startChild([CLI, 'serve', '--listen', '127.0.0.1:0', '--metrics', 'off', o.config], logFile);
      let line = '';
      let otherRequests = 0;
      try {
        const m = await mixedRound(s, '/hello', '/runaway', o.seconds, o.warm, script);
        const after = await get(s.url + '/hello').catch((e: unknown) => ({ status: 0, body: String(e) }));
        const up = after.status === 200 && after.body === HELLO_BODY && s.child.exitCode === null;
        healthy &&= up;
        solo.push(m.alone);
        mixed.push(m.mixed);
        otherRequests = m.other.requests;
        line =
          `round ${r + 1}: /hello saturated ${fmtRps(m.capacity.rps)} req/s; at ${fmtRps(m.alone.rps)} req/s (${m.conns.healthy} paced connections) ` +
          `p50 ${fmtMs(m.alone.p50)} p99 ${fmtMs(m.alone.p99)} ms; with /runaway: ${fmtRps(m.mixed.rps)} req/s p50 ${fmtMs(m.mixed.p50)} p99 ${fmtMs(m.mixed.p99)} ms` +
          `${m.mixed.non2xx ? ` (${m.mixed.non2xx} non-2xx)` : ''}; runaway share of requests ${share(m)} (${m.conns.other} paced connections); ` +
          `p99 ratio ${(m.mixed.p99 / m.alone.p99).toFixed(2)}x; health request after: ${up ? '200' : `FAILED (${after.status} ${after.body.slice(0, 100)})`}`;
      } finally {
        await s.stop();
      }
      log(`${line}; /runaway: ${otherRequests} requests (${statusCounts(logFile, '/runaway')})`);
    }
  }
  const ratios = pairedRatios(mixed.map((x) => x.p99), solo.map((x) => x.p99));
  const bareRatios = pairedRatios(bareMixed.map((x) => x.p99), bareSolo.map((x) => x.p99));
  log(
    table(['/hello at a fixed load', 'req/s', 'p50 ms', 'p99 ms'], [
      ['alone', fmtRps(median(solo.map((x) => x.rps))), fmtMs(median(solo.map((x) => x.p50))), fmtMs(median(solo.map((x) => x.p99)))],
      ['with /runaway', fmtRps(median(mixed.map((x) => x.rps))), fmtMs(median(mixed.map((x) => x.p50))), fmtMs(median(mixed.map((x) => x.p99)))],
    ]),
  );
  log(`healthy p99 with the runaway route / alone: ${fmtRatio(ratios)} (goal <= 2: ${median(ratios) <= 2 ? 'met' : 'NOT met'}); server up after every round: ${healthy ? 'yes' : 'NO'}`);
  log(`reference, bare node http with as many requests on a second path (no runaway, nothing refused): p99 ratio ${fmtRatio(bareRatios)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runServeBench({ quick: process.argv.includes('--quick'), log: (l) => console.log(l) });
}
