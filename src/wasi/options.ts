// What a WASI preview1 context is built from: the capabilities the host grants to one run.
import type { DirNode } from '../fs/types.js';
import type { WardenError } from '../errors.js';

export interface Preopen {
  /** The name the guest sees (fd_prestat_dir_name), e.g. "/data" or ".". */
  guestPath: string;
  /** The opened root directory of this preopen (owned by the caller). */
  dir: DirNode;
}

/** Where guest stdin comes from: a byte buffer, a host fd read synchronously, or nothing (EOF). */
export type InputSource = { kind: 'bytes'; data: Uint8Array } | { kind: 'fd'; fd: number } | { kind: 'none' };

/** Where guest stdout/stderr goes; `cap` bytes at most, past which the run ends (output-limit). */
export interface OutputSink {
  /** Called synchronously with each chunk the guest writes (the chunk may be reused: copy it). */
  write(chunk: Uint8Array): void;
  /**
   * The sink is a terminal: fd_fdstat_get then reports a character device (as wasmtime does for
   * a tty), so wasi-libc line-buffers stdout and isatty() is true. Default false.
   */
  isTTY?: boolean;
  /**
   * A sink that gathers chunks before passing them on writes out what it holds. The WASI layer
   * calls it before the guest reads stdin, before the other output stream is written (so stdout
   * and stderr keep their relative order) and on poll_oneoff; the embedder calls it when the run
   * ends, however it ended.
   */
  flush?(): void;
}

export interface ClockPolicy {
  /** Resolution in ns that clock_time_get rounds down to (default 1000 = 1us). */
  resolutionNs?: bigint;
}

export interface WasiOptions {
  args: readonly string[];
  env: readonly (readonly [string, string])[];
  preopens: readonly Preopen[];
  stdin: InputSource;
  stdout: OutputSink;
  stderr: OutputSink;
  stdoutCap: number;
  stderrCap: number;
  clocks?: ClockPolicy;
  /** Source of random bytes (default: crypto.randomFillSync). */
  randomFill?: (buf: Uint8Array) => void;
  /** If set, each WASI call is logged here as one line: name, decoded args, result errno. */
  trace?: (line: string) => void;
  /**
   * The run's deadline (performance.now() milliseconds): a sleep (poll_oneoff) never lasts past it; one that
   * would is cut short at the deadline and ends the run with `expired()` (a RunAbort of kind 'timeout').
   */
  deadline?: { at: number; expired(): RunAbort };
  /** The preview1 functions to provide (default: all 46). A run passes the ones its module imports. */
  only?: readonly string[];
  /**
   * The run's ending, shared with its other host functions (the fuel meter): once set, by proc_exit or a
   * limit, every later call re-throws it, so a guest that catches the host's exception gets no further.
   */
  ending?: RunEnding;
}

/** How a run ended, once it has: one cell shared by all of the run's host functions. */
export interface RunEnding {
  ended: ProcExit | RunAbort | undefined;
}

/**
 * WASI calls between two readings of the run's deadline (a reading costs ~50-80 ns, a call's own work more). Fuel
 * buys little of a host call's time, so a guest looping over heavy calls (64 KiB writes of 4,096 pieces, say)
 * would otherwise see its deadline only at the next refill, seconds later.
 */
export const HOST_CALLS_PER_CLOCK_CHECK = 8;

/** Thrown (through the guest's frames) by proc_exit: ends the guest, never the host. */
export class ProcExit {
  constructor(readonly code: number) {}
}

/** Thrown through the guest's frames when a limit ends the run (e.g. output cap). */
export class RunAbort extends Error {
  constructor(readonly error: WardenError) {
    super(error.message);
  }
}
