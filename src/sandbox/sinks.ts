// Where a run's guest stdout/stderr go: a growing in-memory buffer ('buffer'), a host fd with small
// writes coalesced ('inherit', { fd }), or the caller's own write() per chunk (streaming).
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { performance } from 'node:perf_hooks';
import type { OutputSink } from '../wasi/options.js';
import type { OutputOption } from './options.js';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `chunk` to a host fd synchronously (retrying a non-blocking pipe that is full). */
export function writeAllSync(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      off += writeSync(fd, chunk, off, chunk.length - off);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EAGAIN') throw e;
      Atomics.wait(sleepCell, 0, 0, 1);
    }
  }
}

/** A sink of one run; `collected()` is what 'buffer' gathered (empty for the others). */
export interface RunSink extends OutputSink {
  collected(): Buffer;
  flush(): void;
}

/** Coalescing buffer of an fd sink: flushed when full, when older than this, and at every flush point. */
export const COALESCE_BYTES = 64 * 1024;
const COALESCE_MAX_AGE_MS = 100;

const EMPTY = Buffer.alloc(0);

/**
 * 'buffer': chunks appended into one buffer that doubles as needed (no per-write allocation). It starts
 * small, so a typical run's output comes from Node's shared buffer pool: a fresh 4 KiB ArrayBuffer per run
 * was external memory that made V8 run a full mark-compact every few thousand runs. A class (one object per
 * run, methods shared), not an object of closures.
 */
class BufferSink implements RunSink {
  private buf = EMPTY;
  private len = 0;
  write(chunk: Uint8Array): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, 256));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len = need;
  }
  flush(): void {}
  collected(): Buffer {
    return this.len === 0 ? EMPTY : this.buf.subarray(0, this.len); // the run owns buf: no copy
  }
}

/**
 * A host fd: small writes are gathered into a 64 KiB buffer, written out when it fills, when its
 * oldest byte is 100 ms old (at the next write), and whenever the WASI layer flushes (before stdin
 * reads, before the other stream is written, on poll_oneoff) and at the end of the run, whatever
 * ended it. A terminal gets every write at once (the guest's libc already line-buffers).
 */
function fdSink(fd: number): RunSink {
  const tty = isatty(fd);
  if (tty) return { isTTY: true, write: (chunk) => writeAllSync(fd, chunk), flush() {}, collected: () => EMPTY };
  const pending = Buffer.allocUnsafe(COALESCE_BYTES);
  let len = 0;
  let since = 0;
  const flush = (): void => {
    if (len === 0) return;
    const n = len;
    len = 0; // written at most once, even if the host write fails
    writeAllSync(fd, pending.subarray(0, n));
  };
  return {
    write(chunk) {
      if (len > 0 && (len + chunk.length > COALESCE_BYTES || performance.now() - since > COALESCE_MAX_AGE_MS)) flush();
      if (chunk.length >= COALESCE_BYTES) return writeAllSync(fd, chunk);
      if (len === 0) since = performance.now();
      pending.set(chunk, len);
      len += chunk.length;
    },
    flush,
    collected: () => EMPTY,
  };
}

/** The sink for one run's stream; `hostFd` is where 'inherit' writes (1 or 2). */
export function makeSink(option: OutputOption, hostFd: number): RunSink {
  if (option === 'buffer') return new BufferSink();
  if (option === 'inherit') return fdSink(hostFd);
  if ('write' in option) return { write: (chunk) => option.write(chunk.slice()), flush() {}, collected: () => EMPTY };
  return fdSink(option.fd);
}
