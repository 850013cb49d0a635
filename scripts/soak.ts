// Leak check: N fresh runs (default 100,000) of bench/guests/hello.wasm in one process, printing RSS and
// heap every 10,000 runs. Usage: node --expose-gc dist/scripts/soak.js [N] [--no-pool]
import { readFileSync } from 'node:fs';
import { compile } from '../src/index.js';
import { soak } from '../bench/fresh.js';

const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 100_000);
const pool = !process.argv.includes('--no-pool');
const cm = await compile(readFileSync(new URL('../../bench/guests/hello.wasm', import.meta.url)));
const heap = (): string => `${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB heap`;
console.log(`soak: ${n} fresh runs of hello.wasm, memory pooling ${pool ? 'on' : 'off'}${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for steadier figures)'}`);
const t0 = performance.now();
const r = await soak(cm, n, { pool }, (done, rss) => console.log(`  ${String(done).padStart(7)} runs: ${rss.toFixed(1)} MiB RSS, ${heap()}`));
const s = (performance.now() - t0) / 1000;
console.log(`RSS ${r.startMiB.toFixed(1)} MiB at start -> ${r.endMiB.toFixed(1)} MiB after ${n} runs (max ${r.maxMiB.toFixed(1)} MiB); ${(n / s).toFixed(0)} runs/s`);
