// Helpers of the `warden serve` tests: a server on ephemeral ports with its log lines captured, a plain
// HTTP client (status, headers, body bytes), raw socket requests, a raw connection that parses a sequence of
// responses while it stays open, and small WAT handlers.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { startServer, type WardenServer } from '../src/server/index.js';

/** examples/serve, where the example handlers are. */
export const EXAMPLES = fileURLToPath(new URL('../../examples/serve/', import.meta.url));

export interface Started {
  server: WardenServer;
  url: string;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** The request log lines (those with a method). */
  requests(): Record<string, unknown>[];
}

/** Starts a server for `toml` (written to a temp dir, with `files` beside it) on ephemeral ports. */
export async function serve(toml: string, files: Record<string, Uint8Array | string> = {}, watch = false): Promise<Started & { dir: string; configPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-serve-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  const configPath = join(dir, 'warden.toml');
  writeFileSync(configPath, toml);
  const logs: Record<string, unknown>[] = [];
  const server = await startServer(configPath, { port: 0, metricsPort: 0, log: (line) => logs.push(JSON.parse(line) as Record<string, unknown>), watch });
  return { server, url: server.url, logs, requests: () => logs.filter((l) => 'method' in l), dir, configPath };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One request on a fresh connection (no keep-alive); resolves with the whole response. */
export function fetchRaw(url: string, opts: { method?: string; headers?: Record<string, string | string[]>; body?: Uint8Array | string; chunked?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'), headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) {
      if (opts.chunked) {
        const b = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
        for (let i = 0; i < b.length; i += 1000) req.write(b.subarray(i, i + 1000));
      } else req.write(opts.body);
    }
    req.end();
  });
}

/** Writes `raw` bytes on a new connection and returns everything the server sends back until it closes (or `waitMs`). */
export function rawRequest(url: string, raw: string | Buffer, waitMs = 3000): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => sock.destroy(), waitMs);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    sock.write(raw);
  });
}

/** One response as it came over a raw connection. */
export interface RawResponse {
  /** "HTTP/1.1" */
  version: string;
  status: number;
  reason: string;
  /** Header fields in order, as sent. */
  fields: [string, string][];
  /** Lower-cased name -> the values joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** How the body was framed: "content-length", "chunked", "none" (HEAD, 1xx, 204, 304) or "close" (read until the server closed). */
  framing: 'content-length' | 'chunked' | 'none' | 'close';
}

/** Statuses whose responses never have a body (RFC 9112 6.3). */
const NO_BODY = (status: number): boolean => (status >= 100 && status < 200) || status === 204 || status === 304;

/** A chunked body starting at `at` in `buf`, decoded (trailers skipped); undefined while incomplete. Malformed chunks throw. */
function dechunk(buf: Buffer, at: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  for (;;) {
    const eol = buf.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return undefined;
    const size = /^([0-9a-fA-F]+)(?:;.*)?$/.exec(buf.toString('latin1', at, eol));
    if (!size) throw new Error(`response chunk size ${JSON.stringify(buf.toString('latin1', at, eol))}`);
    const n = parseInt(size[1]!, 16);
    at = eol + 2;
    if (n === 0) {
      const end = buf.indexOf('\r\n\r\n', at - 2, 'latin1');
      return end < 0 ? undefined : { body: Buffer.concat(parts), end: end + 4 };
    }
    if (at + n + 2 > buf.length) return undefined;
    parts.push(buf.subarray(at, at + n));
    at += n + 2;
  }
}

/**
 * Parses complete responses from the start of `buf`: `head(i)` says whether the i-th answers a HEAD request
 * (no body whatever its content-length). A response without content-length is framed by the connection's
 * close (complete only when `closed`); a chunked one is decoded. Bytes that are not a response throw. Returns the responses (at most `max`) and how many bytes they took.
 */
export function parseResponses(buf: Buffer, closed: boolean, head: (index: number) => boolean = () => false, max = Infinity): { responses: RawResponse[]; used: number } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (responses.length < max) {
    const end = buf.indexOf('\r\n\r\n', at, 'latin1');
    if (end < 0) {
      if (!/^(?:H(?:T(?:T(?:P(?:\/.*)?)?)?)?)?$/s.test(buf.toString('latin1', at, Math.min(buf.length, at + 6)))) {
        throw new Error(`not an HTTP response at byte ${at}: ${JSON.stringify(buf.toString('latin1', at, at + 80))}`);
      }
      break;
    }
    const lines = buf.toString('latin1', at, end).split('\r\n');
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) throw new Error(`not a status line at byte ${at}: ${JSON.stringify(lines[0])}`);
    const fields: [string, string][] = [];
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`not a header line: ${JSON.stringify(line)}`);
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      fields.push([name, value]);
      const key = name.toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    const status = Number(m[2]);
    const bodyAt = end + 4;
    let framing: RawResponse['framing'];
    let bodyEnd: number;
    if (NO_BODY(status) || head(responses.length)) {
      framing = 'none';
      bodyEnd = bodyAt;
    } else if ('transfer-encoding' in headers) {
      if (headers['transfer-encoding']!.toLowerCase() !== 'chunked') throw new Error(`response ${responses.length}: transfer-encoding ${headers['transfer-encoding']}`);
      const decoded = dechunk(buf, bodyAt);
      if (!decoded) break;
      responses.push({ version: m[1]!, status, reason: m[3] ?? '', fields, headers, body: decoded.body, framing: 'chunked' });
      at = decoded.end;
      continue;
    } else if ('content-length' in headers) {
      if (!/^\d+$/.test(headers['content-length']!)) throw new Error(`response content-length ${JSON.stringify(headers['content-length'])}`);
      framing = 'content-length';
      bodyEnd = bodyAt + Number(headers['content-length']);
      if (bodyEnd > buf.length) break;
    } else {
      if (!closed) break;
      framing = 'close';
      bodyEnd = buf.length;
    }
    responses.push({ version: m[1]!, status, reason: m[3] ?? '', fields, headers, body: buf.subarray(bodyAt, bodyEnd), framing });
    at = bodyEnd;
    if (framing === 'close') break;
  }
  return { responses, used: at };
}

/**
 * One raw TCP connection to the server: write bytes (at once or piece by piece), read back responses one at
 * a time while it stays open, and see whether the server closed it.
 */
export class RawConnection {
  /** Bytes received and not yet returned as a response. */
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  /** The server closed (or reset) the connection. */
  closed = false;
  /** It was a reset (ECONNRESET/EPIPE) rather than an orderly close. */
  reset = false;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => {
      this.buf = this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
      this.notify();
    });
    const gone = (): void => {
      this.closed = true;
      this.notify();
    };
    socket.on('end', gone);
    socket.on('close', gone);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') this.reset = true;
      gone();
    });
  }

  static open(url: string): Promise<RawConnection> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const sock = connect(Number(u.port), u.hostname);
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new RawConnection(sock));
      });
      sock.once('error', reject);
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Waits for data or a close, at most until `deadline` (Date.now() ms); false if the deadline passed. */
  private next(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /** Writes `data`; resolves once it is handed to the kernel (or at once if the connection is gone). */
  write(data: string | Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, () => resolve()));
  }

  /** Writes `data` `piece` bytes at a time with `pauseMs` between the writes (each a separate TCP segment). */
  async writeSlowly(data: string | Buffer, piece = 1, pauseMs = 1): Promise<void> {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (let i = 0; i < b.length; i += piece) {
      await this.write(b.subarray(i, i + piece));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  /**
   * The next complete response (an interim 1xx is one too). `head`: it answers a HEAD request. Rejects if
   * the connection closes first or nothing complete arrives within `timeoutMs`.
   */
  async response(opts: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    for (;;) {
      // only the first: later bytes may answer a HEAD the caller has not said yet
      const { responses, used } = parseResponses(this.buf, this.closed, () => opts.head ?? false, 1);
      if (responses.length > 0) {
        const r = responses[0]!;
        r.body = Buffer.from(r.body);
        this.buf = this.buf.subarray(used);
        return r;
      }
      if (this.closed) throw new Error(`the server closed the connection before a complete response (${this.buf.length} bytes left: ${JSON.stringify(this.buf.toString('latin1', 0, 120))})`);
      if (!(await this.next(deadline))) throw new Error(`no complete response within ${opts.timeoutMs ?? 5000} ms (${this.buf.length} bytes: ${JSON.stringify(this.buf.toString('latin1', 0, 120))})`);
    }
  }

  /** `n` responses in a row. */
  async responses(n: number, opts: { head?: (index: number) => boolean; timeoutMs?: number } = {}): Promise<RawResponse[]> {
    const out: RawResponse[] = [];
    for (let i = 0; i < n; i++) out.push(await this.response({ head: opts.head?.(i), timeoutMs: opts.timeoutMs }));
    return out;
  }

  /** True once the server has closed the connection, waiting at most `ms` for it. */
  async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed) if (!(await this.next(deadline))) break;
    return this.closed;
  }

  /** Bytes received and not returned as a response (latin1). */
  pending(): string {
    return this.buf.toString('latin1');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Writes `raw` on a new connection, reads until the server closes it (or `waitMs` passes), and parses what
 * came back as a sequence of responses (`head(i)`: the i-th answers a HEAD). `rest`: bytes after them.
 */
export async function exchange(url: string, raw: string | Buffer, opts: { waitMs?: number; head?: (index: number) => boolean } = {}): Promise<{ responses: RawResponse[]; closed: boolean; reset: boolean; rest: string }> {
  const c = await RawConnection.open(url);
  try {
    await c.write(raw);
    const closed = await c.waitClosed(opts.waitMs ?? 3000);
    const buf = Buffer.from(c.pending(), 'latin1');
    const { responses, used } = parseResponses(buf, closed, opts.head);
    return { responses, closed, reset: c.reset, rest: buf.toString('latin1', used) };
  } finally {
    c.destroy();
  }
}

/** The value of a Prometheus sample line `name{labels}` in a /metrics text (undefined if absent). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter((s) => s !== '');
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

/** Polls `check` every 10 ms until it is true (fails the test after `ms`). */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Assembles WAT into module bytes. */
export async function wat(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('guest.wat', text);
  try {
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

/** A handler writing `response` (header block + body) to stdout, in WAT. */
export function watResponder(response: string): string {
  const bytes = Buffer.from(response);
  const data = Array.from(bytes, (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  return `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 64) "${data}")
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const ${bytes.length}))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))`;
}
