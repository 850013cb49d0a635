// `warden serve`'s HTTP/1.1 layer, black box over raw sockets: message framing and smuggling (Content-Length,
// Transfer-Encoding, chunked bodies), header and request-line syntax, versions and keep-alive, pipelining,
// Expect, timeouts and slow clients, garbage and floods, and what every response carries. Each refusal checks
// the status, that the connection is closed and that the handler never ran (the request log's fuel).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EXAMPLES, RawConnection, exchange, fetchRaw, serve, until, wat, type RawResponse, type Started } from './server-helpers.js';

const TOML = `
[server]
max-headers = 20
max-header-bytes = "4KiB"
header-timeout = "3s"
body-timeout = "3s"
idle-timeout = "3s"
[limits]
body = "4KiB"
queue = 1000
[[route]]
path = "/echo"
module = "${EXAMPLES}echo.wasm"
isolation = "inline"
[[route]]
path = "/status"
module = "${EXAMPLES}status.wasm"
isolation = "inline"
[[route]]
path = "/big"
module = "big.wasm"
isolation = "inline"
[[route]]
path = "/env"
module = "${EXAMPLES}env.wasm"
isolation = "inline"
`;

/** A server whose clients have little time: timeouts are tested on it. */
const SHORT_TOML = `
[server]
header-timeout = "300ms"
body-timeout = "300ms"
idle-timeout = "300ms"
[[route]]
path = "/echo"
module = "${EXAMPLES}echo.wasm"
isolation = "inline"
`;

/** A handler answering 64 KiB of zeros (after its header block). */
const BIG = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "content-type: text/plain\\n\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const ${26 + 65536}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))`;

let seq = 0;
/** A fresh tag: requests carry it as `?t=TAG` so their log lines can be told apart. */
const tag = (): string => `c${++seq}`;
const tagged = (t: string): RegExp => new RegExp(`[?&]t=${t}(?:&|$)`);

/** How many times a handler ran for requests tagged `t` (a run uses fuel; a refusal has none). */
const ran = (srv: Started, t: string): number => srv.requests().filter((l) => tagged(t).test(String(l['path'])) && Number(l['fuel']) > 0).length;

/** The body an echo handler got (what follows its "body:" line). */
const echoed = (r: RawResponse): string => {
  const at = r.body.indexOf('body:');
  assert.ok(at >= 0, `an echo response: ${JSON.stringify(r.body.toString('latin1', 0, 200))}`);
  return r.body.toString('latin1', at + 5);
};
/** The query an echo handler got. */
const query = (r: RawResponse): string => /^query: (.*)$/m.exec(r.body.toString('latin1'))?.[1] ?? '';

const get = (t: string, path = '/echo', extra = ''): string => `GET ${path}?t=${t} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const post = (t: string, body: string, extra = ''): string => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n${extra}\r\n${body}`;
const chunked = (t: string, chunks: string, extra = ''): string => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n${extra}\r\n${chunks}`;

/**
 * What happened to a request that must be refused: "refused" when exactly one response came, with a status
 * in `ok`, the server closed the connection and the handler never ran; otherwise a description of it.
 */
async function outcome(srv: Started, raw: string | Buffer, t: string, ok: readonly number[], waitMs = 3000): Promise<string> {
  let statuses: number[];
  let closed: boolean;
  try {
    const x = await exchange(srv.url, typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw, { waitMs });
    statuses = x.responses.map((r) => r.status);
    closed = x.closed;
  } catch (e) {
    return `unparsable response: ${(e as Error).message}`;
  }
  const runs = ran(srv, t);
  if (statuses.length === 1 && ok.includes(statuses[0]!) && closed && runs === 0) return 'refused';
  return `responses [${statuses.join(', ')}], ${closed ? 'closed' : 'left open'}, handler ran ${runs}x`;
}

/** Every case (a request built from its tag) is refused with a status in `ok` (see outcome()); all cases are reported at once. */
async function allRefused(srv: Started, ok: readonly number[], cases: Record<string, (t: string) => string | Buffer>): Promise<void> {
  const got = Object.fromEntries(
    await Promise.all(
      Object.entries(cases).map(async ([name, build]) => {
        const t = tag();
        return [name, await outcome(srv, build(t), t, ok)] as const;
      }),
    ),
  );
  assert.deepEqual(got, Object.fromEntries(Object.keys(cases).map((k) => [k, 'refused'])), `every case refused with ${ok.join(' or ')}, closed, handler not run`);
}

/** Writes `raw` on one connection and expects `n` responses and the connection left open (a request after them is served too). */
async function served(srv: Started, raw: string | Buffer, n = 1, head?: (i: number) => boolean): Promise<RawResponse[]> {
  const c = await RawConnection.open(srv.url);
  try {
    await c.write(raw);
    const rs: RawResponse[] = [];
    const so = (): string => `responses [${rs.map((r) => `${r.status} ${JSON.stringify(r.body.toString('latin1', 0, 40))}`).join(', ')}]`;
    try {
      for (let i = 0; i < n; i++) rs.push(await c.response({ head: head?.(i), timeoutMs: 3000 }));
    } catch (e) {
      throw new Error(`${so()}, then: ${(e as Error).message}`);
    }
    const t = tag();
    await c.write(get(t));
    let after: RawResponse;
    try {
      after = await c.response({ timeoutMs: 3000 });
    } catch (e) {
      throw new Error(`${so()}, then a request after them on the same connection: ${(e as Error).message}`);
    }
    assert.equal(after.status, 200, `${so()}, then a request after them on the same connection`);
    assert.equal(query(after), `t=${t}`);
    return rs;
  } finally {
    c.destroy();
  }
}

describe('warden serve: HTTP/1.1 conformance and hostile clients', () => {
  let s: Started;
  let short: Started;
  before(async () => {
    s = await serve(TOML, { 'big.wasm': await wat(BIG) });
    short = await serve(SHORT_TOML);
  });
  after(async () => {
    await s.server.close();
    await short.server.close();
  });

  describe('framing and smuggling', () => {
    it('Content-Length with Transfer-Encoding: 400 and closed (either order)', async () => {
      await allRefused(s, [400], {
        'CL then TE': (t) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n` + get(`${t}&s=1`),
        'TE then CL': (t) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n` + get(`${t}&s=1`),
        'CL 0 with TE': (t) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      });
    });

    it('two Content-Length fields with different values: 400 and closed', async () => {
      await allRefused(s, [400], {
        'two fields': (t) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!` + get(`${t}&s=1`),
        'larger first': (t) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nContent-Length: 5\r\n\r\nhello!` + get(`${t}&s=1`),
      });
    });

    it('the same Content-Length twice is one body', async () => {
      const t = tag();
      const [r] = await served(s, `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello`);
      assert.equal(r!.status, 200);
      assert.equal(echoed(r!), 'hello');
      assert.equal(ran(s, t), 1);
    });

    it('a Content-Length that is not plain digits: 400 and closed', async () => {
      const withCl = (value: string) => (t: string) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: ${value}\r\n\r\nhello` + get(`${t}&s=1`);
      await allRefused(s, [400], {
        '+5': withCl('+5'),
        '-1': withCl('-1'),
        '" 0x5"': withCl(' 0x5'),
        '0x5': withCl('0x5'),
        '1,2': withCl('1,2'),
        '5 5': withCl('5 5'),
        '5\\t5': withCl('5\t5'),
        '5.0': withCl('5.0'),
        '5e0': withCl('5e0'),
        empty: withCl(''),
        '٥ (Arabic-Indic five)': (t) => Buffer.concat([Buffer.from(`POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: `), Buffer.from('٥'), Buffer.from('\r\n\r\nhello')]),
      });
    });

    it('a Content-Length too large for any integer type: 400 or 413, never run', async () => {
      await allRefused(s, [400, 413], {
        '2^64 + 5': (t) => post(t, 'hello').replace('Content-Length: 5', 'Content-Length: 18446744073709551621'),
        '100 digits': (t) => post(t, 'hello').replace('Content-Length: 5', `Content-Length: ${'9'.repeat(100)}`),
      });
    });

    it('"Content-Length: 5 " (trailing whitespace, OWS in RFC 9112 5.1): 400 and closed, or a body of exactly 5 bytes', async () => {
      const t = tag();
      const x = await exchange(s.url, `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 5 \r\n\r\nhello` + get(`${t}&s=1`, '/echo', 'Connection: close\r\n'));
      const statuses = x.responses.map((r) => r.status).join(',');
      if (statuses === '400') assert.ok(x.closed && ran(s, t) === 0, 'refused: closed, not run');
      else {
        assert.equal(statuses, '200,200', 'accepted: the body and the request after it');
        assert.equal(echoed(x.responses[0]!), 'hello');
        assert.equal(query(x.responses[1]!), `t=${t}&s=1`);
      }
    });

    it('Transfer-Encoding other than exactly "chunked": 501 or 400, closed, never run', async () => {
      const withTe = (...values: string[]) => (t: string) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\n${values.map((v) => `Transfer-Encoding: ${v}\r\n`).join('')}\r\n5\r\nhello\r\n0\r\n\r\n` + get(`${t}&s=1`);
      await allRefused(s, [400, 501], {
        'gzip, chunked': withTe('gzip, chunked'),
        'chunked, gzip': withTe('chunked, gzip'),
        'gzip then chunked (two fields)': withTe('gzip', 'chunked'),
        'chunked twice (two fields)': withTe('chunked', 'chunked'),
        'chunked, chunked': withTe('chunked, chunked'),
        xchunked: withTe('xchunked'),
        'chunked\\x0b': withTe('chunked\x0b'),
        'chunked\\x00': withTe('chunked\x00'),
        'chunk': withTe('chunk'),
        identity: withTe('identity'),
        gzip: withTe('gzip'),
        empty: withTe(''),
        '"chunked"': withTe('"chunked"'),
      });
    });

    it('"Transfer-Encoding: Chunked" in any case is chunked', async () => {
      for (const value of ['Chunked', 'CHUNKED', 'cHuNkEd']) {
        const t = tag();
        const [r] = await served(s, `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${value}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
        assert.equal(r!.status, 200, value);
        assert.equal(echoed(r!), 'hello', value);
        assert.equal(ran(s, t), 1, value);
      }
    });
  });

  describe('chunked bodies', () => {
    const BODY = '5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n';

    it('decoded whatever the byte boundary between two writes', async () => {
      const t = tag();
      const message = Buffer.from(chunked(t, BODY), 'latin1');
      const c = await RawConnection.open(s.url);
      try {
        for (let cut = 1; cut < message.length; cut++) {
          await c.write(message.subarray(0, cut));
          await new Promise((r) => setTimeout(r, 1));
          await c.write(message.subarray(cut));
          const r = await c.response({ timeoutMs: 3000 });
          assert.equal(r.status, 200, `cut at ${cut}`);
          assert.equal(echoed(r), 'hello, world', `cut at ${cut}`);
          assert.match(r.body.toString('latin1'), /^content-length: 12$/m, `cut at ${cut}: CONTENT_LENGTH is the decoded length`);
        }
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), message.length - 1);
    });

    it('decoded when sent one byte per write', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      try {
        await c.writeSlowly(chunked(t, BODY), 1, 1);
        const r = await c.response({ timeoutMs: 5000 });
        assert.equal(r.status, 200);
        assert.equal(echoed(r), 'hello, world');
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), 1);
    });

    it('chunk extensions (token and quoted values) and trailer fields are accepted and ignored', async () => {
      const t = tag();
      const body = '5;a=b;c\r\nhello\r\n1;q="x;y\\"z"\r\n,\r\n6;e=f\r\n world\r\n0;last=1\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n';
      const [r] = await served(s, chunked(t, body));
      assert.equal(r!.status, 200);
      assert.equal(echoed(r!), 'hello, world');
      assert.equal(ran(s, t), 1);
    });

    it('trailer fields do not become request headers (no HTTP_* variable, Host and Content-Length unchanged)', async () => {
      const t = tag();
      const [r] = await served(s, `POST /env?t=${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: yes\r\nHost: evil\r\n\r\n`);
      assert.equal(r!.status, 200);
      const env = r!.body.toString('latin1');
      assert.match(env, /^HTTP_HOST=x$/m);
      assert.match(env, /^CONTENT_LENGTH=5$/m);
      assert.doesNotMatch(env, /HTTP_X_TRAILER|evil/);
      // a framing field in the trailers: ignored, or the request refused (400) without running
      const t2 = tag();
      const x = await exchange(s.url, `POST /env?t=${t2} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 99\r\n\r\n`);
      const got = x.responses.map((y) => y.status).join(',');
      if (got === '400') assert.equal(ran(s, t2), 0);
      else {
        assert.equal(got, '200');
        assert.match(x.responses[0]!.body.toString('latin1'), /^CONTENT_LENGTH=5$/m);
      }
    });

    it('whitespace before a chunk extension\'s ";" (BWS, RFC 9112 7.1.1) is accepted', async () => {
      const t = tag();
      const [r] = await served(s, chunked(t, '5 ;e=f\r\nhello\r\n7\t;g\r\n, world\r\n0\r\n\r\n'));
      assert.equal(r!.status, 200);
      assert.equal(echoed(r!), 'hello, world');
      assert.equal(ran(s, t), 1);
    });

    it('an invalid chunk size or missing CRLF: 400 and closed, never run', async () => {
      const body = (chunks: string) => (t: string) => chunked(t, chunks) + get(`${t}&s=1`);
      await allRefused(s, [400], {
        'non-hex size': body('zz\r\nhello\r\n0\r\n\r\n'),
        'size followed by junk': body('5x\r\nhello\r\n0\r\n\r\n'),
        'negative size': body('-5\r\nhello\r\n0\r\n\r\n'),
        'empty size': body('\r\nhello\r\n0\r\n\r\n'),
        'space before the size': body(' 5\r\nhello\r\n0\r\n\r\n'),
        '0x prefix': body('0x5\r\nhello\r\n0\r\n\r\n'),
        '17 hex digits (value 5)': body('00000000000000005\r\nhello\r\n0\r\n\r\n'),
        '17 hex digits (over 2^64)': body('1ffffffffffffffff\r\nhello\r\n0\r\n\r\n'),
        'no CRLF after the data': body('5\r\nhelloXX0\r\n\r\n'),
        'data longer than its size': body('3\r\nhello\r\n0\r\n\r\n'),
        'bare LF after the size': body('5\nhello\r\n0\r\n\r\n'),
        'bare LF after the data': body('5\r\nhello\n0\r\n\r\n'),
        'no final CRLF (a request line where the trailer section ends)': body('5\r\nhello\r\n0\r\n'),
        'bare LF as the final line': body('5\r\nhello\r\n0\r\n\n'),
        'a trailer line without a colon': (t) => chunked(t, '5\r\nhello\r\n0\r\nnot a field\r\n\r\n'),
      });
    });

    it('a chunked body over the route\'s body limit: 413, never run', async () => {
      const t = tag();
      const chunk = `3e8\r\n${'a'.repeat(1000)}\r\n`;
      const c = await RawConnection.open(s.url);
      try {
        await c.write(chunked(t, chunk.repeat(5) + '0\r\n\r\n'));
        assert.equal((await c.response()).status, 413);
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), 0);
    });
  });

  describe('header syntax', () => {
    const withLines = (...lines: string[]) => (t: string) => `GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\n${lines.map((l) => l + '\r\n').join('')}\r\n`;

    it('obs-fold (a line starting with space or tab): 400', async () => {
      await allRefused(s, [400], {
        space: withLines('X-A: 1', ' folded'),
        tab: withLines('X-A: 1', '\tfolded'),
        'fold of Host': (t) => `GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\n y\r\n\r\n`,
        'first field folded': (t) => `GET /echo?t=${t} HTTP/1.1\r\n Host: x\r\n\r\n`,
      });
    });

    it('whitespace between a field name and its colon: 400', async () => {
      await allRefused(s, [400], {
        space: withLines('X-A : 1'),
        tab: withLines('X-A\t: 1'),
        'Content-Length with a space': (t) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello`,
        'Transfer-Encoding with a space': (t) => `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      });
    });

    it('a field name with a character outside token: 400', async () => {
      await allRefused(s, [400], {
        '@': withLines('X@A: 1'),
        '(': withLines('X(A): 1'),
        '"': withLines('X"A: 1'),
        '/': withLines('X/A: 1'),
        '[': withLines('X[A]: 1'),
        'space inside': withLines('X A: 1'),
        'empty name': withLines(': 1'),
        'no colon': withLines('X-A 1'),
        'non-ASCII': (t) => Buffer.concat([Buffer.from(`GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\nX`), Buffer.from([0xe9]), Buffer.from(': 1\r\n\r\n')]),
        DEL: withLines('X\x7fA: 1'),
      });
    });

    it('NUL, bare CR or bare LF inside a field value: 400', async () => {
      await allRefused(s, [400], {
        NUL: withLines('X-A: a\x00b'),
        'bare CR': withLines('X-A: a\rb'),
        'bare LF': withLines('X-A: a\nb'),
        'bare CR ending a field': (t) => `GET /echo?t=${t} HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n`,
        'other control (\\x01)': withLines('X-A: a\x01b'),
        'NUL in Host': (t) => `GET /echo?t=${t} HTTP/1.1\r\nHost: x\x00y\r\n\r\n`,
      });
    });

    it('lines ended by a bare LF instead of CRLF: 400', async () => {
      await allRefused(s, [400], {
        'every line': (t) => `GET /echo?t=${t} HTTP/1.1\nHost: x\n\n`,
        'the request line': (t) => `GET /echo?t=${t} HTTP/1.1\nHost: x\r\n\r\n`,
        'one field': (t) => `GET /echo?t=${t} HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n`,
        'the blank line': (t) => `GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\n\n`,
      });
    });

    it('a request line with extra spaces or missing parts: 400', async () => {
      const line = (l: string) => (t: string) => `${l.replace('TAG', t)}\r\nHost: x\r\n\r\n`;
      await allRefused(s, [400], {
        'two spaces after the method': line('GET  /echo?t=TAG HTTP/1.1'),
        'two spaces before the version': line('GET /echo?t=TAG  HTTP/1.1'),
        'trailing space': line('GET /echo?t=TAG HTTP/1.1 '),
        'leading space': line(' GET /echo?t=TAG HTTP/1.1'),
        'tab as separator': line('GET\t/echo?t=TAG HTTP/1.1'),
        'no version (HTTP/0.9 style)': line('GET /echo?t=TAG'),
        'no target': line('GET HTTP/1.1'),
        'no method': line('/echo?t=TAG HTTP/1.1'),
        'a fourth part': line('GET /echo?t=TAG HTTP/1.1 extra'),
        'a space in the target': line('GET /echo?t=TAG x HTTP/1.1'),
      });
    });

    it('a header block over server.max-header-bytes: 431 and closed', async () => {
      await allRefused(s, [431], {
        'one long field': withLines(`X-Big: ${'a'.repeat(5000)}`),
        'many short fields': withLines(...Array.from({ length: 15 }, (_, i) => `X-F${i}: ${'b'.repeat(400)}`)),
        'a long request target': (t) => `GET /echo?t=${t}&p=${'p'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      });
    });

    it('more header fields than server.max-headers: 431 and closed', async () => {
      await allRefused(s, [431], {
        '25 fields': withLines(...Array.from({ length: 24 }, (_, i) => `X-H${i}: v`)),
        '21 fields': withLines(...Array.from({ length: 20 }, (_, i) => `X-H${i}: v`)),
      });
      // exactly max-headers is served
      const t = tag();
      const [r] = await served(s, withLines(...Array.from({ length: 19 }, (_, i) => `X-H${i}: v`))(t));
      assert.equal(r!.status, 200);
      assert.equal(ran(s, t), 1);
    });

    it('HTTP/1.1 without a Host header: 400', async () => {
      await allRefused(s, [400], {
        'no Host': (t) => `GET /echo?t=${t} HTTP/1.1\r\nX-A: 1\r\n\r\n`,
        'no fields at all': (t) => `GET /echo?t=${t} HTTP/1.1\r\n\r\n`,
      });
    });

    it('two Host headers: 400', async () => {
      await allRefused(s, [400], {
        'same value': (t) => `GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n`,
        'different values': (t) => `GET /echo?t=${t} HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`,
        'a list': (t) => `GET /echo?t=${t} HTTP/1.1\r\nHost: a, b\r\n\r\n`,
      });
    });

    it('an empty line (CRLF) before the request line is ignored (RFC 9112 2.2)', async () => {
      const t = tag();
      const [r] = await served(s, '\r\n' + get(t));
      assert.equal(r!.status, 200);
      assert.equal(query(r!), `t=${t}`);
      assert.equal(ran(s, t), 1);
      // and between pipelined requests (after a complete one)
      const t2 = tag();
      const rs = await served(s, get(t) + '\r\n' + get(t2), 2);
      assert.deepEqual(rs.map((x) => [x.status, query(x)]), [[200, `t=${t}`], [200, `t=${t2}`]]);
    });
  });

  describe('versions, methods and keep-alive', () => {
    it('HTTP/1.0 without keep-alive: one response, then the server closes', async () => {
      const t = tag();
      const x = await exchange(s.url, `GET /echo?t=${t} HTTP/1.0\r\n\r\n`);
      assert.deepEqual(x.responses.map((r) => r.status), [200]);
      assert.equal(query(x.responses[0]!), `t=${t}`);
      assert.notEqual(x.responses[0]!.headers['connection']?.toLowerCase(), 'keep-alive');
      assert.equal(x.closed, true);
      assert.equal(ran(s, t), 1);
    });

    it('HTTP/1.0 with "Connection: keep-alive": kept open, and the response says so', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      try {
        for (const i of [1, 2]) {
          await c.write(`GET /echo?t=${t}&i=${i} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`);
          const r = await c.response();
          assert.equal(r.status, 200);
          assert.equal(r.headers['connection']?.toLowerCase(), 'keep-alive');
          assert.equal(query(r), `t=${t}&i=${i}`);
        }
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), 2);
    });

    it('HTTP/1.1 keeps the connection alive by default', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      try {
        for (const i of [1, 2, 3]) {
          await c.write(get(`${t}&i=${i}`));
          const r = await c.response();
          assert.equal(r.status, 200);
          assert.notEqual(r.headers['connection']?.toLowerCase(), 'close');
          assert.equal(query(r), `t=${t}&i=${i}`);
        }
        assert.equal(c.closed, false);
      } finally {
        c.destroy();
      }
    });

    it('"Connection: close": the response says so and the server closes', async () => {
      const t = tag();
      const x = await exchange(s.url, get(t, '/echo', 'Connection: close\r\n'));
      assert.deepEqual(x.responses.map((r) => r.status), [200]);
      assert.equal(x.responses[0]!.headers['connection']?.toLowerCase(), 'close');
      assert.equal(x.closed, true);
      assert.equal(ran(s, t), 1);
      // a connection option list with close in it
      const t2 = tag();
      const y = await exchange(s.url, get(t2, '/echo', 'Connection: foo, Close\r\n'));
      assert.deepEqual(y.responses.map((r) => r.status), [200]);
      assert.equal(y.responses[0]!.headers['connection']?.toLowerCase(), 'close');
      assert.equal(y.closed, true);
    });

    it('a request pipelined after one that ends the connection (Connection: close, HTTP/1.0) is ignored; the first is answered', async () => {
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const [what, first] of [
        ['Connection: close', (t: string) => get(t, '/echo', 'Connection: close\r\n')],
        ['HTTP/1.0', (t: string) => `GET /echo?t=${t} HTTP/1.0\r\n\r\n`],
      ] as const) {
        const t = tag();
        const x = await exchange(s.url, first(t) + get(`${t}&s=1`));
        got[what] = `responses [${x.responses.map((r) => `${r.status} ${query(r)}`).join(', ')}], ${x.closed ? 'closed' : 'left open'}, handler ran ${ran(s, t)}x`;
        want[what] = `responses [200 t=${t}], closed, handler ran 1x`;
      }
      assert.deepEqual(got, want);
    });

    it('HTTP/2.0, HTTP/1.2, HTTP/3.0: 505', async () => {
      const version = (v: string) => (t: string) => `GET /echo?t=${t} ${v}\r\nHost: x\r\n\r\n`;
      await allRefused(s, [505], { 'HTTP/2.0': version('HTTP/2.0'), 'HTTP/1.2': version('HTTP/1.2'), 'HTTP/3.0': version('HTTP/3.0'), 'HTTP/1.9': version('HTTP/1.9') });
      // the HTTP/2 connection preface (prior knowledge): 505 or 400
      await allRefused(s, [400, 505], { 'PRI * HTTP/2.0': () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' });
    });

    it('a version that is not HTTP/<digit>.<digit>: 400', async () => {
      const version = (v: string) => (t: string) => `GET /echo?t=${t} ${v}\r\nHost: x\r\n\r\n`;
      await allRefused(s, [400], {
        'HTTP/1.x': version('HTTP/1.x'),
        'HTTX/1.1': version('HTTX/1.1'),
        'http/1.1': version('http/1.1'),
        'HTTP/11': version('HTTP/11'),
        'HTTP/1.1.1': version('HTTP/1.1.1'),
        'HTTP/1.': version('HTTP/1.'),
        'HTTP/': version('HTTP/'),
        'HTTP/01.1': version('HTTP/01.1'),
      });
    });

    it('OPTIONS * (and any other asterisk-form): 400', async () => {
      await allRefused(s, [400], {
        'OPTIONS *': () => 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET *': () => 'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
      });
    });

    it('an absolute-form target is served like its path', async () => {
      const t = tag();
      const [r] = await served(s, `GET http://example.org/echo?t=${t} HTTP/1.1\r\nHost: example.org\r\n\r\n`);
      assert.equal(r!.status, 200);
      assert.equal(query(r!), `t=${t}`);
      assert.equal(ran(s, t), 1);
    });

    it('HEAD: the GET\'s headers and content-length, no body bytes (the pipelined requests after it parse)', async () => {
      const t = tag();
      const rs = await served(s, `HEAD /status?t=${t} HTTP/1.1\r\nHost: x\r\n\r\n` + get(`${t}&g=1`, '/status') + `HEAD /status?t=${t}&h=2 HTTP/1.1\r\nHost: x\r\n\r\n` + get(`${t}&g=2`, '/status'), 4, (i) => i % 2 === 0);
      assert.deepEqual(rs.map((r) => r.status), [200, 200, 200, 200]);
      assert.equal(rs[1]!.body.toString(), 'status 200\n');
      for (const i of [0, 2]) {
        assert.equal(rs[i]!.headers['content-length'], String('status 200\n'.length), 'the GET\'s length');
        assert.equal(rs[i]!.headers['content-type'], rs[1]!.headers['content-type']);
      }
    });
  });

  describe('pipelining', () => {
    it('three requests in one write: three complete responses in order on the same connection', async () => {
      const t = tag();
      const rs = await served(s, get(`${t}&i=1`) + post(`${t}&i=2`, 'second body') + chunked(`${t}&i=3`, '5\r\nthird\r\n0\r\n\r\n'), 3);
      assert.deepEqual(rs.map((r) => [r.status, query(r), echoed(r)]), [
        [200, `t=${t}&i=1`, ''],
        [200, `t=${t}&i=2`, 'second body'],
        [200, `t=${t}&i=3`, 'third'],
      ]);
      assert.equal(ran(s, t), 3);
    });

    it('a request split into one-byte writes is served', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      try {
        await c.writeSlowly(post(t, 'slow body', 'X-Extra: some value\r\n'), 1, 1);
        const r = await c.response();
        assert.equal(r.status, 200);
        assert.equal(echoed(r), 'slow body');
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), 1);
    });
  });

  describe('Expect', () => {
    it('"Expect: 100-continue" with an acceptable body: 100 Continue first, the final response after the body', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      try {
        await c.write(`POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`);
        const interim = await c.response();
        assert.equal(interim.status, 100);
        assert.equal(interim.reason, 'Continue');
        assert.equal(ran(s, t), 0, 'nothing runs before the body');
        await c.write('hello');
        const r = await c.response();
        assert.equal(r.status, 200);
        assert.equal(echoed(r), 'hello');
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), 1);
    });

    it('"Expect: 100-continue" with a declared body over the limit: 413 without a 100', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      try {
        await c.write(`POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n`);
        const r = await c.response();
        assert.equal(r.status, 413);
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), 0);
    });

    it('an unknown expectation: 417, never run', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      try {
        await c.write(post(t, 'hello', 'Expect: foo\r\n'));
        assert.equal((await c.response()).status, 417);
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), 0);
    });
  });

  // concurrently: each waits for a timeout
  describe('timeouts and slow clients', { concurrency: true }, () => {
    it('headers not finished within header-timeout: 408 and closed', async () => {
      const t = tag();
      const x = await exchange(short.url, `GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\n`, { waitMs: 5000 });
      assert.deepEqual(x.responses.map((r) => r.status), [408]);
      assert.equal(x.closed, true);
      assert.equal(ran(short, t), 0);
    });

    it('a client trickling header bytes (one every 50 ms) still gets 408 at header-timeout', async () => {
      const t = tag();
      const c = await RawConnection.open(short.url);
      try {
        const head = Buffer.from(`GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\n${'X-Slow: 1\r\n'.repeat(20)}`);
        const end = Date.now() + 5000;
        for (let i = 0; !c.closed && Date.now() < end; i++) {
          await c.write(head.subarray(i % head.length, (i % head.length) + 1));
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(c.closed, true, 'closed within 5 s');
        assert.equal((await c.response({ timeoutMs: 100 })).status, 408);
      } finally {
        c.destroy();
      }
      assert.equal(ran(short, t), 0);
    });

    it('a body not finished within body-timeout: 408 and closed, never run', async () => {
      const t = tag();
      const x = await exchange(short.url, `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab`, { waitMs: 5000 });
      assert.deepEqual(x.responses.map((r) => r.status), [408]);
      assert.equal(x.closed, true);
      assert.equal(ran(short, t), 0);
    });

    it('a keep-alive connection idle longer than idle-timeout is closed by the server, without a response', async () => {
      const t = tag();
      const c = await RawConnection.open(short.url);
      try {
        await c.write(get(t));
        assert.equal((await c.response()).status, 200);
        assert.equal(await c.waitClosed(5000), true, 'closed within 5 s');
        assert.equal(c.pending(), '', 'nothing sent on an idle connection');
      } finally {
        c.destroy();
      }
    });

    it('a client that never reads its responses cannot make the server buffer without bound; others are still served', async (ctx) => {
      const t = tag();
      const rss0 = process.memoryUsage().rss;
      const c = await RawConnection.open(s.url);
      try {
        c.socket.pause(); // never read: 2,000 responses of 64 KiB would be 128 MiB
        const one = `GET /big?t=${t} HTTP/1.1\r\nHost: x\r\n\r\n`;
        void c.write(one.repeat(2000));
        // let the server do what it will, until its count of runs stops growing
        let last = -1;
        await until(async () => {
          await new Promise((r) => setTimeout(r, 200));
          const now = ran(s, t);
          const still = now === last;
          last = now;
          return still || now === 2000;
        }, 'the runs to stop', 20_000);
        const other = await fetchRaw(`${s.url}/echo?t=${tag()}`, { body: 'other client' });
        assert.equal(other.status, 200, 'another client is served');
        const runs = ran(s, t);
        ctx.diagnostic(`runs for the non-reading client: ${runs} of 2000; rss grew ${Math.round((process.memoryUsage().rss - rss0) / 1048576)} MiB`);
        // the kernel's socket buffers take a few MiB (~3.75 MiB on loopback here); a server that stops reading
        // a connection whose responses are not being read runs a few dozen; 256 runs are 16 MiB of responses
        assert.ok(runs <= 256, `the server stopped taking requests it could not answer (ran ${runs} of 2000: ${runs * 64} KiB of responses)`);
      } finally {
        c.destroy();
      }
      assert.equal((await fetchRaw(`${s.url}/status`)).status, 200, 'served after the client went away');
    });
  });

  describe('robustness', () => {
    /** Deterministic bytes (xorshift32). */
    const noise = (n: number, seed: number): Buffer => {
      const b = Buffer.alloc(n);
      let x = seed;
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        b[i] = x & 0xff;
      }
      return b;
    };

    it('random bytes, a TLS ClientHello, binary after a method: 400 and closed; the server keeps serving', async () => {
      await allRefused(s, [400], {
        'random 1': () => noise(2000, 1),
        'random 2': () => noise(300, 0x9e3779b9),
        'random after "GET "': () => Buffer.concat([Buffer.from('GET '), noise(500, 7)]),
        'random after a request line': (t) => Buffer.concat([Buffer.from(`GET /echo?t=${t} HTTP/1.1\r\n`), noise(500, 11)]),
        'TLS ClientHello': () => Buffer.from('16030100a5010000a10303' + '00'.repeat(32) + '000020c02bc02fc02cc030', 'hex'),
        'NULs': () => Buffer.alloc(100),
      });
      assert.equal((await fetchRaw(`${s.url}/status`)).status, 200);
    });

    it('a 1 MiB request line without CRLF: 431 (or 400/414) and closed, without reading it all', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      try {
        void c.write(Buffer.concat([Buffer.from(`GET /echo?t=${t}&x=`), Buffer.alloc(1024 * 1024, 0x61)]));
        assert.equal(await c.waitClosed(5000), true, 'closed');
        // the response can be lost to a reset when the server closes with unread bytes
        if (c.pending() !== '') {
          const r = await c.response({ timeoutMs: 100 });
          assert.ok([400, 414, 431].includes(r.status), `status ${r.status}`);
        }
      } finally {
        c.destroy();
      }
      assert.equal(ran(s, t), 0);
      assert.equal((await fetchRaw(`${s.url}/status`)).status, 200);
    });

    it('a client closing mid-headers: nothing runs, the server keeps serving', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      await c.write(`GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\nX-Half: `);
      await new Promise((r) => setTimeout(r, 20));
      c.destroy();
      const t2 = tag();
      const [r] = await served(s, get(t2));
      assert.equal(r!.status, 200);
      assert.equal(ran(s, t), 0);
    });

    it('a client closing mid-body: never run, logged as 499 or not at all; the server keeps serving', async () => {
      const t = tag();
      const c = await RawConnection.open(s.url);
      await c.write(`POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789`);
      await new Promise((r) => setTimeout(r, 20));
      c.destroy();
      const t2 = tag();
      await new Promise((r) => setTimeout(r, 50));
      const [r] = await served(s, get(t2));
      assert.equal(r!.status, 200);
      assert.equal(ran(s, t), 0);
      const lines = s.requests().filter((l) => tagged(t).test(String(l['path'])));
      assert.deepEqual(lines.map((l) => l['status']).filter((st) => st !== 499), [], 'only 499 lines');
    });

    it('200 concurrent connections, one request each: all 200 answered', async () => {
      const t = tag();
      const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => fetchRaw(`${s.url}/echo?t=${t}&i=${i}`, { body: `body ${i}` })));
      assert.deepEqual(replies.map((r) => r.status), replies.map(() => 200));
      replies.forEach((r, i) => assert.equal(r.text.slice(r.text.indexOf('body:') + 5), `body ${i}`));
      assert.equal(ran(s, t), 200);
    });
  });

  describe('responses', () => {
    /** One response of each kind the server sends, by what asked for it. */
    async function samples(): Promise<Record<string, RawResponse>> {
      const one = async (srv: Started, raw: string, head = false): Promise<RawResponse> => {
        const c = await RawConnection.open(srv.url);
        try {
          await c.write(raw);
          return await c.response({ head });
        } finally {
          c.destroy();
        }
      };
      const t = tag();
      const asked: [string, Started, string, boolean?][] = [
        ['200 echo', s, post(t, 'x')],
        ['200 big', s, get(t, '/big')],
        ['200 HEAD', s, `HEAD /status?t=${t} HTTP/1.1\r\nHost: x\r\n\r\n`, true],
        ['418 from the handler', s, get(`${t}&status=418`, '/status')],
        ['404', s, get(t, '/nowhere')],
        ['400 request line', s, 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n'],
        ['400 path', s, get(`${t}%ZZ`, '/echo')],
        ['400 no Host', s, `GET /echo?t=${t} HTTP/1.1\r\n\r\n`],
        ['413', s, `POST /echo?t=${t} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`],
        ['431', s, get(t, '/echo', `X-Big: ${'a'.repeat(5000)}\r\n`)],
        ['417', s, get(t, '/echo', 'Expect: foo\r\n')],
        ['505', s, `GET /echo?t=${t} HTTP/2.0\r\nHost: x\r\n\r\n`],
        ['408', short, `GET /echo?t=${t} HTTP/1.1\r\nHost: x\r\n`],
      ];
      return Object.fromEntries(await Promise.all(asked.map(async ([what, srv, raw, head]) => [what, await one(srv, raw, head)] as const)));
    }
    let sampled: Promise<Record<string, RawResponse>> | undefined;
    const sample = (): Promise<Record<string, RawResponse>> => (sampled ??= samples());

    it('every response has content-type and a content-length matching its body, and no transfer-encoding', async () => {
      const bad: string[] = [];
      for (const [what, r] of Object.entries(await sample())) {
        if (r.headers['content-type'] === undefined) bad.push(`${what}: no content-type`);
        if (r.headers['content-length'] === undefined) bad.push(`${what}: no content-length`);
        else if (r.framing === 'content-length' && Number(r.headers['content-length']) !== r.body.length) bad.push(`${what}: content-length ${r.headers['content-length']} for ${r.body.length} bytes`);
        if (r.headers['transfer-encoding'] !== undefined) bad.push(`${what}: transfer-encoding`);
        if (r.version !== 'HTTP/1.1') bad.push(`${what}: ${r.version}`);
      }
      assert.deepEqual(bad, []);
    });

    it('204 and 304 carry no body (and 204 no content-length); the next pipelined request parses', async () => {
      const t = tag();
      const rs = await served(s, get(`${t}&status=204`, '/status') + get(`${t}&status=304`, '/status') + get(`${t}&status=200`, '/status'), 3);
      assert.deepEqual(rs.map((r) => r.status), [204, 304, 200]);
      assert.equal(rs[0]!.headers['content-length'], undefined, 'RFC 9110 8.6: no Content-Length in a 204');
      assert.equal(rs[2]!.body.toString(), 'status 200\n');
    });

    it('error responses have a short text body naming the status', async () => {
      const bad: string[] = [];
      for (const [what, r] of Object.entries(await sample())) {
        if (r.status < 400 || what.startsWith('418')) continue;
        const text = r.body.toString('latin1');
        if (!/^text\/plain/.test(r.headers['content-type'] ?? '')) bad.push(`${what}: content-type ${r.headers['content-type']}`);
        if (!new RegExp(`^${r.status} [ -~]{1,80}\\n$`).test(text)) bad.push(`${what}: body ${JSON.stringify(text)}`);
      }
      assert.deepEqual(bad, []);
    });
  });
});
