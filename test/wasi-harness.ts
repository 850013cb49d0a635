// Test harness for the WASI layer: a WasiContext over a plain WebAssembly.Memory, driven by
// calling the import functions directly with pointers laid out by the test (no guest module).
import { WasiContext } from '../src/wasi/context.js';
import type { Preopen, WasiOptions } from '../src/wasi/options.js';

export const BAD = 0xfffffff0; // a pointer past the end of any test memory
export const HEAP = 0x1000; // where the bump allocator starts

export class Guest {
  readonly memory: WebAssembly.Memory;
  readonly ctx: WasiContext;
  readonly stdout: Buffer[] = [];
  readonly stderr: Buffer[] = [];
  readonly trace: string[] = [];
  private top = HEAP;
  readonly fns: Record<string, (...args: unknown[]) => number>;

  constructor(opts: Partial<WasiOptions> & { traceOn?: boolean; pages?: number } = {}) {
    this.memory = new WebAssembly.Memory({ initial: opts.pages ?? 1, maximum: 100 });
    this.ctx = new WasiContext({
      args: opts.args ?? [],
      env: opts.env ?? [],
      preopens: opts.preopens ?? [],
      stdin: opts.stdin ?? { kind: 'none' },
      stdout: opts.stdout ?? { write: (c) => this.stdout.push(Buffer.from(c)) },
      stderr: opts.stderr ?? { write: (c) => this.stderr.push(Buffer.from(c)) },
      stdoutCap: opts.stdoutCap ?? 1 << 20,
      stderrCap: opts.stderrCap ?? 1 << 20,
      clocks: opts.clocks,
      randomFill: opts.randomFill,
      trace: opts.traceOn ? (l) => this.trace.push(l) : opts.trace,
      deadline: opts.deadline,
    });
    this.ctx.bindMemory(this.memory);
    this.fns = this.ctx.imports.wasi_snapshot_preview1 as Record<string, (...args: unknown[]) => number>;
  }

  get dv(): DataView {
    return new DataView(this.memory.buffer);
  }
  get u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  /** Guest memory as it was just before the latest call (when `snapshots` is on). */
  before: Buffer | undefined;
  snapshots = false;

  call(name: string, ...args: unknown[]): number {
    const f = this.fns[name];
    if (!f) throw new Error(`no import ${name}`);
    if (this.snapshots) this.before = Buffer.from(this.u8);
    return f(...args);
  }

  /** Reserves n bytes (8-aligned), zeroed. */
  alloc(n: number): number {
    const p = this.top;
    this.top += (n + 7) & ~7;
    this.u8.fill(0, p, p + n);
    return p;
  }
  /** Copies bytes or a string into guest memory: [ptr, len]. */
  put(data: string | Uint8Array): [number, number] {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    const p = this.alloc(b.length);
    this.u8.set(b, p);
    return [p, b.length];
  }
  /** An iovec array over fresh buffers of the given sizes (or contents): [iovsPtr, count, bufPtrs]. */
  iovecs(parts: (number | string)[]): [number, number, number[]] {
    const iovs = this.alloc(parts.length * 8);
    const bufs: number[] = [];
    parts.forEach((part, i) => {
      const [p, len] = typeof part === 'number' ? [this.alloc(part), part] : this.put(part);
      bufs.push(p);
      this.dv.setUint32(iovs + i * 8, p, true);
      this.dv.setUint32(iovs + i * 8 + 4, len, true);
    });
    return [iovs, parts.length, bufs];
  }
  u32(p: number): number {
    return this.dv.getUint32(p, true);
  }
  u64(p: number): bigint {
    return this.dv.getBigUint64(p, true);
  }
  bytes(p: number, n: number): Buffer {
    return Buffer.from(this.u8.slice(p, p + n));
  }
  text(p: number, n: number): string {
    return this.bytes(p, n).toString();
  }
  out(): string {
    return Buffer.concat(this.stdout).toString();
  }

  /** path_open from `dirFd`; returns [errno, fd]. */
  open(dirFd: number, path: string, o: { oflags?: number; rights?: bigint; fdflags?: number; follow?: boolean } = {}): [number, number] {
    const [p, l] = this.put(path);
    const out = this.alloc(4);
    this.dv.setUint32(out, 0xdead, true);
    const e = this.call('path_open', dirFd, o.follow ? 1 : 0, p, l, o.oflags ?? 0, o.rights ?? RW, o.rights ?? RW, o.fdflags ?? 0, out);
    return [e, this.u32(out)];
  }
  /** fd_write of one string: [errno, nwritten]. */
  write(fd: number, data: string): [number, number] {
    const [iovs, n] = this.iovecs([data]);
    const out = this.alloc(4);
    const e = this.call('fd_write', fd, iovs, n, out);
    return [e, this.u32(out)];
  }
  /** fd_read of up to n bytes: [errno, text]. */
  read(fd: number, n = 256): [number, string] {
    const [iovs, cnt, [buf]] = this.iovecs([n]);
    const out = this.alloc(4);
    const e = this.call('fd_read', fd, iovs, cnt, out);
    return [e, e === 0 ? this.text(buf!, this.u32(out)) : ''];
  }
  /** A path-only call (fd, path): errno. */
  pathCall(name: string, fd: number, path: string): number {
    const [p, l] = this.put(path);
    return this.call(name, fd, p, l);
  }
  /** path_filestat_get → [errno, filetype, size]. */
  stat(fd: number, path: string, follow = false): [number, number, bigint] {
    const [p, l] = this.put(path);
    const out = this.alloc(64);
    const e = this.call('path_filestat_get', fd, follow ? 1 : 0, p, l, out);
    return [e, this.u8[out + 16]!, this.u64(out + 32)];
  }
}

export const FD_READ = 1n << 1n;
export const FD_WRITE = 1n << 6n;
export const RW = FD_READ | FD_WRITE;
export const RO = FD_READ | (1n << 14n) | (1n << 13n); // FD_READ | FD_READDIR | PATH_OPEN

export function preopen(dir: Preopen['dir'], guestPath = '/sandbox'): Preopen {
  return { dir, guestPath };
}
