// The server's log output: JSON lines gathered and written to a file descriptor at most every 10 ms (one write
// for many requests under load), and flushed synchronously when the process exits.
import { writeSync } from 'node:fs';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

let isoAt = -1;
let isoText = '';
/** new Date().toISOString(), formatted at most once per millisecond (a request log line needs one each). */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoAt) {
    isoAt = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

/** A JSON string literal: plain printable ASCII as is (the common case: no escaping to look for), anything else through JSON.stringify. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** A JSON number (as JSON.stringify writes it: null when not finite). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/**
 * A duration in ms with at most 3 decimals, as JSON.stringify writes it, built from integers: a double's
 * shortest decimal form is slow to find. Below 1e9 ms doubles are far denser than 0.001, so the 3-decimal
 * text is that shortest form; anything else goes through num().
 */
export function msText(ms: number): string {
  const us = Math.round(ms * 1000);
  if (!(us >= 0 && us < 1e12) || us / 1000 !== ms) return num(ms);
  const whole = Math.floor(us / 1000);
  const frac = us - whole * 1000;
  if (frac === 0) return String(whole);
  const digits = frac < 10 ? `00${frac}` : frac < 100 ? `0${frac}` : String(frac);
  return `${whole}.${frac % 100 === 0 ? digits.slice(0, 1) : frac % 10 === 0 ? digits.slice(0, 2) : digits}`;
}

/** One request's log line. */
export interface RequestRecord {
  /** From isoNow() (written without escaping). */
  time: string;
  method: string;
  path: string;
  route: string;
  status: number;
  durationMs: number;
  fuel: number;
  limit?: string;
  bytesIn: number;
  bytesOut: number;
  remote: string;
  error?: string;
  exitCode?: number;
  stderr?: string;
}

/**
 * The record as one JSON object, written out field by field (a third of JSON.stringify's time on a request's
 * record); the same object as JSON.stringify gives, its optional fields last.
 */
export function requestLine(r: RequestRecord): string {
  let s =
    `{"time":"${r.time}","method":${jsonString(r.method)},"path":${jsonString(r.path)},"route":${jsonString(r.route)},` +
    `"status":${num(r.status)},"durationMs":${msText(r.durationMs)},"fuel":${num(r.fuel)},"bytesIn":${num(r.bytesIn)},"bytesOut":${num(r.bytesOut)},"remote":${jsonString(r.remote)}`;
  if (r.limit !== undefined) s += `,"limit":${jsonString(r.limit)}`;
  if (r.error !== undefined) s += `,"error":${jsonString(r.error)}`;
  if (r.exitCode !== undefined) s += `,"exitCode":${num(r.exitCode)}`;
  if (r.stderr !== undefined) s += `,"stderr":${jsonString(r.stderr)}`;
  return s + '}';
}

/** Lines wait at most this long (or until 256 are pending) before they are written. */
const LOG_FLUSH_MS = 10;

/** A log function writing each line (plus a newline) to `fd`, batched; lines are never lost on a normal exit. */
export function lineWriter(fd: number): (line: string) => void {
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    // The string as is (no Buffer of it) when the write takes it whole, as a file or a drained pipe does.
    let first = 0;
    try {
      first = writeSync(fd, text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return; // EPIPE and the like: nobody reads the log any more
    }
    if (first === text.length && first === Buffer.byteLength(text)) return;
    const buf = Buffer.from(text);
    let off = first;
    while (off < buf.length) {
      try {
        off += writeSync(fd, buf, off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(sleepCell, 0, 0, 1); // a full non-blocking pipe: wait for the reader
          continue;
        }
        return; // EPIPE and the like: nobody reads the log any more
      }
    }
  };
  process.on('exit', flush);
  return (line: string) => {
    pending.push(line);
    if (pending.length >= 256) flush();
    else if (!scheduled) {
      scheduled = true;
      // A short timer, not the next event-loop turn: when requests arrive spread out (one or two per turn), a
      // flush per turn would be a write() per request.
      setTimeout(flush, LOG_FLUSH_MS);
    }
  };
}
