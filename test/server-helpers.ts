// Helpers of the `warden serve` tests: a server on ephemeral ports with its log lines captured, a plain
// HTTP client (status, headers, body bytes), raw socket requests, and small WAT handlers.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
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
