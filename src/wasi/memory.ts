// Bounds-checked view of a guest's linear memory: every pointer and length the guest passes is
// hostile; anything out of range becomes EFAULT (a WasiError), never a host exception.
import { Errno, WasiError } from './errno.js';

const EFAULT = new WasiError(Errno.FAULT, 'guest pointer out of bounds');
const EILSEQ = Errno.ILSEQ;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();
const EMPTY_U8 = new Uint8Array(0);
const EMPTY_DV = new DataView(new ArrayBuffer(0));

interface Views {
  u8: Uint8Array;
  dv: DataView;
  shared: boolean;
}
/**
 * Views of a buffer, made once per buffer: a pooled memory keeps its buffer from run to run, so its runs
 * share them instead of allocating two views each (a view holds no data of its own).
 */
const views = new WeakMap<ArrayBufferLike, Views>();
function viewsOf(b: ArrayBufferLike): Views {
  let v = views.get(b);
  if (v === undefined) {
    v = { u8: new Uint8Array(b), dv: new DataView(b), shared: typeof SharedArrayBuffer !== 'undefined' && b instanceof SharedArrayBuffer };
    views.set(b, v);
  }
  return v;
}

export class GuestMemory {
  private memory: WebAssembly.Memory | undefined;
  private buffer: ArrayBufferLike | undefined;
  /** Byte view of the current buffer (valid after `refresh()`). */
  u8: Uint8Array = EMPTY_U8;
  /** DataView of the current buffer (valid after `refresh()`). */
  dv: DataView = EMPTY_DV;
  private shared = false;

  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.buffer = undefined;
    this.refresh();
  }

  get bound(): boolean {
    return this.memory !== undefined;
  }

  /** Re-fetches the views if memory.grow replaced the buffer. Call at the start of every WASI call. */
  refresh(): void {
    const m = this.memory;
    if (m === undefined) return; // not bound yet: the empty views make every access EFAULT
    const b = m.buffer;
    if (b !== this.buffer) {
      this.buffer = b;
      const v = viewsOf(b);
      this.u8 = v.u8;
      this.dv = v.dv;
      this.shared = v.shared;
    }
  }

  /** Throws EFAULT unless [ptr, ptr+len) lies inside memory. ptr and len are u32 from the guest. */
  check(ptr: number, len: number): void {
    // The import glue gives i32 as signed: normalise. A computed len (count * size) may exceed
    // 2^32 and is kept as is; the sum cannot lose precision in a double.
    // A zero-length region is never touched, so any pointer is accepted (as wasmtime).
    if (len !== 0 && (ptr >>> 0) + (len < 0 ? len >>> 0 : len) > this.u8.length) throw EFAULT;
  }

  /** A view (no copy) of guest bytes [ptr, ptr+len), bounds-checked. */
  bytes(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    if (len < 0) len >>>= 0;
    if (len === 0) return this.u8.subarray(0, 0);
    if (ptr + len > this.u8.length) throw EFAULT;
    return this.u8.subarray(ptr, ptr + len);
  }

  u8At(ptr: number): number {
    ptr >>>= 0;
    if (ptr + 1 > this.u8.length) throw EFAULT;
    return this.u8[ptr]!;
  }
  u16(ptr: number): number {
    ptr >>>= 0;
    if (ptr + 2 > this.u8.length) throw EFAULT;
    return this.dv.getUint16(ptr, true);
  }
  u32(ptr: number): number {
    ptr >>>= 0;
    if (ptr + 4 > this.u8.length) throw EFAULT;
    return this.dv.getUint32(ptr, true);
  }
  u64(ptr: number): bigint {
    ptr >>>= 0;
    if (ptr + 8 > this.u8.length) throw EFAULT;
    return this.dv.getBigUint64(ptr, true);
  }
  setU8(ptr: number, v: number): void {
    ptr >>>= 0;
    if (ptr + 1 > this.u8.length) throw EFAULT;
    this.u8[ptr] = v;
  }
  setU16(ptr: number, v: number): void {
    ptr >>>= 0;
    if (ptr + 2 > this.u8.length) throw EFAULT;
    this.dv.setUint16(ptr, v, true);
  }
  setU32(ptr: number, v: number): void {
    ptr >>>= 0;
    if (ptr + 4 > this.u8.length) throw EFAULT;
    this.dv.setUint32(ptr, v, true);
  }
  setU64(ptr: number, v: bigint): void {
    ptr >>>= 0;
    if (ptr + 8 > this.u8.length) throw EFAULT;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }

  /** Decodes a UTF-8 string from guest memory; EFAULT if out of bounds, EILSEQ if not UTF-8. */
  string(ptr: number, len: number): string {
    let b = this.bytes(ptr, len);
    if (this.shared) b = b.slice();
    try {
      return utf8.decode(b);
    } catch {
      throw new WasiError(EILSEQ, 'path is not valid UTF-8');
    }
  }

  /** Copies `src` into guest memory at ptr (bounds-checked). */
  write(ptr: number, src: Uint8Array): void {
    this.bytes(ptr, src.length).set(src);
  }

  /**
   * Checks an iovec array of `count` entries at `ptr` (8 bytes each: buf u32, len u32) and every
   * buffer it points to. Returns the total length. Nothing is read or written before all pass.
   */
  checkIovecs(ptr: number, count: number): number {
    ptr >>>= 0;
    count >>>= 0;
    if (ptr + count * 8 > this.u8.length) throw EFAULT;
    const dv = this.dv;
    const size = this.u8.length;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const p = ptr + i * 8;
      const buf = dv.getUint32(p, true);
      const len = dv.getUint32(p + 4, true);
      if (len !== 0 && buf + len > size) throw EFAULT;
      total += len;
    }
    return total;
  }
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}
