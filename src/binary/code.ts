// Function bodies decoded on demand: keeps the encoded instruction bytes and builds the instruction list
// only when asked, so large modules can be rewritten one function at a time with little garbage.

import { encodeInstrs } from './encoder.js';
import type { Code, Instr, Local } from './module.js';

/** Called for each instruction of a scan: numeric opcode and the instruction's byte range [start, end). */
export type InstrVisitor = (op: number, start: number, end: number) => void;

/**
 * Decodes the instructions in src[start, end) (offsets in the result are positions in `src`); with a
 * visitor, only visits them (no instruction objects) and returns an empty list.
 */
export type BodyDecoder = (src: Uint8Array, start: number, end: number, visit?: InstrVisitor) => Instr[];

export class LazyCode implements Code {
  locals: Local[];
  offset: number;
  private src: Uint8Array;
  private start: number;
  private end: number;
  private cached: Instr[] | null = null;
  private readonly decoder: BodyDecoder;

  constructor(locals: Local[], offset: number, src: Uint8Array, start: number, end: number, decoder: BodyDecoder) {
    this.locals = locals;
    this.offset = offset;
    this.src = src;
    this.start = start;
    this.end = end;
    this.decoder = decoder;
  }

  /** The instruction list (decoded on first use, then kept; assigning replaces it). */
  get body(): Instr[] {
    return (this.cached ??= this.decoder(this.src, this.start, this.end));
  }

  set body(instrs: Instr[]) {
    this.cached = instrs;
  }

  /** A freshly decoded instruction list that is not kept (or the current list if one was assigned). */
  decodeBody(): Instr[] {
    return this.cached ?? this.decoder(this.src, this.start, this.end);
  }

  /**
   * Replace the body by `instrs`, encoded right away (so the list can be dropped). Offsets of a later
   * decodeBody() are then positions in the new encoding.
   */
  setBody(instrs: readonly Instr[]): void {
    const bytes = encodeInstrs(instrs);
    this.src = bytes;
    this.start = 0;
    this.end = bytes.length;
    this.cached = null;
  }

  /**
   * Visit every instruction without building instruction objects (the fast path for byte-splicing
   * rewriters). Returns the buffer the visitor's byte ranges index into, and the body's range in it.
   */
  scan(visit: InstrVisitor): { bytes: Uint8Array; start: number; end: number } {
    if (this.cached !== null) this.setBody(this.cached);
    this.decoder(this.src, this.start, this.end, visit);
    return { bytes: this.src, start: this.start, end: this.end };
  }

  /** Replace the body by already-encoded instruction bytes (checked when next decoded or scanned). */
  setRaw(bytes: Uint8Array): void {
    this.src = bytes;
    this.start = 0;
    this.end = bytes.length;
    this.cached = null;
  }

  raw(): Uint8Array | null {
    return this.cached === null ? this.src.subarray(this.start, this.end) : null;
  }
}
