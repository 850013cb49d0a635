// Byte-level helpers of the rewriter: a growable output buffer with LEB128 writers (including fixed-width
// LEBs that are patched later) and a cursor that reads LEB128s and skips instruction immediates without allocating.

import { BinaryError } from '../binary/module.js';

// (one each, not one per name: making a TextDecoder costs more than decoding a short name)
const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder();

/**
 * Copies of fewer bytes are written by a loop, longer ones by set(): the loop costs ~35 machine instructions a
 * byte where V8 inlines it into a large function (typed array checks redone every iteration), set() a view ~100.
 */
const BYTE_LOOP = 16;

/** A growable byte buffer. */
export class Out {
  buf: Uint8Array;
  pos = 0;

  /** A buffer of `size` bytes, or `reuse` (written over from the start) when it is at least that big. */
  constructor(size = 1 << 16, reuse?: Uint8Array) {
    this.buf = reuse && reuse.length >= size ? reuse : new Uint8Array(Math.max(64, size));
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    this.ensure(n);
    if (n < BYTE_LOOP) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) buf[p++] = src[i]!;
    } else {
      // (a view made with the constructor costs less than subarray())
      this.buf.set(new Uint8Array(src.buffer, src.byteOffset + start, n), this.pos);
    }
    this.pos += n;
  }

  /** Writes all of `v` (a view of a few bytes, made once: see BYTE_LOOP). */
  put(v: Uint8Array): void {
    const n = v.length;
    this.ensure(n);
    this.buf.set(v, this.pos);
    this.pos += n;
  }

  u32(v: number): void {
    this.ensure(5);
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.buf[this.pos++] = b;
    } while (v !== 0);
  }

  /** Signed LEB128 of a safe integer. */
  s64(v: number): void {
    this.ensure(10);
    for (;;) {
      const b = v & 0x7f;
      v = Math.floor(v / 128);
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.buf[this.pos++] = b;
        return;
      }
      this.buf[this.pos++] = b | 0x80;
    }
  }

  /** Reserves a 5-byte LEB128 (unsigned or non-negative signed below 2^34) to be filled by patch5(). */
  reserve5(): number {
    this.ensure(5);
    const at = this.pos;
    this.pos += 5;
    return at;
  }

  /** Writes `v` (0 <= v < 2^34 for signed use, < 2^35 unsigned) as a 5-byte LEB128 at `at`. */
  patch5(at: number, v: number): void {
    const buf = this.buf;
    for (let i = 0; i < 4; i++) {
      buf[at + i] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[at + 4] = v & 0x7f;
  }

  name(s: string): void {
    const b = UTF8_ENCODER.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }

  /** The bytes written (a view: the buffer is not written again after this). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** A read cursor over module bytes; every malformed read throws BinaryError with the offset. */
export class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
    public end = buf.length,
  ) {}

  fail(message: string, at = this.pos): never {
    throw new BinaryError(message, at);
  }

  unsupported(what: string, at: number): never {
    throw new BinaryError(what, at, true);
  }

  byte(): number {
    if (this.pos >= this.end) this.fail('unexpected end of input');
    return this.buf[this.pos++]!;
  }

  u32(): number {
    // one-byte LEBs (most indices) without the general loop
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.u32Long();
  }

  // (in integer arithmetic: optimised code computing it in doubles stored them boxed in pos and end, which
  // made V8 change those fields to doubles and deoptimise every function using a cursor)
  private u32Long(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) this.fail('unexpected end of input', pos);
      const b = buf[pos++]!;
      if (shift === 28) {
        // the fifth byte: 4 bits left of 32
        if (b >= 0x80) break;
        if (b > 0x0f) this.fail('integer too large', this.pos);
        this.pos = pos;
        return (result | (b << 28)) >>> 0;
      }
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
    }
    return this.fail('LEB128 too long', this.pos);
  }

  /** An unsigned LEB128 of up to 64 bits (memory64/table64 limits), exact below 2^53 (larger values are rounded). */
  u64(): number {
    const pos = this.pos;
    if (pos < this.end && this.buf[pos]! < 0x80) {
      this.pos = pos + 1;
      return this.buf[pos]!;
    }
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      if (i === 9 && b > 1) this.fail('integer too large', this.pos - 1);
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    return this.fail('LEB128 too long', this.pos);
  }

  /** Skips a LEB128 of at most `max` bytes. */
  skipLeb(max = 10): void {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < this.end && buf[pos]! < 0x80) {
      this.pos = pos + 1;
      return;
    }
    for (let i = 0; i < max; i++) {
      if (pos >= this.end) this.fail('unexpected end of input', pos);
      if (buf[pos++]! < 0x80) {
        this.pos = pos;
        return;
      }
    }
    this.fail('LEB128 too long', this.pos);
  }

  /** Signed LEB128 as a number (exact up to 2^53; used for i32/i64 constant offsets). */
  sleb(): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('unexpected end of input');
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        if (b & 0x40) result -= mul;
        return result;
      }
    }
    return this.fail('LEB128 too long');
  }

  skip(n: number): void {
    if (n > this.end - this.pos) this.fail('unexpected end of input');
    this.pos += n;
  }

  name(): string {
    const n = this.u32();
    const at = this.pos;
    this.skip(n);
    return UTF8_DECODER.decode(this.buf.subarray(at, at + n));
  }

  /** Skips a value type (single byte, or 0x63/0x64 followed by a heap type); type indices must be below `types`. */
  skipValType(types = Infinity): void {
    const b = this.byte();
    if (b === 0x63 || b === 0x64) this.skipHeapType(types);
  }

  /** Skips a heap type: an abstract one (one byte 0x40..0x7f, a negative s33) or a type index below `types`. */
  skipHeapType(types = Infinity): void {
    const at = this.pos;
    const b = this.buf[at]!;
    if (b >= 0x40 && b < 0x80) this.pos++;
    else if (this.u32() >= types) this.fail('unknown type', at);
  }

  /** Skips a block type: 0x40, a value type, or an s33 type index (below `types`). */
  skipBlockType(types = Infinity): void {
    const b = this.buf[this.pos];
    if (b === 0x63 || b === 0x64) {
      this.pos++;
      this.skipHeapType(types);
    } else this.skipHeapType(types);
  }
}
