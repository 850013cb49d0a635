// Small test modules for the library and CLI tests, written in WAT and assembled with wabt
// (function names kept in the name section, so trap messages can be checked by name).
import wabtInit from 'wabt';
import type { RunResult } from '../src/index.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt | undefined;

/** Assembles WAT text to a binary module (name section included). */
export async function wat(text: string, features: Record<string, boolean> = {}): Promise<Uint8Array> {
  wabt ??= await wabtInit();
  const m = wabt.parseWat('test.wat', text, features);
  try {
    m.resolveNames();
    m.validate();
    return new Uint8Array(m.toBinary({ write_debug_names: true }).buffer);
  } finally {
    m.destroy();
  }
}

const P1 = '"wasi_snapshot_preview1"';

/** `_start` writes "hello\n" to stdout, then returns. */
export const HELLO = `(module
  (import ${P1} "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello\\n")
  (func $main (export "_start")
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

/** `_start` calls proc_exit(7). */
export const EXIT7 = `(module
  (import ${P1} "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $main (export "_start") (call $proc_exit (i32.const 7))))`;

/** `_start` -> $helper -> $boom, which executes `unreachable` (function index 2). */
export const TRAP = `(module
  (memory (export "memory") 1)
  (func $main (export "_start") (call $helper))
  (func $helper (call $boom))
  (func $boom unreachable))`;

/** Unbounded recursion. */
export const RECURSE = `(module
  (memory (export "memory") 1)
  (func $main (export "_start") (call $down (i32.const 0)))
  (func $down (param i32) (call $down (i32.add (local.get 0) (i32.const 1)))))`;

/** Writes the guest's whole environment (or its args, with "args") as NUL-separated bytes to stdout. */
export function dumpStrings(which: 'environ' | 'args'): string {
  return `(module
  (import ${P1} "${which}_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import ${P1} "${which}_get" (func $get (param i32 i32) (result i32)))
  (import ${P1} "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func $main (export "_start")
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $get (i32.const 64) (i32.const 4096)))
    (i32.store (i32.const 16) (i32.const 4096))
    (i32.store (i32.const 20) (i32.load (i32.const 4)))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))`;
}

/** Exports only: add(i32, i64) -> i64, pair() -> (i32, i32), and a memory. */
export const LIBRARY = `(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
  (func (export "pair") (result i32 i32) (i32.const 1) (i32.const 2))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))`;

/** The deterministic part of a run result, for comparing two runs. */
export const comparable = (r: RunResult): unknown => ({
  exitCode: r.exitCode,
  stdout: r.stdout.toString('latin1'),
  stderr: r.stderr.toString('latin1'),
  error: r.error ? { kind: r.error.kind, message: r.error.message } : undefined,
  fuelUsed: r.fuelUsed,
  peakMemoryBytes: r.peakMemoryBytes,
  returnValues: r.returnValues,
});
