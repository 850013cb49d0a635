// The CLI's own output (help, results, error lines): written synchronously, one `error: ...`
// line per failure with module-controlled text escaped; a closed pipe (EPIPE) is not an error.
import { writeAllSync } from '../sandbox/run.js';
import { printable } from '../sandbox/text.js';

function write(fd: number, text: string): void {
  try {
    writeAllSync(fd, Buffer.from(text));
  } catch (e) {
    if ((e as { code?: string }).code !== 'EPIPE') throw e;
  }
}

export const out = (text: string): void => write(1, text);
export const err = (text: string): void => write(2, text);
/** One `error: ...` line on stderr, whatever the message holds. */
export const errorLine = (message: string): void => err(`error: ${printable(message)}\n`);
