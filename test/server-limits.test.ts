// `warden serve` error mapping over real HTTP: request bodies over the cap 413 (declared and chunked),
// header caps 431, limit hits 500 (fuel, memory, output, trap) and 504 (timeout, inline and worker) with
// short bodies, overload 503 from a bounded queue, slow clients holding no sandbox slot (408 for them).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { EXAMPLES, fetchRaw, metric, rawRequest, serve, until, wat, type Started } from './server-helpers.js';

const TOML = `
[server]
max-headers = 20
max-header-bytes = "4KiB"
header-timeout = "1s"
body-timeout = "1s"
[limits]
body = "64KiB"
[[route]]
path = "/echo"
module = "${EXAMPLES}echo.wasm"
[route.limits]
concurrency = 1
queue = 0
stdout = "100KiB"
[[route]]
path = "/fuel"
module = "${EXAMPLES}runaway.wasm"
isolation = "inline"
[route.limits]
fuel = 1000000
[[route]]
path = "/timeout-inline"
module = "${EXAMPLES}runaway.wasm"
isolation = "inline"
[route.limits]
timeout = "50ms"
[[route]]
path = "/timeout-worker"
module = "${EXAMPLES}runaway.wasm"
[route.limits]
timeout = "50ms"
[[route]]
path = "/memory"
module = "bigmem.wasm"
[route.limits]
memory = "128KiB"
[[route]]
path = "/trap"
module = "trap.wasm"
isolation = "inline"
[[route]]
path = "/slow"
module = "${EXAMPLES}runaway.wasm"
[route.limits]
timeout = "2s"
concurrency = 1
queue = 1
`;

describe('warden serve: limits and error mapping', () => {
  let s: Started;
  before(async () => {
    s = await serve(TOML, {
      'bigmem.wasm': await wat('(module (memory (export "memory") 4) (func (export "_start")))'),
      'trap.wasm': await wat('(module (memory (export "memory") 1) (func (export "_start") unreachable))'),
    });
  });
  after(() => s.server.close());

  it('a declared body over the route cap is 413 before it is read; a chunked one when it passes the cap', async () => {
    const big = Buffer.alloc(64 * 1024 + 1, 1);
    const r = await fetchRaw(`${s.url}/echo`, { body: big });
    assert.equal(r.status, 413);
    assert.equal(r.text, '413 request body too large\n');
    assert.equal(r.headers['connection'], 'close');
    const c = await fetchRaw(`${s.url}/echo`, { body: big, chunked: true });
    assert.equal(c.status, 413);
    const ok = await fetchRaw(`${s.url}/echo`, { body: Buffer.alloc(64 * 1024, 1) });
    assert.equal(ok.status, 200, 'exactly the cap is accepted');
    // the declared length alone decides: the server answers without waiting for the bytes
    const reply = await rawRequest(s.url, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 413 /);
  });

  it('too many header fields or too many header bytes: 431', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 25; i++) many[`x-h${i}`] = 'v';
    assert.equal((await fetchRaw(`${s.url}/echo`, { headers: many })).status, 431);
    const reply = await rawRequest(s.url, `GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 431 /);
  });

  it('limit hits are 500 (fuel, memory, output cap, trap) and 504 (timeout), with short bodies and the kind in the log', async () => {
    const cases: [string, number, string][] = [
      ['/fuel', 500, 'fuel'],
      ['/memory', 500, 'memory'],
      ['/trap', 500, 'trap'],
      ['/timeout-inline', 504, 'timeout'],
      ['/timeout-worker', 504, 'timeout'],
    ];
    for (const [path, status, kind] of cases) {
      const r = await fetchRaw(`${s.url}${path}`);
      assert.equal(r.status, status, path);
      assert.match(r.text, status === 504 ? /^504 gateway timeout/ : /^500 internal server error\n$/, path);
      assert.doesNotMatch(r.text, /wasm|fuel|unreachable|deadline/i, `${path}: no guest internals`);
      const line = s.requests().filter((l) => l['path'] === path).at(-1);
      assert.equal(line?.['limit'], kind, path);
      assert.equal(line?.['status'], status);
    }
    // the response cap (limits.stdout): echo writes its body back
    const small = await serve(`[[route]]\npath = "/echo"\nmodule = "${EXAMPLES}echo.wasm"\n[route.limits]\nstdout = "1KiB"\n`);
    try {
      const r = await fetchRaw(`${small.url}/echo`, { body: Buffer.alloc(4096, 0x41) });
      assert.equal(r.status, 500);
      assert.equal(small.requests().at(-1)?.['limit'], 'output-limit');
    } finally {
      await small.server.close();
    }
  });

  it('a route over its concurrency and queue answers 503 (with Retry-After) while it is busy, and serves again after', async () => {
    const metricsUrl = s.server.metricsUrl!;
    const gauge = async (name: string): Promise<number> => metric((await fetchRaw(metricsUrl)).text, name, { route: '/slow' }) ?? 0;
    const first = fetchRaw(`${s.url}/slow`); // runs until its 2 s timeout
    await until(async () => (await gauge('warden_requests_in_flight')) === 1, 'the first request to run');
    const second = fetchRaw(`${s.url}/slow`); // waits in the queue (1 place)
    await until(async () => (await gauge('warden_queue_depth')) === 1, 'the second request to queue');
    const third = await fetchRaw(`${s.url}/slow`);
    assert.equal(third.status, 503);
    assert.equal(third.headers['retry-after'], '1');
    assert.match(third.text, /^503 service unavailable/);
    // the other routes are not affected
    assert.equal((await fetchRaw(`${s.url}/echo`, { body: 'x' })).status, 200);
    assert.equal((await first).status, 504);
    assert.equal((await second).status, 504);
  });

  it('a queued request whose client goes away leaves the queue (logged as 499)', async () => {
    const metricsUrl = s.server.metricsUrl!;
    const gauge = async (name: string): Promise<number> => metric((await fetchRaw(metricsUrl)).text, name, { route: '/slow' }) ?? 0;
    const first = fetchRaw(`${s.url}/slow`);
    await until(async () => (await gauge('warden_requests_in_flight')) === 1, 'the first request to run');
    const u = new URL(s.url);
    const sock = connect(Number(u.port), u.hostname);
    sock.on('error', () => {});
    sock.write('GET /slow?queued HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(async () => (await gauge('warden_queue_depth')) === 1, 'the second request to queue');
    sock.destroy();
    await until(async () => (await gauge('warden_queue_depth')) === 0, 'the queue to empty');
    await until(() => s.requests().some((l) => l['path'] === '/slow?queued'), 'its log line');
    const line = s.requests().find((l) => l['path'] === '/slow?queued')!;
    assert.equal(line['status'], 499);
    assert.equal(line['error'], 'client went away while queued');
    assert.equal((await first).status, 504);
  });

  it('a slow client sending its body holds no sandbox slot, and gets 408 when the body timeout passes', async () => {
    const u = new URL(s.url);
    const sock = connect(Number(u.port), u.hostname);
    const got: Buffer[] = [];
    sock.on('data', (c: Buffer) => got.push(c));
    sock.on('error', () => {});
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab');
    await new Promise((r) => setTimeout(r, 100));
    // /echo has one slot and no queue: it is still free for others
    const other = await fetchRaw(`${s.url}/echo`, { body: 'hello' });
    assert.equal(other.status, 200);
    await closed;
    assert.match(Buffer.concat(got).toString(), /^HTTP\/1\.1 408 /);
  });

  it('server.max-connections: connections past it are closed as they come; a freed place is taken again', async () => {
    const t = await serve(`[server]\nmax-connections = 2\n[[route]]\npath = "/hello"\nmodule = "${EXAMPLES}hello.wasm"\nisolation = "inline"\n`);
    const u = new URL(t.url);
    const held = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<ReturnType<typeof connect>>((resolve, reject) => {
            const sock = connect(Number(u.port), u.hostname, () => resolve(sock));
            sock.on('error', reject);
          }),
      ),
    );
    try {
      assert.equal(await rawRequest(t.url, 'GET /hello HTTP/1.1\r\nHost: x\r\n\r\n', 3000), '', 'a third connection is closed without an answer');
      held[0]!.destroy();
      let answer = '';
      await until(async () => (answer = await rawRequest(t.url, 'GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000)) !== '', 'a place to be free again');
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    } finally {
      for (const h of held) h.destroy();
      await t.server.close();
    }
  });
});
