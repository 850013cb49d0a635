// The fd table of one WASI context: numbers to open fds, allocated as wasmtime 49 does.
import { Errno, WasiError } from './errno.js';
import type { Fd } from './fds.js';

const EBADF = new WasiError(Errno.BADF);
/** Most fds one guest may hold open at once (EMFILE past it). */
export const MAX_FDS = 4096;

/**
 * wasmtime 49 (checked with a C guest): a new fd takes the highest number freed by fd_close or
 * fd_renumber, else one past the highest number ever handed out. (After closing 4, 5, 6 the next
 * open gets 6; after closing 0 and 5 it gets 5, then 0.)
 */
export class FdTable {
  private readonly slots: (Fd | undefined)[] = [];
  private readonly free: number[] = [];
  private next = 0;
  private count = 0;

  /** The fd numbered `fd` (a guest u32), or EBADF. */
  get(fd: number): Fd {
    const f = this.slots[fd];
    if (f === undefined) throw EBADF;
    return f;
  }

  has(fd: number): boolean {
    return this.slots[fd] !== undefined;
  }

  /** Inserts at the lowest free number. */
  add(f: Fd): number {
    if (this.count >= MAX_FDS) {
      f.close();
      throw new WasiError(Errno.MFILE, 'too many open files');
    }
    let i: number;
    if (this.free.length > 0) {
      let k = 0;
      for (let j = 1; j < this.free.length; j++) if (this.free[j]! > this.free[k]!) k = j;
      i = this.free[k]!;
      this.free[k] = this.free[this.free.length - 1]!;
      this.free.pop();
    } else {
      i = this.next++;
    }
    this.slots[i] = f;
    this.count++;
    return i;
  }

  /** Removes and closes fd (EBADF if not open). wasmtime 49 lets a guest close its preopens. */
  close(fd: number): void {
    const f = this.get(fd);
    this.slots[fd] = undefined;
    this.count--;
    this.free.push(fd);
    f.close();
  }

  /** fd_renumber: both must be open (EBADF); `to` is closed and replaced by `from`. */
  renumber(from: number, to: number): void {
    const f = this.get(from);
    const g = this.get(to);
    if (from === to) return;
    this.slots[to] = f;
    this.slots[from] = undefined;
    this.count--;
    this.free.push(from);
    g.close();
  }

  /** Closes every fd (preopen fds leave their caller-owned DirNode open). Never throws. */
  closeAll(): void {
    for (const f of this.slots) {
      try {
        f?.close();
      } catch {
        // a backend failing to close must not stop the others
      }
    }
    this.slots.length = 0;
    this.free.length = 0;
    this.count = 0;
  }
}
