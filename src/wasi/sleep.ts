// Blocking the running thread for a while (poll_oneoff's clock waits, a stdin read waiting for input), never
// past the run's deadline.
import { performance } from 'node:perf_hooks';
import type { WasiOptions } from './options.js';

let sleepCell: Int32Array | undefined;
/** Blocks the thread (Atomics.wait on a private cell: nothing ever notifies it). */
export function sleepNs(ns: bigint): void {
  sleepCell ??= new Int32Array(new SharedArrayBuffer(4));
  const end = process.hrtime.bigint() + ns;
  for (;;) {
    const left = end - process.hrtime.bigint();
    if (left <= 0n) return;
    Atomics.wait(sleepCell, 0, 0, Number(left) / 1e6);
  }
}

/** sleepNs, but never past `deadline`: a longer sleep ends at the deadline with its RunAbort. */
export function sleepWithin(ns: bigint, deadline: NonNullable<WasiOptions['deadline']>): void {
  const leftMs = deadline.at - performance.now();
  if (Number(ns) / 1e6 <= leftMs) return sleepNs(ns);
  if (leftMs > 0) sleepNs(BigInt(Math.ceil(leftMs * 1e6)));
  throw deadline.expired();
}
