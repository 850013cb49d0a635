// Byte reader for the WebAssembly binary format: strict LEB128 (u32, s32, s33, s64, u64), floats,
// names; every error is a BinaryError carrying the offset. No allocation on the hot paths.

import { BinaryError } from './module.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  end: number;
  private readonly view: DataView;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(message: string, offset = this.pos): never {
    throw new BinaryError(message, offset);
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  private truncated(): never {
    throw new BinaryError('unexpected end of input', this.pos);
  }

  byte(): number {
    if (this.pos >= this.end) this.truncated();
    return this.buf[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.end) this.truncated();
    return this.buf[this.pos]!;
  }

  /** Unsigned 32-bit LEB128 (at most 5 bytes, no bits beyond 32). */
  u32(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    if (pos < end) {
      const b = buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    const start = pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) {
        this.pos = pos;
        this.truncated();
      }
      const b = buf[pos++]!;
      if (shift === 28) {
        if (b & 0xf0) throw new BinaryError(b & 0x80 ? 'LEB128 too long' : 'integer too large', start);
        result += b * 0x10000000;
        break;
      }
      result |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    this.pos = pos;
    return result;
  }

  /** Signed LEB128 of `bits` (32 or 33) bits, as a number. */
  private sN(bits: 32 | 33): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    const start = pos;
    let result = 0;
    let mul = 1;
    let b = 0;
    for (let i = 0; ; i++) {
      if (pos >= end) {
        this.pos = pos;
        this.truncated();
      }
      b = buf[pos++]!;
      if (i === 4) {
        // Last byte: 4 (s32) or 5 (s33) payload bits; the rest must be the sign extension.
        const mask = bits === 32 ? 0x78 : 0x70;
        if (b & 0x80) throw new BinaryError('LEB128 too long', start);
        if ((b & mask) !== 0 && (b & mask) !== mask) throw new BinaryError('integer too large', start);
        result += (b & 0x7f) * mul;
        if (b & 0x40) result -= 128 * mul;
        break;
      }
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        if (b & 0x40) result -= mul;
        break;
      }
    }
    this.pos = pos;
    return result;
  }

  s32(): number {
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x40) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.sN(32);
  }

  s33(): number {
    return this.sN(33);
  }

  /** Signed 64-bit LEB128 as a bigint (fast path through numbers for values of up to 49 bits). */
  s64(): bigint {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    const start = pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (pos >= end) {
        this.pos = pos;
        this.truncated();
      }
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        if (b & 0x40) result -= mul;
        this.pos = pos;
        return BigInt(result);
      }
    }
    // Slow path: 8..10 bytes.
    pos = start;
    let big = 0n;
    let shift = 0n;
    for (let i = 0; ; i++) {
      if (pos >= end) {
        this.pos = pos;
        this.truncated();
      }
      const b = buf[pos++]!;
      if (i === 9) {
        if (b & 0x80) throw new BinaryError('LEB128 too long', start);
        if ((b & 0x7f) !== 0 && (b & 0x7f) !== 0x7f) throw new BinaryError('integer too large', start);
        big |= BigInt(b & 1) << shift;
        break;
      }
      big |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) {
        if (b & 0x40) big -= 1n << shift;
        break;
      }
    }
    this.pos = pos;
    return BigInt.asIntN(64, big);
  }

  /** Unsigned 64-bit LEB128 as a number; values beyond 2^53 are refused as unsupported. */
  u64(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    const start = pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (pos >= end) {
        this.pos = pos;
        this.truncated();
      }
      const b = buf[pos++]!;
      if (i === 9) {
        if (b & 0x80) throw new BinaryError('LEB128 too long', start);
        if (b > 1) throw new BinaryError('integer too large', start);
      }
      result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) break;
    }
    if (result > Number.MAX_SAFE_INTEGER) throw new BinaryError('64-bit value above 2^53', start, true);
    this.pos = pos;
    return result;
  }

  f32bits(): number {
    if (this.pos + 4 > this.end) this.truncated();
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64bits(): bigint {
    if (this.pos + 8 > this.end) this.truncated();
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` bytes as a copy (so the AST does not pin the input). */
  bytes(n: number): Uint8Array {
    if (n > this.end - this.pos) this.truncated();
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  name(): string {
    const start = this.pos;
    const n = this.u32();
    if (n > this.end - this.pos) this.truncated();
    let s: string;
    try {
      s = utf8.decode(this.buf.subarray(this.pos, this.pos + n));
    } catch {
      throw new BinaryError('malformed UTF-8 name', start);
    }
    this.pos += n;
    return s;
  }
}
