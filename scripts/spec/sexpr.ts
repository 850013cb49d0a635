// S-expression reader for .wast scripts: lists, atoms and strings (kept as raw bytes), each with its source
// range and line, so a command's module can be handed to wabt as the exact text it was written as.

export type SExpr = SList | SAtom | SString;

export interface SList {
  kind: 'list';
  items: SExpr[];
  start: number;
  end: number;
  line: number;
}

export interface SAtom {
  kind: 'atom';
  text: string;
  line: number;
}

export interface SString {
  kind: 'string';
  /** The string's bytes with escapes resolved. */
  bytes: Uint8Array;
  line: number;
}

export class ParseError extends Error {}

const HEX = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

/** Parses a whole script into its top-level lists. */
export function parseScript(src: string): SList[] {
  let pos = 0;
  let line = 1;
  const enc = new TextEncoder();

  const skipSpace = (): void => {
    for (;;) {
      const ch = src.charCodeAt(pos);
      if (ch === 10) {
        line++;
        pos++;
      } else if (ch === 32 || ch === 9 || ch === 13) pos++;
      else if (ch === 59 && src.charCodeAt(pos + 1) === 59) {
        while (pos < src.length && src.charCodeAt(pos) !== 10) pos++;
      } else if (ch === 40 && src.charCodeAt(pos + 1) === 59) {
        // (; block comment ;), nested
        let depth = 1;
        pos += 2;
        while (depth > 0) {
          if (pos >= src.length) throw new ParseError(`unterminated block comment at line ${line}`);
          if (src.startsWith('(;', pos)) {
            depth++;
            pos += 2;
          } else if (src.startsWith(';)', pos)) {
            depth--;
            pos += 2;
          } else {
            if (src.charCodeAt(pos) === 10) line++;
            pos++;
          }
        }
      } else return;
    }
  };

  const readString = (): SString => {
    const at = line;
    pos++; // opening quote
    const out: number[] = [];
    for (;;) {
      if (pos >= src.length) throw new ParseError(`unterminated string at line ${at}`);
      const ch = src.charCodeAt(pos);
      if (ch === 34) {
        pos++;
        break;
      }
      if (ch === 10) line++;
      if (ch !== 92) {
        const cp = src.codePointAt(pos)!;
        const s = String.fromCodePoint(cp);
        for (const b of enc.encode(s)) out.push(b);
        pos += s.length;
        continue;
      }
      const e = src[pos + 1];
      pos += 2;
      if (e === 'n') out.push(10);
      else if (e === 't') out.push(9);
      else if (e === 'r') out.push(13);
      else if (e === '\\' || e === "'" || e === '"') out.push(e.charCodeAt(0));
      else if (e === 'u') {
        const close = src.indexOf('}', pos);
        const cp = parseInt(src.slice(pos + 1, close), 16);
        for (const b of enc.encode(String.fromCodePoint(cp))) out.push(b);
        pos = close + 1;
      } else {
        const h = HEX(src.charCodeAt(pos - 1));
        const l = HEX(src.charCodeAt(pos));
        if (h < 0 || l < 0) throw new ParseError(`bad string escape at line ${line}`);
        out.push(h * 16 + l);
        pos++;
      }
    }
    return { kind: 'string', bytes: Uint8Array.from(out), line: at };
  };

  const readList = (): SList => {
    const start = pos;
    const at = line;
    pos++;
    const items: SExpr[] = [];
    for (;;) {
      skipSpace();
      if (pos >= src.length) throw new ParseError(`unclosed list from line ${at}`);
      const ch = src.charCodeAt(pos);
      if (ch === 41) {
        pos++;
        return { kind: 'list', items, start, end: pos, line: at };
      }
      items.push(readItem());
    }
  };

  const readItem = (): SExpr => {
    const ch = src.charCodeAt(pos);
    if (ch === 40) return readList();
    if (ch === 34) return readString();
    const from = pos;
    while (pos < src.length) {
      const c = src.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 40 || c === 41 || c === 34) break;
      if (c === 59 && src.charCodeAt(pos + 1) === 59) break;
      pos++;
    }
    if (pos === from) throw new ParseError(`unexpected character at line ${line}`);
    return { kind: 'atom', text: src.slice(from, pos), line };
  };

  const top: SList[] = [];
  for (;;) {
    skipSpace();
    if (pos >= src.length) return top;
    if (src.charCodeAt(pos) !== 40) throw new ParseError(`expected '(' at line ${line}`);
    top.push(readList());
  }
}

/** The head atom of a list ('' if none). */
export function head(e: SExpr | undefined): string {
  return e && e.kind === 'list' && e.items[0]?.kind === 'atom' ? e.items[0].text : '';
}

export function atom(e: SExpr | undefined): string | undefined {
  return e && e.kind === 'atom' ? e.text : undefined;
}

export function str(e: SExpr | undefined): string | undefined {
  return e && e.kind === 'string' ? new TextDecoder().decode(e.bytes) : undefined;
}
