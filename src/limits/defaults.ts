// The limits every run has unless the host sets others: one table, so defaults are finite and documented.

/**
 * | limit           | default        | why                                                                      |
 * |-----------------|----------------|--------------------------------------------------------------------------|
 * | fuel            | 10^12 units    | ~ several minutes of CPU: the timeout normally ends a runaway run first;  |
 * |                 |                | set it lower for a deterministic bound (same input, same cut-off)        |
 * | timeoutMs       | 30 000 ms      | a command-like run; servers set per-route deadlines                      |
 * | memoryBytes     | 1 GiB          | all linear memories together (wasm32 could ask for 4 GiB each)           |
 * | tableElements   | 1 000 000      | per table (8 bytes each in V8: 8 MB); large C++ programs use ~10^5       |
 * | instances       | 1              | one instance per run (a field for linked multi-module runs, later)       |
 * | stdout/stderr   | 64 MiB each    | see DEFAULT_OUTPUT_CAP                                                   |
 */
export const DEFAULT_LIMITS = {
  fuel: 1_000_000_000_000n,
  timeoutMs: 30_000,
  memoryBytes: 1024 * 1024 * 1024,
  tableElements: 1_000_000,
  instances: 1,
} as const;

/**
 * Fuel handed to the guest per host call-back: the host gets control (and checks the deadline) once per
 * slice. Measured rates: compute-bound C (bench/cpu) runs 7-20 units per ns in V8's optimising tier, so a
 * slice is ~0.2-0.6 ms; call-heavy adversarial guests (test/guests/limits: call trees, recursion, loops
 * through calls) 0.15-1.3 units per ns, so ~3-30 ms, which bounds how late a deadline is seen. A smaller
 * slice made host calls a visible cost (bench/cpu, 2^20: about 3-7% more CPU time than an endless supply;
 * 2^22 about half of that).
 */
export const FUEL_SLICE = 1n << 22n;

/**
 * The host wants a call-back at least this often, so a deadline is seen in time even when fuel buys much more
 * time than usual: V8's memory.grow takes up to ~1 ms a page on a growing memory (4,096 units), so a full slice of
 * page-at-a-time grows took 0.7-2 s and a 100 ms deadline was seen after 2 s. A slice that took longer than this
 * is shrunk for the next refill (down to MIN_FUEL_SLICE), and grows back while slices are quick. A run starts with
 * FIRST_FUEL_SLICE.
 */
export const REFILL_INTERVAL_MS = 5;
/** The smallest slice the meter hands out (one memory page's worth of charges). */
export const MIN_FUEL_SLICE = 1n << 12n;
/** The first slice of a run: it doubles at each quick refill up to FUEL_SLICE (a slow first slice is seen early too). */
export const FIRST_FUEL_SLICE = 1n << 16n;

/** Largest fuel budget accepted (the counter is a signed 64-bit integer, with room below zero). */
export const MAX_FUEL = (1n << 62n) - 1n;
