// Byte writer for the WebAssembly binary format: one growing Uint8Array, canonical (shortest) LEB128,
// and size-prefixed regions written in place (the content is shifted once its size is known).

const utf8 = new TextEncoder();

export class Writer {
  buf: Uint8Array;
  pos = 0;
  private view: DataView;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private grow(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.pos + need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  u32(v: number): void {
    if (this.pos + 5 > this.buf.length) this.grow(5);
    const buf = this.buf;
    let pos = this.pos;
    v >>>= 0;
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** Signed LEB128 of a number within ±2^53 (used for s32, s33 and small s64). */
  sNum(v: number): void {
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const buf = this.buf;
    let pos = this.pos;
    if (v >= -0x80000000 && v <= 0x7fffffff) {
      v |= 0;
      for (;;) {
        const b = v & 0x7f;
        v >>= 7;
        if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
          buf[pos++] = b;
          break;
        }
        buf[pos++] = b | 0x80;
      }
    } else {
      for (;;) {
        const b = ((v % 128) + 128) % 128;
        v = Math.floor(v / 128);
        if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
          buf[pos++] = b;
          break;
        }
        buf[pos++] = b | 0x80;
      }
    }
    this.pos = pos;
  }

  s64(v: bigint): void {
    if (v >= -0x20000000000000n && v <= 0x1fffffffffffffn) {
      this.sNum(Number(v));
      return;
    }
    if (this.pos + 10 > this.buf.length) this.grow(10);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.buf[this.pos++] = b;
        break;
      }
      this.buf[this.pos++] = b | 0x80;
    }
  }

  /** Unsigned LEB128 of a non-negative number up to 2^53. */
  u64(v: number): void {
    if (v <= 0xffffffff) {
      this.u32(v);
      return;
    }
    if (this.pos + 10 > this.buf.length) this.grow(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  f32bits(bits: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.view.setUint32(this.pos, bits, true);
    this.pos += 4;
  }

  f64bits(bits: bigint): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.view.setBigUint64(this.pos, bits, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    if (this.pos + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  name(s: string): void {
    const b = utf8.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }

  /** Start a region whose u32 byte length will be written before it; returns the content start (see endSized). */
  beginSized(): number {
    this.byte(0); // one byte reserved for the size; endSized shifts the content if it needs more
    return this.pos;
  }

  /** Write the canonical LEB size of everything written since `start` (from beginSized) before it. */
  endSized(start: number): void {
    const len = this.pos - start;
    const n = len < 0x80 ? 1 : len < 0x4000 ? 2 : len < 0x200000 ? 3 : len < 0x10000000 ? 4 : 5;
    if (n > 1) {
      this.ensure(n - 1);
      this.buf.copyWithin(start + n - 1, start, this.pos);
      this.pos += n - 1;
    }
    let v = len;
    let p = start - 1;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  /** The bytes written so far (a copy of exactly the written length). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Unsigned LEB128 of a non-negative safe integer, as a byte list (for small byte-level rewrites). */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) x |= 0x80;
    out.push(x);
  } while (n > 0);
  return out;
}
