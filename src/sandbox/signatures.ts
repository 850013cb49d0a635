// Function signatures of a module's imports and exports, read straight from the binary (V8 has
// no type reflection): used to type `--invoke` arguments and to check WASI import signatures.
import { ByteCursor, listSections } from '../binary/names.js';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';
export interface FuncSig {
  params: ValType[];
  results: ValType[];
}

const VALTYPES: Record<number, ValType> = {
  0x7f: 'i32',
  0x7e: 'i64',
  0x7d: 'f32',
  0x7c: 'f64',
  0x7b: 'v128',
  0x70: 'funcref',
  0x6f: 'externref',
};

export interface ModuleSignatures {
  /** Imported functions: "module.name" -> signature. */
  imports: Map<string, FuncSig>;
  /** Exported functions: export name -> signature. */
  exports: Map<string, FuncSig>;
}

function valtype(c: ByteCursor): ValType {
  const b = c.byte();
  const t = VALTYPES[b];
  if (!t) throw new RangeError(`unsupported value type 0x${b.toString(16)}`);
  return t;
}

function skipLimits(c: ByteCursor): void {
  const flags = c.byte();
  const wide = (flags & 4) !== 0;
  const read = (): void => void (wide ? c.s64() : c.u32());
  read();
  if (flags & 1) read();
}

/**
 * Reads the signatures, or returns undefined if the module uses a form this small reader does
 * not know (e.g. GC types); callers then skip the checks that need them.
 */
export function readSignatures(bytes: Uint8Array): ModuleSignatures | undefined {
  const types: FuncSig[] = [];
  const funcTypes: number[] = []; // type index of every function, imports first
  const out: ModuleSignatures = { imports: new Map(), exports: new Map() };
  try {
    for (const s of listSections(bytes)) {
      const c = new ByteCursor(bytes, s.start, s.end);
      if (s.id === 1) {
        for (let n = c.u32(); n > 0; n--) {
          if (c.byte() !== 0x60) return undefined;
          const params = Array.from({ length: c.u32() }, () => valtype(c));
          const results = Array.from({ length: c.u32() }, () => valtype(c));
          types.push({ params, results });
        }
      } else if (s.id === 2) {
        for (let n = c.u32(); n > 0; n--) {
          const mod = c.name();
          const name = c.name();
          const kind = c.byte();
          if (kind === 0x00) {
            const t = c.u32();
            funcTypes.push(t);
            const sig = types[t];
            if (sig) out.imports.set(`${mod}.${name}`, sig);
          } else if (kind === 0x01) {
            valtype(c);
            skipLimits(c);
          } else if (kind === 0x02) skipLimits(c);
          else if (kind === 0x03) {
            valtype(c);
            c.byte();
          } else if (kind === 0x04) {
            c.byte();
            c.u32();
          } else return undefined;
        }
      } else if (s.id === 3) {
        for (let n = c.u32(); n > 0; n--) funcTypes.push(c.u32());
      } else if (s.id === 7) {
        for (let n = c.u32(); n > 0; n--) {
          const name = c.name();
          const kind = c.byte();
          const index = c.u32();
          const sig = kind === 0 ? types[funcTypes[index] ?? -1] : undefined;
          if (sig) out.exports.set(name, sig);
        }
      }
    }
  } catch {
    return undefined;
  }
  return out;
}

export function formatSig(sig: FuncSig): string {
  return `(${sig.params.join(', ')}) -> (${sig.results.join(', ')})`;
}
