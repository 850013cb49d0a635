// The server's log output: JSON lines gathered and written to a file descriptor once per event-loop turn
// (one write for many requests under load), and flushed synchronously when the process exits.
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

/** A log function writing each line (plus a newline) to `fd`, batched; lines are never lost on a normal exit. */
export function lineWriter(fd: number): (line: string) => void {
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('\n') + '\n';
    pending = [];
    const buf = Buffer.from(text);
    let off = 0;
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
      setImmediate(flush);
    }
  };
}
