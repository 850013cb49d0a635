// Module-controlled text (function, import and export names) made safe for one-line messages:
// control characters, terminal escapes and bidi overrides are shown escaped, never emitted raw.

// C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** `s` with every unsafe character written as \xNN or \u{NNNN}. */
export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
