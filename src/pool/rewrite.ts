// Module rewrite for memory pooling: the module's one defined linear memory becomes an import
// (`warden.memory`, same limits; its export and data segments unchanged), so each run can be handed a
// pooled, reset memory instead of V8 allocating one. Byte-level: every other section is copied as is.
import { WardenError } from '../errors.js';
import { leb } from '../binary/writer.js';

export const MEMORY_IMPORT = { module: 'warden', name: 'memory' } as const;

export interface MemoryImportRewrite {
  bytes: Uint8Array;
  /** The memory's limits in pages (maximum undefined: none declared). */
  initial: number;
  maximum: number | undefined;
  /** Code offsets in the rewritten module minus those in the input (sections before the code changed size). */
  codeShift: number;
}

/** Why a module is run with its own memory instead of a pooled one (undefined: it can be pooled). */
export type Unpoolable = 'no memory' | 'imported memory' | 'several memories' | 'shared memory' | '64-bit memory' | 'imports warden.memory' | 'large memory';

class Reader {
  constructor(
    readonly b: Uint8Array,
    public pos = 0,
  ) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new WardenError('invalid-module', 'memory pool rewrite: unexpected end of module');
    return this.b[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const x = this.byte();
      result += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) return result;
      shift += 7;
      if (shift > 28) throw new WardenError('invalid-module', 'memory pool rewrite: bad LEB128');
    }
  }
  /** Skips a LEB128 of up to 64 bits (the limits of a 64-bit table). */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) if ((this.byte() & 0x80) === 0) return;
    throw new WardenError('invalid-module', 'memory pool rewrite: bad LEB128');
  }
  name(): string {
    const n = this.u32();
    const s = Buffer.from(this.b.subarray(this.pos, this.pos + n)).toString('utf8');
    this.pos += n;
    return s;
  }
}

const nameBytes = (s: string): number[] => [...leb(Buffer.byteLength(s)), ...Buffer.from(s)];

interface Section {
  id: number;
  /** Start of the section header (id byte) and of its contents; end of the contents. */
  at: number;
  start: number;
  end: number;
}

function sections(b: Uint8Array): Section[] {
  const r = new Reader(b, 8);
  const out: Section[] = [];
  while (r.pos < b.length) {
    const at = r.pos;
    const id = r.byte();
    const size = r.u32();
    out.push({ id, at, start: r.pos, end: r.pos + size });
    r.pos += size;
    if (r.pos > b.length) throw new WardenError('invalid-module', 'memory pool rewrite: section runs past the end');
  }
  return out;
}

/** Turns the single defined memory of `bytes` (a valid module) into an import, or says why it cannot. */
export function memoryToImport(bytes: Uint8Array): MemoryImportRewrite | Unpoolable {
  const secs = sections(bytes);
  const imp = secs.find((s) => s.id === 2);
  const mem = secs.find((s) => s.id === 5);
  let importCount = 0;
  let importsFrom = 0;
  if (imp) {
    const r = new Reader(bytes, imp.start);
    importCount = r.u32();
    importsFrom = r.pos;
    for (let i = 0; i < importCount; i++) {
      const module = r.name();
      const name = r.name();
      const kind = r.byte();
      if (module === MEMORY_IMPORT.module && name === MEMORY_IMPORT.name) return 'imports warden.memory';
      if (kind === 0) r.u32();
      else if (kind === 1) {
        // reference type (possibly with a heap type index), limits (u64 ones for a 64-bit table)
        const t = r.byte();
        if (t === 0x63 || t === 0x64) r.u32();
        const f = r.byte();
        r.skipLeb();
        if (f & 1) r.skipLeb();
      } else if (kind === 2) return 'imported memory';
      else if (kind === 3) {
        // valtype (possibly a reference type with a heap type index) + mutability
        const t = r.byte();
        if (t === 0x63 || t === 0x64) r.u32();
        r.byte();
      } else if (kind === 4) {
        r.byte();
        r.u32();
      } else throw new WardenError('invalid-module', `memory pool rewrite: bad import kind ${kind}`);
    }
  }
  if (!mem) return 'no memory';
  const mr = new Reader(bytes, mem.start);
  const count = mr.u32();
  if (count === 0) return 'no memory';
  if (count > 1) return 'several memories';
  const flags = mr.byte();
  if (flags & 0x02) return 'shared memory';
  if (flags & 0x04 || flags > 0x07) return '64-bit memory';
  const initial = mr.u32();
  const maximum = flags & 1 ? mr.u32() : undefined;

  const entry = [...nameBytes(MEMORY_IMPORT.module), ...nameBytes(MEMORY_IMPORT.name), 0x02, flags, ...leb(initial), ...(maximum === undefined ? [] : leb(maximum))];
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let length = 8;
  const push = (u: Uint8Array): void => {
    parts.push(u);
    length += u.length;
  };
  const section = (id: number, body: Uint8Array): void => {
    push(new Uint8Array([id, ...leb(body.length)]));
    push(body);
  };
  let codeShift = 0;
  let inserted = false;
  const insertImports = (): void => {
    inserted = true;
    const head = leb(importCount + 1);
    if (!imp) return section(2, new Uint8Array([...head, ...entry]));
    const rest = bytes.subarray(importsFrom, imp.end);
    const body = new Uint8Array(head.length + rest.length + entry.length);
    body.set(head, 0);
    body.set(rest, head.length);
    body.set(entry, head.length + rest.length);
    section(2, body);
  };
  for (const s of secs) {
    if (!inserted && (s.id === 2 || (s.id !== 0 && s.id !== 1))) insertImports();
    if (s.id === 2 || s.id === 5) continue;
    if (s.id === 10) codeShift = length + (s.start - s.at) - s.start;
    push(bytes.subarray(s.at, s.end));
  }
  if (!inserted) insertImports();
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { bytes: out, initial, maximum, codeShift };
}
