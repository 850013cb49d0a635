// A small, forgiving reader of a module's `name` custom section (function names by index),
// used to name functions in trap messages. Self-contained: malformed input gives no names, never an error.

/** A cursor over module bytes; every read throws RangeError past the end (callers catch it). */
export class ByteCursor {
  pos: number;
  constructor(readonly bytes: Uint8Array, pos = 0, readonly end = bytes.length) {
    this.pos = pos;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  byte(): number {
    if (this.pos >= this.end) throw new RangeError(`unexpected end at offset ${this.pos}`);
    return this.bytes[this.pos++]!;
  }
  /** Unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new RangeError(`u32 overflow at offset ${this.pos}`);
        return result;
      }
    }
    throw new RangeError(`LEB128 too long at offset ${this.pos}`);
  }
  /** Signed LEB128 (up to 64 bits), returned as a number; only used to skip or read small values. */
  s64(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      if (shift < 49) result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 70) throw new RangeError(`LEB128 too long at offset ${this.pos}`);
    } while (b & 0x80);
    if (shift < 49 && b & 0x40) result -= 2 ** shift;
    return result;
  }
  skip(n: number): void {
    if (n > this.end - this.pos) throw new RangeError(`unexpected end at offset ${this.pos}`);
    this.pos += n;
  }
  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(start, start + len));
  }
}

export interface SectionRef {
  id: number;
  /** Offset of the section's payload (after id and size). */
  start: number;
  end: number;
  /** For custom sections (id 0): the section name; the payload then starts after it. */
  customName?: string;
}

/** The sections of a module, in order; stops quietly at the first malformed header. */
export function listSections(bytes: Uint8Array): SectionRef[] {
  const out: SectionRef[] = [];
  const c = new ByteCursor(bytes, 8);
  try {
    while (!c.done) {
      const id = c.byte();
      const size = c.u32();
      const start = c.pos;
      c.skip(size);
      const ref: SectionRef = { id, start, end: start + size };
      if (id === 0) {
        const inner = new ByteCursor(bytes, start, start + size);
        ref.customName = inner.name();
        ref.start = inner.pos;
      }
      out.push(ref);
    }
  } catch {
    // a truncated tail: keep what was read
  }
  return out;
}

/** Function names from the `name` section (subsection 1), by function index. */
export function readFunctionNames(bytes: Uint8Array): Map<number, string> {
  const names = new Map<number, string>();
  const section = listSections(bytes).find((s) => s.id === 0 && s.customName === 'name');
  if (!section) return names;
  const c = new ByteCursor(bytes, section.start, section.end);
  try {
    while (!c.done) {
      const sub = c.byte();
      const size = c.u32();
      const end = c.pos + size;
      if (sub !== 1) {
        c.skip(size);
        continue;
      }
      const fc = new ByteCursor(bytes, c.pos, Math.min(end, section.end));
      const count = fc.u32();
      for (let i = 0; i < count; i++) {
        const index = fc.u32();
        names.set(index, fc.name());
      }
      return names;
    }
  } catch {
    // malformed: keep the names read so far
  }
  return names;
}
