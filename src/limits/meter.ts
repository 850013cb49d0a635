// The host side of fuel and deadline limits for one run: the `warden.fuel` import that refills the guest's
// counter one slice at a time, checks the clock (and, for guests allocating GC objects, V8's heap), and
// ends the run (fuel, timeout or memory) by throwing RunAbort.

import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { WardenError } from '../errors.js';
import { RunAbort, type RunEnding } from '../wasi/options.js';
import { FIRST_FUEL_SLICE, FUEL_SLICE, MIN_FUEL_SLICE, REFILL_INTERVAL_MS } from './defaults.js';

/** "500ms", "2s", "1.5s", "2m". */
export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export class LimitMeter {
  /** Fuel put into the guest's counter so far. */
  private granted = 0n;
  /** The counter as last seen by the host. */
  private lastCounter = 0n;
  /** The counter when the meter itself ended the run (the guest's global may be stale: functions keep it in a local). */
  private finalCounter: bigint | undefined;
  /** Set once a limit ended the run: every later call-back re-throws it (a guest that catches it gets no further). */
  aborted: RunAbort | undefined;
  /** performance.now() value past which the run ends. */
  readonly deadline: number;
  /** The slice handed out next: FIRST_FUEL_SLICE doubling up to `slice`, less while slices take longer than REFILL_INTERVAL_MS. */
  private nextSlice: bigint;
  /** performance.now() at the last refill (or the start). */
  private lastRefillAt: number;
  /** watchHeap(): V8's used heap when the watch began, and the growth allowed past it (-1: not watched). */
  private heapBase = 0;
  private heapGrowth = -1;
  private heapMax = 0;

  constructor(
    readonly budget: bigint,
    readonly timeoutMs: number,
    private readonly slice: bigint = FUEL_SLICE,
    /** The run's ending, shared with its WASI functions: once the run ended (proc_exit or a limit), a refill re-throws it. */
    readonly ending: RunEnding = { ended: undefined },
  ) {
    this.lastRefillAt = performance.now();
    this.deadline = this.lastRefillAt + timeoutMs;
    this.nextSlice = slice < FIRST_FUEL_SLICE ? slice : FIRST_FUEL_SLICE;
  }

  /** Ends the run with `error` (remembered, so it sticks). */
  abort(error: WardenError): RunAbort {
    this.aborted ??= new RunAbort(error);
    this.ending.ended ??= this.aborted;
    return this.aborted;
  }

  /**
   * For guests that allocate GC objects (V8's heap: no linear memory cap covers them): each refill also ends
   * the run ('memory') once V8's used heap has grown by more than `growthBytes` since `base` (default: now),
   * or is within a tenth of V8's heap limit, where V8 would end the whole process. Approximate (garbage not
   * yet collected counts; a refill comes at least every FUEL_SLICE units, each allocated field or element
   * costing one), but it keeps a guest that holds on to its objects from filling the host's heap.
   */
  watchHeap(growthBytes: number, base?: number): number {
    const s = getHeapStatistics();
    this.heapBase = base ?? s.used_heap_size;
    this.heapGrowth = growthBytes;
    this.heapMax = s.heap_size_limit * 0.9;
    return this.heapBase;
  }

  /** The RunAbort for a passed deadline. */
  timeout(): RunAbort {
    return this.abort(new WardenError('timeout', `deadline of ${formatMs(this.timeoutMs)} passed`, { timeoutMs: this.timeoutMs }));
  }

  /** The `warden.fuel` import: called with the (negative) counter, returns the refilled counter or throws. */
  readonly refill = (counter: bigint): bigint => {
    const ended = this.aborted ?? this.ending.ended;
    if (ended) throw ended;
    this.lastCounter = counter;
    const now = performance.now();
    if (now >= this.deadline) {
      this.finalCounter = counter;
      throw this.timeout();
    }
    // A slow slice (fuel buying much more time than usual, e.g. page-at-a-time memory.grow): a smaller next one,
    // so the deadline is seen within about REFILL_INTERVAL_MS; quick slices let it grow back.
    const took = now - this.lastRefillAt;
    this.lastRefillAt = now;
    if (this.granted === 0n) {
      // the first refill: no slice has run yet, nothing to adapt to
    } else if (took > REFILL_INTERVAL_MS) {
      const shrunk = BigInt(Math.floor(Number(this.nextSlice) * (REFILL_INTERVAL_MS / took)));
      this.nextSlice = shrunk > MIN_FUEL_SLICE ? shrunk : MIN_FUEL_SLICE;
    } else if (this.nextSlice < this.slice && took < REFILL_INTERVAL_MS / 2) {
      const grown = this.nextSlice * 2n;
      this.nextSlice = grown < this.slice ? grown : this.slice;
    }
    if (this.heapGrowth >= 0) {
      const heap = getHeapStatistics().used_heap_size;
      if (heap - this.heapBase > this.heapGrowth || heap > this.heapMax) {
        this.finalCounter = counter;
        throw this.abort(
          new WardenError('memory', `heap limit: the guest's GC objects grew V8's heap by ${Math.max(0, heap - this.heapBase)} bytes, above the limit of ${this.heapGrowth} bytes${heap > this.heapMax ? " (or near V8's own limit)" : ''}`, {
            heapGrowthBytes: Math.max(0, heap - this.heapBase),
            limitBytes: this.heapGrowth,
          }),
        );
      }
    }
    const used = this.granted - counter;
    if (used > this.budget) {
      this.finalCounter = counter;
      throw this.abort(new WardenError('fuel', `fuel exhausted after ${this.budget} units`, { fuel: this.budget.toString() }));
    }
    const left = this.budget - used;
    const next = left < this.nextSlice ? left : this.nextSlice;
    this.granted += next - counter;
    this.lastCounter = next;
    return next;
  };

  /** Fuel used, given the guest's counter now (or the last value the host saw, if the instance is gone). */
  used(counter?: bigint): bigint {
    const used = this.granted - (this.finalCounter ?? counter ?? this.lastCounter);
    if (used < 0n) return 0n;
    return used > this.budget ? this.budget : used;
  }
}
