// `warden serve` operations: reload (API, config file change, module file change) without dropping
// concurrent requests, a bad config on reload keeping the old one, graceful shutdown finishing in-flight
// requests, /metrics, JSON log lines, config errors naming the field, and the CLI (ready line, SIGHUP, SIGTERM).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../src/server/index.js';
import { WardenError } from '../src/errors.js';
import { requestLine, type RequestRecord } from '../src/server/log.js';
import { parseCgiResponse, ResponseHeadCache } from '../src/server/cgi.js';
import { EXAMPLES, fetchRaw, metric, serve, until, wat, watResponder } from './server-helpers.js';
import { threadNices, threadPolicies } from './helpers/threads.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** A GET over a keep-alive agent: the status and body text. */
function get(agent: Agent, url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const routeToml = (module: string, extra = ''): string => `[[route]]\npath = "/r"\nmodule = "${module}"\nisolation = "inline"\n${extra}`;

describe('warden serve: reload, shutdown, metrics, logs', () => {
  it('reload() switches routes and modules without dropping concurrent requests', async () => {
    const one = await wat(watResponder('content-type: text/plain\n\none'));
    const two = await wat(watResponder('content-type: text/plain\n\ntwo'));
    const s = await serve(routeToml('one.wasm'), { 'one.wasm': one, 'two.wasm': two });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      let stop = false;
      const seen: { status: number; text: string }[] = [];
      const clients = Array.from({ length: 6 }, async () => {
        while (!stop) seen.push(await get(agent, `${s.url}/r`));
      });
      for (let i = 0; i < 6; i++) {
        writeFileSync(s.configPath, routeToml(i % 2 === 0 ? 'two.wasm' : 'one.wasm') + (i % 3 === 0 ? '[[route]]\npath = "/extra"\nmodule = "one.wasm"\n' : ''));
        await s.server.reload();
        await new Promise((r) => setTimeout(r, 20));
      }
      stop = true;
      await Promise.all(clients);
      assert.ok(seen.length > 6, `requests made: ${seen.length}`);
      assert.deepEqual(seen.filter((r) => r.status !== 200), [], 'no request failed during reloads');
      assert.ok(seen.every((r) => r.text === 'one' || r.text === 'two'));
      assert.equal((await get(agent, `${s.url}/r`)).text, 'one', 'the last config is in use');
      assert.equal(s.logs.filter((l) => l['msg'] === 'reloaded').length, 6);
    } finally {
      agent.destroy();
      await s.server.close();
    }
  });

  it('an invalid config on reload is refused and logged; the old one keeps serving', async () => {
    const s = await serve(routeToml(`${EXAMPLES}hello.wasm`));
    try {
      writeFileSync(s.configPath, routeToml(`${EXAMPLES}hello.wasm`, 'isolaton = "inline"\n'));
      await assert.rejects(s.server.reload(), (e: unknown) => e instanceof WardenError && e.kind === 'config' && /route\[0\]\.isolaton: unknown field \(did you mean "isolation"\?\)/.test(e.message));
      writeFileSync(s.configPath, routeToml(join(s.dir, 'missing.wasm')));
      await assert.rejects(s.server.reload(), /missing\.wasm: no such file/);
      assert.equal((await fetchRaw(`${s.url}/r`)).text, 'hello, world\n');
      assert.equal(s.logs.filter((l) => l['msg'] === 'reload failed, keeping the previous configuration').length, 2);
      const m = (await fetchRaw(s.server.metricsUrl!)).text;
      assert.equal(metric(m, 'warden_config_reload_failures_total'), 2);
    } finally {
      await s.server.close();
    }
  });

  it('watching: a changed config file or module file is picked up', async () => {
    const one = await wat(watResponder('content-type: text/plain\n\none'));
    const two = await wat(watResponder('content-type: text/plain\n\ntwo'));
    const s = await serve(routeToml('m.wasm'), { 'm.wasm': one }, true);
    try {
      assert.equal((await fetchRaw(`${s.url}/r`)).text, 'one');
      writeFileSync(join(s.dir, 'm.wasm'), two); // the module changes
      await until(async () => (await fetchRaw(`${s.url}/r`)).text === 'two', 'the new module');
      writeFileSync(join(s.dir, 'other.wasm'), one);
      writeFileSync(s.configPath, routeToml('other.wasm', '[[route]]\npath = "/new"\nmodule = "m.wasm"\n')); // the config changes
      await until(async () => (await fetchRaw(`${s.url}/new`)).status === 200, 'the new route');
      assert.equal((await fetchRaw(`${s.url}/r`)).text, 'one');
    } finally {
      await s.server.close();
    }
  });

  it('close() stops accepting, finishes in-flight requests, then resolves', async () => {
    const s = await serve(`[[route]]\npath = "/sleep"\nmodule = "${EXAMPLES}sleep.wasm"\n`);
    const inFlight = fetchRaw(`${s.url}/sleep?ms=300`);
    await until(async () => metric((await fetchRaw(s.server.metricsUrl!)).text, 'warden_requests_in_flight', { route: '/sleep' }) === 1, 'the request to run');
    const closed = s.server.close();
    const r = await inFlight;
    assert.equal(r.status, 200);
    assert.equal(r.text, 'slept 300 ms\n');
    assert.equal(r.headers['connection'], 'close');
    await closed;
    await assert.rejects(fetchRaw(`${s.url}/sleep?ms=1`), /ECONNREFUSED/);
    assert.equal(s.logs.at(-1)?.['msg'], 'stopped');
  });

  it('/metrics: requests by route and status, durations, fuel, limit hits, in-flight and queue gauges', async () => {
    const s = await serve(`${routeToml(`${EXAMPLES}hello.wasm`)}[[route]]\npath = "/loop"\nmodule = "${EXAMPLES}runaway.wasm"\n[route.limits]\nfuel = 100000\n`);
    try {
      for (let i = 0; i < 3; i++) await fetchRaw(`${s.url}/r`);
      await fetchRaw(`${s.url}/loop`);
      await fetchRaw(`${s.url}/none`);
      const res = await fetchRaw(s.server.metricsUrl!);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const m = res.text;
      assert.equal(metric(m, 'warden_requests_total', { route: '/r', status: '200' }), 3);
      assert.equal(metric(m, 'warden_requests_total', { route: '/loop', status: '500' }), 1);
      assert.equal(metric(m, 'warden_requests_total', { route: '', status: '404' }), 1);
      assert.equal(metric(m, 'warden_request_duration_seconds_count', { route: '/r' }), 3);
      assert.equal(metric(m, 'warden_request_duration_seconds_bucket', { route: '/r', le: '+Inf' }), 3);
      assert.ok((metric(m, 'warden_fuel_used_total', { route: '/r' }) ?? 0) > 0);
      assert.equal(metric(m, 'warden_limit_hits_total', { route: '/loop', kind: 'fuel' }), 1);
      assert.equal(metric(m, 'warden_requests_in_flight', { route: '/r' }), 0);
      assert.equal(metric(m, 'warden_queue_depth', { route: '/loop' }), 0);
      assert.match(m, /^# TYPE warden_request_duration_seconds histogram$/m);
      assert.equal((await fetchRaw(s.server.metricsUrl!.replace('/metrics', '/other'))).status, 404);
      // the request listener does not serve /metrics
      assert.equal((await fetchRaw(`${s.url}/metrics`)).status, 404);
    } finally {
      await s.server.close();
    }
  });

  it('one JSON log line per request with route, status, duration, fuel, limit and bytes', async () => {
    const s = await serve(`[[route]]\npath = "/e/..."\nmodule = "${EXAMPLES}echo.wasm"\n[[route]]\npath = "/loop"\nmodule = "${EXAMPLES}runaway.wasm"\n[route.limits]\nfuel = 100000\n`);
    try {
      await fetchRaw(`${s.url}/e/x?y=1`, { body: 'abc' });
      await fetchRaw(`${s.url}/loop`);
      const [a, b] = s.requests();
      assert.ok(a && b);
      assert.equal(typeof a['time'], 'string');
      assert.ok(!Number.isNaN(Date.parse(String(a['time']))));
      assert.equal(a['method'], 'POST');
      assert.equal(a['path'], '/e/x?y=1');
      assert.equal(a['route'], '/e/...');
      assert.equal(a['status'], 200);
      assert.equal(typeof a['durationMs'], 'number');
      assert.ok(Number(a['fuel']) > 0);
      assert.equal(a['bytesIn'], 3);
      assert.ok(Number(a['bytesOut']) > 3);
      assert.equal(a['limit'], undefined);
      assert.equal(b['status'], 500);
      assert.equal(b['limit'], 'fuel');
      assert.ok(Number(b['fuel']) >= 100000);
    } finally {
      await s.server.close();
    }
  });

  it('a request log line is the JSON of its record, whatever its strings hold', () => {
    const plain: RequestRecord = { time: '2026-01-01T00:00:00.000Z', method: 'GET', path: '/p?q=1', route: '/p', status: 200, durationMs: 0, fuel: 7, bytesIn: 0, bytesOut: 13, remote: '127.0.0.1' };
    let seed = 7;
    const durations = [0, 0.001, 0.01, 0.1, 0.5, 1, 1.2, 1.23, 1.234, 10.05, 999.999, 1000, 123456.789, 86400000.001, 1e9 - 0.001, 1e9, 1e12, 0.0005, 1 / 3, NaN];
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      durations.push(Math.round((seed / 2 ** 32) * 10 ** (i % 10) * 1000) / 1000);
    }
    for (const d of durations) {
      const rec = { ...plain, durationMs: d };
      assert.equal(requestLine(rec), JSON.stringify(rec), `durationMs ${d}`);
    }
    const odd = ['', 'plain /path?q=1', 'quote " and \\ backslash', 'tab\tnewline\ncr\r', '\u0000\u001f\u007f', 'caf\u00e9 \u4e2d \ud83d\ude00', 'lone \ud800 surrogate', '</script>'];
    for (const text of odd) {
      const rec: RequestRecord = { time: '2026-01-01T00:00:00.000Z', method: 'GET', path: text, route: text, status: 200, durationMs: 1.25, fuel: 7, bytesIn: 0, bytesOut: 13, remote: text };
      assert.deepEqual(JSON.parse(requestLine(rec)), JSON.parse(JSON.stringify(rec)), JSON.stringify(text));
      const full: RequestRecord = { ...rec, status: 500, limit: 'fuel', error: text, exitCode: 3, stderr: text, durationMs: NaN };
      assert.deepEqual(JSON.parse(requestLine(full)), JSON.parse(JSON.stringify(full)), JSON.stringify(text));
    }
  });

  it('a cached response header block gives what parsing gives, for each output in turn', () => {
    const outputs = [
      'content-type: text/plain\n\nhello',
      'content-type: text/plain\n\nanother body\n\nwith a blank line',
      'content-type: text/plain\n\n',
      'content-type: text/plain\nx-a: 1\nx-a: 2\n\nrepeated header',
      'content-type: text/plain\nx-a: 1\nx-a: 2\n\nrepeated header again',
      'status: 404 Gone Fishing\r\ncontent-type: text/html\r\n\r\n<p>',
      'status: 404 Gone Fishing\r\ncontent-type: text/html\r\n\r\n<p>again',
      'content-type: text/plain\n\nhello',
      'content-type: text/plain\n',
      'content-type: text/plain',
      'x-only: 1\n\nbody',
      'location: /there\n\n',
      'content-type: text/plain\n\nhello again',
      '',
    ];
    const cache = new ResponseHeadCache();
    for (const text of outputs) {
      const out = Buffer.from(text, 'latin1');
      const want = parseCgiResponse(out);
      const got = parseCgiResponse(out, cache);
      assert.deepEqual(got, want, JSON.stringify(text));
      if (typeof got === 'string') continue;
      const byName: Record<string, string | string[]> = {};
      for (let i = 0; i < got.list.length; i += 2) {
        const [k, v] = [got.list[i]!, got.list[i + 1]!];
        const prev = byName[k];
        byName[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      assert.deepEqual(byName, got.headers, 'the list holds the same headers');
    }
  });

  it('config errors name the file and field; a pinned digest is checked', async () => {
    const bad = async (config: Parameters<typeof startServer>[0], re: RegExp): Promise<void> => {
      await assert.rejects(startServer(config, { port: 0, metricsPort: false, log: () => {} }), (e: unknown) => e instanceof WardenError && e.kind === 'config' && re.test(e.message));
    };
    const hello = `${EXAMPLES}hello.wasm`;
    await bad({ route: [{ path: 'nope', module: hello }] }, /<config>: route\[0\]\.path: expected a path such as "\/hello"/);
    await bad({ route: [{ path: '/a/.../b', module: hello }] }, /route\[0\]\.path: "\.\.\." may only end a route/);
    await bad({ route: [{ path: '/a', module: hello }, { path: '/a', module: hello }] }, /route\[1\]\.path: route "\/a" is already defined by route\[0\]/);
    await bad({ route: [{ path: '/a', module: hello, limits: { timeout: 'soon' } }] }, /route\[0\]\.limits\.timeout: expected a duration/);
    await bad({ server: { listen: 'localhost:99999' } }, /server\.listen: expected HOST:PORT/);
    await bad({ server: { 'worker-niceness': 20 } }, /server\.worker-niceness: .*19/);
    await bad({ route: [{ path: '/a', module: hello, digest: 'sha256:1234' }] }, /route\[0\]\.digest: invalid digest/);
    await bad({ route: [{ path: '/a', module: hello, digest: 'a'.repeat(64) }] }, /route\[0\]: digest: .*module digest mismatch: expected sha256:a{64}, got sha256:[0-9a-f]{64}/);
    await bad({ route: [{ path: '/a', module: hello, dirs: [{ host: '/no/such/dir', guest: '/d' }] }] }, /route\[0\]: dirs\[0\]\.host: \/no\/such\/dir: no such directory/);
    await bad({ route: [{ path: '/a', module: `${EXAMPLES}warden.toml` }] }, /not a WebAssembly module/);
    // the right digest serves
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const digest = `sha256:${createHash('sha256').update(readFileSync(hello)).digest('hex')}`;
    const ok = await startServer({ route: [{ path: '/a', module: hello, digest }] }, { port: 0, metricsPort: false, log: () => {} });
    try {
      assert.equal((await fetchRaw(`${ok.url}/a`)).text, 'hello, world\n');
      assert.equal(ok.metricsUrl, undefined);
    } finally {
      await ok.close();
    }
  });

  it('server.worker-niceness: the worker threads of isolation = "worker" routes run at it (Linux)', { skip: process.platform !== 'linux' && 'thread niceness is Linux-only' }, async () => {
    const before = threadNices();
    const s = await startServer({ server: { workers: 1, 'worker-niceness': 13 }, route: [{ path: '/w', module: `${EXAMPLES}hello.wasm`, isolation: 'worker' }] }, { port: 0, metricsPort: false, log: () => {} });
    try {
      assert.equal((await fetchRaw(`${s.url}/w`)).text, 'hello, world\n');
      const added = [...threadNices()].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
      assert.ok(added.includes(13), `new threads' nice values: ${added.join(', ')}`);
      assert.equal(threadNices().get(String(process.pid)), 0, 'the main thread keeps its priority');
    } finally {
      await s.close();
    }
  });

  it('server.worker-idle (default true): the worker threads run under SCHED_IDLE, the main thread does not (Linux, with chrt)', { skip: (process.platform !== 'linux' || spawnSync('chrt', ['--version']).error !== undefined) && 'needs Linux and util-linux chrt' }, async () => {
    for (const idle of [undefined, false]) {
      const before = threadPolicies();
      const server = idle === undefined ? { workers: 1 } : { workers: 1, 'worker-idle': idle };
      const s = await startServer({ server, route: [{ path: '/w', module: `${EXAMPLES}hello.wasm`, isolation: 'worker' }] }, { port: 0, metricsPort: false, log: () => {} });
      try {
        assert.equal((await fetchRaw(`${s.url}/w`)).text, 'hello, world\n');
        const added = [...threadPolicies()].filter(([tid]) => !before.has(tid)).map(([, policy]) => policy);
        assert.equal(added.includes(5), idle === undefined, `worker-idle ${idle}: new threads' policies ${added.join(', ')}`);
        assert.equal(threadPolicies().get(String(process.pid)), 0, 'the main thread keeps SCHED_OTHER');
      } finally {
        await s.close();
      }
    }
  });

  it('preopened dirs: read-only unless writable = true', async () => {
    const data = mkdtempSync(join(tmpdir(), 'warden-data-'));
    writeFileSync(join(data, 'a.txt'), 'file a\n');
    const s = await serve(
      `[[route]]\npath = "/ro/..."\nmodule = "${EXAMPLES}files.wasm"\ndirs = [{ host = "${data}", guest = "/data" }]\n` +
        `[[route]]\npath = "/rw/..."\nmodule = "${EXAMPLES}files.wasm"\ndirs = [{ host = "${data}", guest = "/data", writable = true }]\n`,
    );
    try {
      assert.equal((await fetchRaw(`${s.url}/ro/a.txt`)).text, 'file a\n');
      assert.equal((await fetchRaw(`${s.url}/ro/none.txt`)).status, 404);
      const denied = await fetchRaw(`${s.url}/ro/b.txt`, { method: 'PUT', body: 'new' });
      assert.equal(denied.status, 403);
      assert.equal(existsSync(join(data, 'b.txt')), false);
      assert.equal((await fetchRaw(`${s.url}/rw/b.txt`, { method: 'PUT', body: 'new' })).status, 201);
      assert.equal(readFileSync(join(data, 'b.txt'), 'utf8'), 'new');
      assert.equal((await fetchRaw(`${s.url}/ro/b.txt`)).text, 'new');
    } finally {
      await s.server.close();
    }
  });

  it('a route policy: the module must pass it, its env and dirs are granted by it, its limits are a ceiling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-policy-'));
    const policy = (body: string): string => {
      writeFileSync(join(dir, 'p.toml'), body);
      return 'p.toml';
    };
    const start = (route: Record<string, unknown>) => startServer({ baseDir: dir, route: [{ path: '/p', module: `${EXAMPLES}env.wasm`, ...route }] }, { port: 0, metricsPort: false, log: () => {} });
    const refused = async (route: Record<string, unknown>, re: RegExp): Promise<void> => {
      await assert.rejects(start(route), (e: unknown) => e instanceof WardenError && e.kind === 'config' && re.test(e.message));
    };
    await refused({ policy: policy('digests = ["' + 'b'.repeat(64) + '"]\n') }, /route\[0\]: policy: .*p\.toml: refused by policy .*module digest sha256:[0-9a-f]{64} is not the pinned sha256:b{64}/);
    await refused({ policy: policy('[imports]\ndeny = ["wasi_snapshot_preview1::environ_*"]\n') }, /refused by policy/);
    await refused({ policy: policy('[capabilities]\nenv = { A = "1" }\n'), env: { B: '2' } }, /environment variable "B" is not granted by the policy/);
    await refused({ policy: policy('[limits]\ntimeout = "1s"\n'), limits: { timeout: '5s' } }, /limit timeout 5000 is above the policy's 1000/);
    await refused({ policy: 'missing.toml' }, /policy: .*missing\.toml: .*no such file/);
    const s = await start({ policy: policy('[capabilities]\nenv = { FROM_POLICY = "yes" }\nenv-allow = ["ROUTE_*"]\n[limits]\nfuel = 1000000\n'), env: { ROUTE_VAR: 'r' } });
    try {
      const r = await fetchRaw(`${s.url}/p`);
      assert.equal(r.status, 200);
      assert.match(r.text, /^FROM_POLICY=yes$/m);
      assert.match(r.text, /^ROUTE_VAR=r$/m);
      assert.match(r.text, /^REQUEST_METHOD=GET$/m);
    } finally {
      await s.close();
    }
  });

  it('processes = 2: both processes serve one listener; /metrics sums them; reload and close reach both', async () => {
    const s0 = await serve(routeToml(`${EXAMPLES}hello.wasm`));
    await s0.server.close();
    const logs: Record<string, unknown>[] = [];
    const c = await startServer(s0.configPath, { port: 0, metricsPort: 0, processes: 2, log: (l) => logs.push(JSON.parse(l) as Record<string, unknown>), watch: false });
    try {
      assert.equal(logs[0]?.['msg'], 'listening');
      assert.equal(logs[0]?.['processes'], 2);
      const replies = await Promise.all(Array.from({ length: 20 }, () => fetchRaw(`${c.url}/r`)));
      assert.ok(replies.every((r) => r.status === 200 && r.text === 'hello, world\n'));
      const m = (await fetchRaw(c.metricsUrl!)).text;
      assert.equal(metric(m, 'warden_requests_total', { route: '/r', status: '200' }), 20);
      assert.equal(metric(m, 'warden_request_duration_seconds_count', { route: '/r' }), 20);
      assert.equal(m.match(/^# TYPE warden_requests_total counter$/gm)?.length, 1, 'one family header');
      writeFileSync(s0.configPath, routeToml(`${EXAMPLES}hello.wasm`, `[[route]]\npath = "/two"\nmodule = "${EXAMPLES}hello.wasm"\n`));
      await c.reload();
      assert.equal(logs.filter((l) => l['msg'] === 'reloaded').length, 2, 'both processes reloaded');
      assert.equal((await fetchRaw(`${c.url}/two`)).status, 200);
      writeFileSync(s0.configPath, routeToml(join(s0.dir, 'missing.wasm')));
      await assert.rejects(c.reload(), /missing\.wasm: no such file/);
      assert.equal((await fetchRaw(`${c.url}/two`)).status, 200, 'the old config stays');
    } finally {
      await c.close();
    }
    assert.equal(logs.filter((l) => l['msg'] === 'stopped').length, 3, 'both processes and the primary');
    await assert.rejects(fetchRaw(`${c.url}/r`), /ECONNREFUSED/);
  });

  it('the CLI: one ready line, JSON logs, SIGHUP reloads, SIGTERM drains and exits 0; a bad config exits 2', async () => {
    const s0 = await serve(routeToml(`${EXAMPLES}hello.wasm`));
    await s0.server.close();
    copyFileSync(`${EXAMPLES}hello.wasm`, join(s0.dir, 'h.wasm'));
    const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', '--metrics', 'off', '--no-watch', s0.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
      }
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => lines.length > 0, 'the ready line');
      assert.equal(lines[0]!['msg'], 'listening');
      const url = String(lines[0]!['url']);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await fetchRaw(`${url}/r`)).text, 'hello, world\n');
      await until(() => lines.some((l) => l['path'] === '/r'), 'the request log line');
      writeFileSync(s0.configPath, routeToml('h.wasm', '[[route]]\npath = "/two"\nmodule = "h.wasm"\n'));
      child.kill('SIGHUP');
      await until(() => lines.some((l) => l['msg'] === 'reloaded'), 'the reload');
      assert.equal((await fetchRaw(`${url}/two`)).status, 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(lines.at(-1)?.['msg'], 'stopped');
    } finally {
      child.kill('SIGKILL');
    }
    writeFileSync(s0.configPath, '[[route]]\npath = "/x"\n');
    const bad = spawn(process.execPath, [CLI, 'serve', s0.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((resolve) => bad.on('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(err, /^error: .*warden\.toml: route\[0\]\.module: missing required field\n$/);
  });
});
