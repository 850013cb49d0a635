// Round-trip fuzzer for the binary toolkit: `node dist/bench/fuzz-roundtrip.js [N] [FIRST]` generates N
// modules with binaryen's `wasm-opt -ttf` (case numbers FIRST.., reproducible), alternating Node's proposals
// and every proposal, and checks identical bytes plus identical behaviour. Failures are saved to /tmp.

import { writeFileSync } from 'node:fs';
import { ALL_V8_FEATURES, NODE_FEATURES, fuzzCase } from '../test/binary-fuzz.js';

const n = Number(process.argv[2] ?? 1000);
const first = Number(process.argv[3] ?? 0);
let identical = 0;
let runnable = 0;
let failures = 0;
let skipped = 0;
const t0 = performance.now();
for (let i = first; i < first + n; i++) {
  const all = i % 4 === 3; // one case in four with every proposal
  const r = await fuzzCase(i, all ? ALL_V8_FEATURES : NODE_FEATURES);
  if (r.skipped) skipped++;
  if (r.identical) identical++;
  if (r.runnable) runnable++;
  if (r.failure) {
    failures++;
    const file = `/tmp/warden-fuzz-${i}.wasm`;
    writeFileSync(file, r.module);
    console.log(`case ${i}${all ? ' (all proposals)' : ''}: ${r.failure} (module saved to ${file})`);
  }
  if ((i - first + 1) % 500 === 0) console.log(`... ${i - first + 1} cases`);
}
const s = ((performance.now() - t0) / 1000).toFixed(0);
console.log(
  `${n} cases in ${s}s: ${identical} byte-identical, ${runnable} run by V8 and compared, ${failures} failures` +
    ` (${skipped} seeds on which wasm-opt itself crashed were skipped)`,
);
process.exitCode = failures ? 1 : 0;
