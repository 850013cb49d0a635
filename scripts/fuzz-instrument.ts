// Differential fuzzing of the fuel instrumenter: `node dist/scripts/fuzz-instrument.js N [FIRST] [--all]` runs
// N wasm-opt -ttf modules (seeds FIRST..FIRST+N-1) original vs instrumented and prints every difference.
// --all also generates the proposals V8 runs only behind flags or in newer Node (skipped here if V8 refuses);
// --enable-X adds one wasm-opt feature to what Node runs by default (e.g. --enable-threads).
import { ALL_V8_FEATURES, NODE_FEATURES } from '../test/binary-fuzz.js';
import { diffCase } from '../test/instrument-diff.js';

const args = process.argv.slice(2);
const all = args.includes('--all');
const extra = args.filter((a) => a.startsWith('--enable-'));
const [nText = '1000', firstText = '0'] = args.filter((a) => !a.startsWith('--'));
const n = Number(nText);
const first = Number(firstText);
if (!Number.isInteger(n) || !Number.isInteger(first)) {
  console.error('usage: fuzz-instrument N [FIRST] [--all]');
  process.exit(2);
}
let ran = 0;
let skipped = 0;
const failures: string[] = [];
const t0 = Date.now();
for (let i = first; i < first + n; i++) {
  const r = await diffCase(i, all ? ALL_V8_FEATURES : [...NODE_FEATURES, ...extra]);
  if (r.skipped) skipped++;
  else ran++;
  if (r.failure) {
    failures.push(`case ${i}: ${r.failure}`);
    console.log(`case ${i}: ${r.failure}`);
  }
  if ((i - first + 1) % 500 === 0) console.log(`${i - first + 1} cases, ${failures.length} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`done: ${ran} cases compared, ${skipped} skipped (generator or V8 refused), ${failures.length} failures, seeds ${first}..${first + n - 1}`);
process.exitCode = failures.length ? 1 : 0;
