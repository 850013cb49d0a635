// Speed of the binary toolkit: decode and encode of large real modules, in MB/s of input, measured in
// process CPU time (the machine may be shared) and wall time. `node dist/bench/binary-speed.js [file.wasm ...]`

import { readFileSync } from 'node:fs';
import { decode } from '../src/binary/decoder.js';
import { encode } from '../src/binary/encoder.js';
import type { LazyCode } from '../src/binary/code.js';
import { Op } from '../src/binary/opcodes.js';
import { Writer } from '../src/binary/writer.js';
import { binaryenWasm } from '../test/binary-fuzz.js';

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const rate = (mb: number, ms: number): string => `${(mb / (ms / 1000)).toFixed(1)} MB/s`;

/**
 * Three paths: decode alone (every body checked); a full pass through instructions as a rewriter makes
 * it, one function at a time (decodeBody -> setBody) then encode; and decode + encode of an unchanged
 * module (bodies copied). Best of `reps`, CPU time (wall time in brackets).
 */
function measure(name: string, bytes: Uint8Array, reps: number): void {
  const mb = bytes.length / 1e6;
  const best = {
    decode: [Infinity, Infinity],
    full: [Infinity, Infinity],
    splice: [Infinity, Infinity],
    copy: [Infinity, Infinity],
  };
  const time = (key: keyof typeof best, fn: () => void): void => {
    const c0 = cpuMs();
    const w0 = performance.now();
    fn();
    best[key] = [Math.min(best[key][0]!, cpuMs() - c0), Math.min(best[key][1]!, performance.now() - w0)];
  };
  let identical = false;
  let count = 0;
  for (let i = 0; i < reps; i++) {
    time('decode', () => void decode(bytes));
    time('full', () => {
      const m = decode(bytes, { checkBodies: false }); // each body is decoded (and so checked) below
      count = 0;
      for (const c of m.codes) {
        const body = (c as LazyCode).decodeBody();
        count += body.length;
        (c as LazyCode).setBody(body);
      }
      const out = encode(m, { sizeHint: bytes.length });
      identical = Buffer.compare(Buffer.from(out), Buffer.from(bytes)) === 0;
    });
    time('splice', () => {
      // A byte-splicing rewriter: scan each body, copy it, insert a `nop` at every loop header.
      const m = decode(bytes, { checkBodies: false });
      const w = new Writer(1 << 16);
      const points: number[] = [];
      for (const c of m.codes) {
        const code = c as LazyCode;
        points.length = 0;
        const body = code.scan((op, _start, end) => {
          if (op === Op.loop) points.push(end);
        });
        w.pos = 0;
        let copied = body.start;
        for (const p of points) {
          w.bytes(body.bytes.subarray(copied, p));
          w.byte(Op.nop);
          copied = p;
        }
        w.bytes(body.bytes.subarray(copied, body.end));
        code.setRaw(w.finish());
      }
      void encode(m, { sizeHint: bytes.length });
    });
    time('copy', () => void encode(decode(bytes), { sizeHint: bytes.length }));
  }
  const show = (k: keyof typeof best): string => `${rate(mb, best[k][0]!)} (${rate(mb, best[k][1]!)} wall)`;
  console.log(`${name}: ${mb.toFixed(2)} MB, ${count} instructions`);
  console.log(`  decode (all bodies checked):                      ${show('decode')}`);
  console.log(`  decode + every body to instructions and back + encode: ${show('full')}; identical=${identical}`);
  console.log(`  decode + scan every body + splice (nop at loops) + encode: ${show('splice')}`);
  console.log(`  decode + encode unchanged (bodies copied):         ${show('copy')}`);
}

const files = process.argv.slice(2);
if (files.length === 0) measure('binaryen wasm-opt module', binaryenWasm(), 5);
for (const f of files) measure(f, new Uint8Array(readFileSync(f)), 5);
