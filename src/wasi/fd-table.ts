// The fd table of one WASI context: numbers to open fds, lowest free number first (as wasmtime).
import { Errno, WasiError } from './errno.js';
import type { Fd } from './fds.js';

const EBADF = new WasiError(Errno.BADF);
/** Most fds one guest may hold open at once (EMFILE past it). */
export const MAX_FDS = 4096;

export class FdTable {
  private readonly slots: (Fd | undefined)[] = [];
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
    let i = 0;
    while (this.slots[i] !== undefined) i++;
    this.slots[i] = f;
    this.count++;
    return i;
  }

  /** Removes and closes fd (EBADF if not open). wasmtime 49 lets a guest close its preopens. */
  close(fd: number): void {
    const f = this.get(fd);
    this.slots[fd] = undefined;
    this.count--;
    while (this.slots.length > 0 && this.slots[this.slots.length - 1] === undefined) this.slots.length--;
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
    this.count = 0;
  }
}
