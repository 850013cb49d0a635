// Scale-out: two `warden serve` nodes behind nginx on loopback, with examples/nginx/nginx.conf (its addresses
// replaced by ephemeral ports, everything nginx writes in a temp prefix dir): both nodes answer, the WAGI
// variables survive the proxy, bodies round-trip, nginx's body cap matches Warden's, and when one node
// stops the other keeps serving. Skips when nginx is not installed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES, fetchRaw, serve, until, type Started } from './server-helpers.js';

const TEMPLATE = fileURLToPath(new URL('../../examples/nginx/nginx.conf', import.meta.url));
/** The addresses examples/nginx/nginx.conf is written for, and what the test puts in their place. */
const LISTEN = 'listen 127.0.0.1:8080;';
const NODES = ['server 127.0.0.1:8081 ', 'server 127.0.0.1:8082 '];

/** The nginx binary: $NGINX if set (only it), else the usual places. */
function findNginx(): string | undefined {
  const env = process.env['NGINX'];
  for (const p of env ? [env] : ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx', '/usr/local/bin/nginx']) {
    if (existsSync(p) && spawnSync(p, ['-v']).status === 0) return p;
  }
  return undefined;
}
const NGINX = findNginx();
const skip = NGINX === undefined ? `nginx not found (${process.env['NGINX'] ? `NGINX=${process.env['NGINX']}` : 'apt-get install nginx'}): the load-balancer example is not tested` : false;

/** A loopback port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

/** The example config with the test's ports (each address must appear exactly once in the template). */
function renderNginxConf(template: string, listenPort: number, nodePorts: readonly number[]): string {
  const once = (text: string, from: string, to: string): string => {
    assert.equal(text.split(from).length, 2, `examples/nginx/nginx.conf should contain "${from.trim()}" once`);
    return text.replace(from, to);
  };
  let conf = once(template, LISTEN, `listen 127.0.0.1:${listenPort};`);
  NODES.forEach((n, i) => (conf = once(conf, n, `server 127.0.0.1:${nodePorts[i]} `)));
  return conf;
}

/** NAME=value lines of the env handler. */
const vars = (text: string): Map<string, string> => new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

const nodeToml = (name: string): string => `
[limits]
timeout = "5s"
[[route]]
path = "/env"
module = "${EXAMPLES}env.wasm"
env = { WARDEN_NODE = "${name}" }
[[route]]
path = "/echo/..."
module = "${EXAMPLES}echo.wasm"
[[route]]
path = "/sleep"
module = "${EXAMPLES}sleep.wasm"
`;

describe('warden serve: two nodes behind nginx (examples/nginx)', { skip }, () => {
  const nodes: (Started & { dir: string })[] = [];
  let nginx: ChildProcess | undefined;
  let nginxOut = '';
  let prefix = '';
  let url = '';

  before(async () => {
    for (const name of ['a', 'b']) nodes.push(await serve(nodeToml(name)));
    prefix = mkdtempSync(join(tmpdir(), 'warden-nginx-'));
    chmodSync(prefix, 0o755); // started as root, nginx's workers run as "nobody" and spool bodies under the prefix
    const template = readFileSync(TEMPLATE, 'utf8');
    // The port is picked before nginx binds it: try again if something else took it meanwhile.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      writeFileSync(join(prefix, 'nginx.conf'), renderNginxConf(template, port, nodes.map((n) => Number(new URL(n.url).port))));
      nginxOut = '';
      const child = spawn(NGINX!, ['-p', prefix + '/', '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => (nginxOut += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (nginxOut += d.toString()));
      let exited = false;
      child.once('exit', () => (exited = true));
      await until(async () => exited || (await canConnect(port)), 'nginx to listen');
      if (!exited) {
        nginx = child;
        url = `http://127.0.0.1:${port}`;
        return;
      }
      const errorLog = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
      if (attempt < 3 && /Address already in use/.test(nginxOut + errorLog)) continue;
      throw new Error(`nginx did not start: ${nginxOut}${errorLog}`);
    }
  });

  after(async () => {
    if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
      const child = nginx;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT'); // graceful: finish open requests, then exit
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    for (const n of nodes) await n.server.close();
    if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  it('spreads requests over both nodes and passes the client, Host and forwarding headers to the handler', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = await fetchRaw(`${url}/env?i=${i}`, { headers: { host: 'warden.example:8443', 'x-forwarded-for': '203.0.113.7' } });
      assert.equal(r.status, 200, r.text);
      const v = vars(r.text);
      seen.add(v.get('WARDEN_NODE') ?? '?');
      assert.equal(v.get('HTTP_X_FORWARDED_FOR'), '203.0.113.7, 127.0.0.1');
      assert.equal(v.get('HTTP_X_REAL_IP'), '127.0.0.1');
      assert.equal(v.get('HTTP_X_FORWARDED_PROTO'), 'http');
      assert.equal(v.get('HTTP_HOST'), 'warden.example:8443');
      assert.equal(v.get('SERVER_NAME'), 'warden.example');
      assert.equal(v.get('X_FULL_URL'), `http://warden.example:8443/env?i=${i}`);
      assert.equal(v.get('QUERY_STRING'), `i=${i}`);
      assert.equal(v.get('REMOTE_ADDR'), '127.0.0.1', 'REMOTE_ADDR is nginx');
      assert.equal(v.get('HTTP_CONNECTION'), undefined, 'nginx keeps its upstream connections alive (Connection "")');
    }
    assert.deepEqual([...seen].sort(), ['a', 'b']);
    for (const n of nodes) assert.ok(n.requests().some((l) => String(l['path']).startsWith('/env?i=')), 'each node logged some of the requests');
  });

  it('round-trips request bodies (buffered by nginx) and keeps the handler\'s response headers', async () => {
    const body = randomBytes(200_000); // above client_body_buffer_size: nginx spools it to its temp dir first
    const r = await fetchRaw(`${url}/echo/x/y?q=1`, { body, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assert.equal(r.headers['x-echo-method'], 'POST');
    assert.match(r.text, /^method: POST\npath: \/x\/y\nquery: q=1\n/);
    const at = r.body.indexOf('body:') + 5;
    assert.ok(r.body.subarray(at).equals(body), 'body bytes unchanged');
  });

  it('refuses bodies above 1 MiB itself (413), the same cap as Warden\'s default', async () => {
    const ok = await fetchRaw(`${url}/echo/`, { body: Buffer.alloc(1024 * 1024, 0x61) });
    assert.equal(ok.status, 200);
    const before = nodes.reduce((s, n) => s + n.requests().length, 0);
    const big = await fetchRaw(`${url}/echo/`, { body: Buffer.alloc(1024 * 1024 + 1, 0x61) });
    assert.equal(big.status, 413);
    assert.equal(nodes.reduce((s, n) => s + n.requests().length, 0), before, 'the oversized request never reached a node');
  });

  it('keeps serving from the other node when one stops, and the stopping node finishes what it had', async (t) => {
    // Two slow requests, one per node (round robin); node b stops while they run (or, if b had not got
    // its request yet, nginx passes it to a). Either way no request is lost.
    const slow = [fetchRaw(`${url}/sleep?ms=400`), fetchRaw(`${url}/sleep?ms=400`)];
    await new Promise((r) => setTimeout(r, 100));
    await nodes[1]!.server.close();
    for (const r of await Promise.all(slow)) assert.equal(`${r.status} ${r.text}`, '200 slept 400 ms\n');
    t.diagnostic(`slow requests finished by the stopping node: ${nodes[1]!.requests().filter((l) => l['route'] === '/sleep').length}`);
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await fetchRaw(`${url}/env`);
      assert.equal(r.status, 200, r.text);
      served.add(vars(r.text).get('WARDEN_NODE') ?? '?');
    }
    // A POST too: nginx passes a request on to the next node when the connection failed (nothing was sent).
    const post = await fetchRaw(`${url}/echo/after`, { body: 'still here' });
    assert.equal(post.status, 200);
    assert.match(post.text, /body:still here$/);
    assert.deepEqual([...served], ['a']);
  });
});
