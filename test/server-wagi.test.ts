// `warden serve`, the WAGI contract over real HTTP: every CGI variable, arguments, the body on stdin (binary
// too), the response parsed from stdout (headers, status, location), 404, invalid handler output 500, and
// the guest's stderr in the server log, never in the response.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer } from '../src/server/index.js';
import { EXAMPLES, fetchRaw, rawRequest, serve, wat, watResponder, type Started } from './server-helpers.js';

const TOML = `
[server]
name = "warden.test"
[[route]]
path = "/env"
module = "${EXAMPLES}env.wasm"
env = { GREETING = "hi", REQUEST_METHOD = "overridden by the request" }
[[route]]
path = "/env/..."
module = "${EXAMPLES}env.wasm"
[[route]]
path = "/..."
module = "${EXAMPLES}env.wasm"
[[route]]
path = "/echo/..."
module = "${EXAMPLES}echo.wasm"
isolation = "inline"
[[route]]
path = "/echo-worker"
module = "${EXAMPLES}echo.wasm"
isolation = "worker"
[[route]]
path = "/status"
module = "${EXAMPLES}status.wasm"
[[route]]
path = "/hello"
module = "${EXAMPLES}hello.wasm"
isolation = "inline"
[[route]]
path = "/h/..."
module = "${EXAMPLES}hello.wasm"
isolation = "inline"
[[route]]
path = "/headers"
module = "headers.wasm"
[[route]]
path = "/crlf"
module = "crlf.wasm"
[[route]]
path = "/nothing"
module = "nothing.wasm"
[[route]]
path = "/exit"
module = "exit.wasm"
`;

/** NAME=value lines of the env handler. */
const vars = (text: string): Map<string, string> => new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('warden serve: the WAGI contract', () => {
  let s: Started;
  before(async () => {
    s = await serve(TOML, {
      'headers.wasm': await wat(watResponder('Content-Type: text/html\nX-One: 1\nset-cookie: a=1\nset-cookie: b=2\ncontent-length: 999\nconnection: close\nStatus: 201 Made It\n\n<p>made</p>')),
      'crlf.wasm': await wat(watResponder('content-type: text/plain\r\nx-crlf: yes\r\n\r\nbody\r\n')),
      'nothing.wasm': await wat('(module (memory (export "memory") 1) (func (export "_start")))'),
      'exit.wasm': await wat(`(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1) (func (export "_start") (call $exit (i32.const 3))))`),
    });
  });
  after(() => s.server.close());

  it('sets every CGI/1.1 and WAGI variable for an exact route', async () => {
    const port = new URL(s.url).port;
    const r = await fetchRaw(`${s.url}/env?a=1&b=x%20y`, { headers: { 'X-Custom-Thing': 'v1', Accept: 'text/plain', Authorization: 'Bearer secret', Proxy: 'http://evil', 'X_Real_IP': '6.6.6.6' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    const v = vars(r.text);
    const expected: Record<string, string> = {
      AUTH_TYPE: '',
      CONTENT_LENGTH: '0',
      CONTENT_TYPE: '',
      GATEWAY_INTERFACE: 'CGI/1.1',
      PATH_INFO: '',
      PATH_TRANSLATED: '',
      QUERY_STRING: 'a=1&b=x%20y',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_HOST: '127.0.0.1',
      REMOTE_USER: '',
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/env',
      SERVER_NAME: '127.0.0.1',
      SERVER_PORT: port,
      SERVER_PROTOCOL: 'HTTP/1.1',
      X_FULL_URL: `http://127.0.0.1:${port}/env?a=1&b=x%20y`,
      X_MATCHED_ROUTE: '/env',
      X_RAW_PATH_INFO: '',
      HTTP_HOST: `127.0.0.1:${port}`,
      HTTP_X_CUSTOM_THING: 'v1',
      HTTP_ACCEPT: 'text/plain',
      GREETING: 'hi',
      ARG0: '/env',
      ARG1: 'a=1',
      ARG2: 'b=x y',
    };
    for (const [k, want] of Object.entries(expected)) assert.equal(v.get(k), want, k);
    assert.match(v.get('SERVER_SOFTWARE') ?? '', /^Warden\/\S+ WAGI\/1$/);
    // RFC 3875 4.1.18 (as WAGI and Spin): credentials and hop-by-hop headers are not passed on
    assert.equal(v.has('HTTP_AUTHORIZATION'), false);
    assert.equal(v.has('HTTP_CONNECTION'), false);
    assert.equal(v.has('HTTP_PROXY'), false, 'httpoxy');
    assert.equal(v.has('HTTP_X_REAL_IP'), false, 'a header name with "_" could pass for one with "-"');
  });

  it('wildcard routes: SCRIPT_NAME is the prefix, PATH_INFO the rest (decoded), X_RAW_PATH_INFO as sent', async () => {
    const v = vars((await fetchRaw(`${s.url}/env/a%2Fb/c%20d`)).text);
    assert.equal(v.get('X_MATCHED_ROUTE'), '/env/...');
    assert.equal(v.get('SCRIPT_NAME'), '/env');
    assert.equal(v.get('PATH_INFO'), '/a/b/c d');
    assert.equal(v.get('PATH_TRANSLATED'), '/a/b/c d');
    assert.equal(v.get('X_RAW_PATH_INFO'), '/a%2Fb/c%20d');
    // the exact route wins over the wildcard for its own path; "/..." takes what no other route does
    assert.equal(vars((await fetchRaw(`${s.url}/env`)).text).get('X_MATCHED_ROUTE'), '/env');
    const root = vars((await fetchRaw(`${s.url}/elsewhere/x`)).text);
    assert.equal(root.get('X_MATCHED_ROUTE'), '/...');
    assert.equal(root.get('SCRIPT_NAME'), '/');
    assert.equal(root.get('PATH_INFO'), '/elsewhere/x');
    // "/envelope" is not under "/env/..."
    assert.equal(vars((await fetchRaw(`${s.url}/envelope`)).text).get('X_MATCHED_ROUTE'), '/...');
  });

  it('SERVER_NAME and SERVER_PORT come from the Host header; X_FULL_URL too', async () => {
    const reply = await rawRequest(s.url, 'GET /env?q HTTP/1.1\r\nHost: example.org:8443\r\nConnection: close\r\n\r\n');
    const v = vars(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    assert.equal(v.get('SERVER_NAME'), 'example.org');
    assert.equal(v.get('SERVER_PORT'), '8443');
    assert.equal(v.get('X_FULL_URL'), 'http://example.org:8443/env?q');
    const noPort = await rawRequest(s.url, 'GET /env HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n');
    const vn = vars(noPort.slice(noPort.indexOf('\r\n\r\n') + 4));
    assert.equal(vn.get('SERVER_NAME'), 'example.org');
    assert.equal(vn.get('SERVER_PORT'), '80', 'a Host without a port: the default port, as the client sees it');
    assert.equal(vn.get('X_FULL_URL'), 'http://example.org/env');
    // HTTP/1.0 without a Host header: the configured server name
    const old = await rawRequest(s.url, 'GET /env HTTP/1.0\r\n\r\n');
    const v0 = vars(old.slice(old.indexOf('\r\n\r\n') + 4));
    assert.equal(v0.get('SERVER_PROTOCOL'), 'HTTP/1.0');
    assert.equal(v0.get('SERVER_NAME'), 'warden.test');
  });

  it('the body goes to stdin byte for byte, with CONTENT_LENGTH and CONTENT_TYPE (inline and worker), and comes back so', async () => {
    // every byte value in a small response (sent as a latin1 string) and a large one (sent as a Buffer)
    const small = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
    for (const [path, body] of [['/echo/x', randomBytes(200_000)], ['/echo-worker', randomBytes(200_000)], ['/echo/x', small], ['/echo-worker', small]] as const) {
      const r = await fetchRaw(`${s.url}${path}`, { method: 'PUT', body, headers: { 'content-type': 'application/x-test' } });
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['x-echo-method'], 'PUT');
      const at = r.body.indexOf('body:');
      const head = r.body.subarray(0, at).toString();
      assert.match(head, /content-type: application\/x-test\n/);
      assert.match(head, new RegExp(`content-length: ${body.length}\\n`));
      assert.ok(r.body.subarray(at + 5).equals(body), `${path}: body round trip`);
    }
  });

  it('a chunked body is counted: CONTENT_LENGTH is its decoded length', async () => {
    const body = randomBytes(5000);
    const r = await fetchRaw(`${s.url}/echo/`, { body, chunked: true });
    assert.equal(r.status, 200);
    assert.match(r.text, /content-length: 5000\n/);
    assert.ok(r.body.subarray(r.body.indexOf('body:') + 5).equals(body));
  });

  it('response headers, Status with a reason, repeated headers; framing headers stay the server\'s', async () => {
    const r = await fetchRaw(`${s.url}/headers`);
    assert.equal(r.status, 201);
    assert.equal(r.headers['content-type'], 'text/html');
    assert.equal(r.headers['x-one'], '1');
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(r.headers['content-length'], String('<p>made</p>'.length));
    assert.equal(r.text, '<p>made</p>');
    const raw = await rawRequest(s.url, 'GET /headers HTTP/1.1\r\nHost: x\r\n\r\n', 300);
    assert.match(raw, /^HTTP\/1\.1 201 Made It\r\n/);
    assert.match(raw, /\r\nConnection: keep-alive\r\n/i, 'the guest\'s "connection: close" is not the server\'s');
    const crlf = await fetchRaw(`${s.url}/crlf`);
    assert.equal(crlf.headers['x-crlf'], 'yes');
    assert.equal(crlf.text, 'body\r\n');
  });

  it('status and location: Status sets the code, location alone is a 302', async () => {
    const a = await fetchRaw(`${s.url}/status?status=418`);
    assert.equal(a.status, 418);
    assert.equal(a.text, 'status 418\n');
    const b = await fetchRaw(`${s.url}/status?location=/there`);
    assert.equal(b.status, 302);
    assert.equal(b.headers['location'], '/there');
    const c = await fetchRaw(`${s.url}/status?location=/there&status=307`);
    assert.equal(c.status, 307);
    const d = await fetchRaw(`${s.url}/status?status=99`);
    assert.equal(d.status, 500, 'an invalid status is the handler\'s fault');
  });

  it('HEAD gets the headers without a body', async () => {
    const r = await fetchRaw(`${s.url}/hello`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '13');
    assert.equal(r.body.length, 0);
  });

  it('output without a valid header block, no output, or a non-zero exit is a 500 with a short body', async () => {
    for (const path of ['/status?raw=just-text', '/nothing', '/exit']) {
      const r = await fetchRaw(`${s.url}${path}`);
      assert.equal(r.status, 500, path);
      assert.equal(r.text, '500 internal server error\n');
    }
    const lines = s.requests();
    assert.ok(lines.some((l) => l['path'] === '/nothing' && /handler wrote nothing/.test(String(l['error']))));
    assert.ok(lines.some((l) => l['path'] === '/exit' && l['exitCode'] === 3));
  });

  it('guest stderr goes to the server log, never to the client', async () => {
    const r = await fetchRaw(`${s.url}/status?stderr=TOP-SECRET-${'x'}&status=200`);
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, /TOP-SECRET/);
    assert.equal(Object.values(r.headers).some((h) => String(h).includes('TOP-SECRET')), false);
    const failing = await fetchRaw(`${s.url}/status?stderr=TOP-SECRET-2&raw=oops`);
    assert.equal(failing.status, 500);
    assert.doesNotMatch(failing.text, /TOP-SECRET|oops/);
    const logged = s.requests().filter((l) => String(l['stderr'] ?? '').includes('TOP-SECRET'));
    assert.equal(logged.length, 2);
  });

  it('unknown routes are 404; malformed paths 400', async () => {
    const s2 = await serve(`[[route]]\npath = "/only"\nmodule = "${EXAMPLES}hello.wasm"\n`);
    try {
      const r = await fetchRaw(`${s2.url}/other`);
      assert.equal(r.status, 404);
      assert.equal(r.text, '404 not found\n');
      assert.equal((await fetchRaw(`${s2.url}/only/sub`)).status, 404, 'an exact route does not take sub-paths');
      assert.equal((await fetchRaw(`${s2.url}/only`)).status, 200);
    } finally {
      await s2.server.close();
    }
    assert.equal((await fetchRaw(`${s.url}/env/%E0%A4%A`)).status, 400, 'malformed percent-encoding');
    assert.equal((await fetchRaw(`${s.url}/env/a%00b`)).status, 400, 'NUL cannot be in an environment variable');
    assert.equal((await fetchRaw(`${s.url}/env?a=%ZZ`)).status, 400, 'nor a malformed query parameter (an argument)');
    // a handler that cannot read its environment or arguments (hello imports neither) gets the same checks
    assert.equal((await fetchRaw(`${s.url}/h/ok%20path?x=%41`)).status, 200);
    assert.equal((await fetchRaw(`${s.url}/h/%E0%A4%A`)).status, 400);
    assert.equal((await fetchRaw(`${s.url}/h/x?a=%ZZ`)).status, 400);
    assert.match(await rawRequest(s.url, 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await rawRequest(s.url, 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400 /);
  });

  it('the bundled examples/serve/warden.toml (what `warden serve` serves on a fresh clone) loads and answers', async () => {
    const ex = await startServer(`${EXAMPLES}warden.toml`, { port: 0, metricsPort: 0, log: () => {}, watch: false });
    try {
      assert.equal((await fetchRaw(`${ex.url}/hello`)).text, 'hello, world\n');
      assert.match((await fetchRaw(`${ex.url}/echo/a`, { body: 'b' })).text, /^method: POST\npath: \/a\n[\s\S]*body:b$/);
      assert.match((await fetchRaw(`${ex.url}/env`)).text, /^GATEWAY_INTERFACE=CGI\/1\.1$/m);
      assert.equal((await fetchRaw(`${ex.url}/status?status=404`)).status, 404);
      assert.equal((await fetchRaw(`${ex.url}/runaway`)).status, 504);
      assert.equal((await fetchRaw(`${ex.url}/hello`)).status, 200, 'still answering after the runaway');
    } finally {
      await ex.close();
    }
  });
});
