// Guest output sinks of a run: 'buffer' growth, { fd } coalescing that keeps stdout/stderr order,
// flushes before stdin reads and poll_oneoff, and never loses output (trap, exit, output limit).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, run } from '../src/index.js';
import { COALESCE_BYTES } from '../src/sandbox/sinks.js';
import { wat } from './api-modules.js';

const P1 = '"wasi_snapshot_preview1"';

/**
 * `_start` runs a script from the data segment at 1024: each step is a byte op, then a byte
 * count and the bytes (for writes). Ops: 1 = write to stdout, 2 = write to stderr, 3 = read one
 * byte from stdin and echo it to stdout, 4 = poll_oneoff sleep 1 ms, 5 = write the step's bytes
 * to stdout `count` times (count in the next byte), 6 = trap, 7 = proc_exit(3).
 */
function script(steps: (readonly [number, string?, number?])[]): string {
  const bytes: number[] = [];
  for (const [op, text = '', times = 1] of steps) {
    bytes.push(op, times, text.length, ...Buffer.from(text));
  }
  bytes.push(0);
  const data = bytes.map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
  return `(module
  (import ${P1} "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import ${P1} "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import ${P1} "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import ${P1} "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "${data}")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $main (export "_start")
    (local $pc i32) (local $op i32) (local $times i32) (local $len i32)
    (local.set $pc (i32.const 1024))
    (block $done
      (loop $next
        (local.set $op (i32.load8_u (local.get $pc)))
        (br_if $done (i32.eqz (local.get $op)))
        (local.set $times (i32.load8_u offset=1 (local.get $pc)))
        (local.set $len (i32.load8_u offset=2 (local.get $pc)))
        (if (i32.eq (local.get $op) (i32.const 1)) (then (call $write (i32.const 1) (i32.add (local.get $pc) (i32.const 3)) (local.get $len))))
        (if (i32.eq (local.get $op) (i32.const 2)) (then (call $write (i32.const 2) (i32.add (local.get $pc) (i32.const 3)) (local.get $len))))
        (if (i32.eq (local.get $op) (i32.const 3)) (then
          (i32.store (i32.const 16) (i32.const 64))
          (i32.store (i32.const 20) (i32.const 1))
          (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
          (call $write (i32.const 1) (i32.const 64) (i32.load (i32.const 24)))))
        (if (i32.eq (local.get $op) (i32.const 4)) (then
          ;; one relative monotonic clock subscription of 1 ms at 128, its event at 256
          (i64.store (i32.const 128) (i64.const 0))
          (i32.store8 (i32.const 136) (i32.const 0))
          (i32.store (i32.const 144) (i32.const 1))
          (i64.store (i32.const 152) (i64.const 1000000))
          (i64.store (i32.const 160) (i64.const 0))
          (i32.store16 (i32.const 168) (i32.const 0))
          (drop (call $poll (i32.const 128) (i32.const 256) (i32.const 1) (i32.const 24)))))
        (if (i32.eq (local.get $op) (i32.const 5)) (then
          (block $stop (loop $again
            (br_if $stop (i32.eqz (local.get $times)))
            (call $write (i32.const 1) (i32.add (local.get $pc) (i32.const 3)) (local.get $len))
            (local.set $times (i32.sub (local.get $times) (i32.const 1)))
            (br $again)))))
        (if (i32.eq (local.get $op) (i32.const 6)) (then unreachable))
        (if (i32.eq (local.get $op) (i32.const 7)) (then (call $exit (i32.const 3))))
        (local.set $pc (i32.add (local.get $pc) (i32.add (i32.const 3) (local.get $len))))
        (br $next))))
)`;
}

/** Runs the script with stdout and stderr both sent to one temp file ({ fd }); returns what it holds. */
async function toOneFile(steps: Parameters<typeof script>[0], extra: Parameters<typeof run>[1] = {}): Promise<{ text: string; exitCode: number; kind?: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-sinks-'));
  try {
    const file = join(dir, 'out');
    const fd = openSync(file, 'w');
    try {
      const r = await run(await wat(script(steps)), { stdout: { fd }, stderr: { fd }, ...extra });
      // Every byte is in the file when run() resolves, before the fd is closed.
      return { text: readFileSync(file, 'utf8'), exitCode: r.exitCode, kind: r.error?.kind };
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('output sinks', () => {
  it('{ fd }: stdout and stderr keep their relative order', async () => {
    const r = await toOneFile([[1, 'a'], [1, 'b'], [2, 'E'], [1, 'c'], [2, 'F'], [2, 'G'], [1, 'd']]);
    assert.equal(r.text, 'abEcFGd');
    assert.equal(r.exitCode, 0);
  });

  it('{ fd }: output written before a trap, proc_exit or the output limit is never lost', async () => {
    const trap = await toOneFile([[1, 'before '], [2, 'err '], [1, 'trap'], [6]]);
    assert.equal(trap.text, 'before err trap');
    assert.equal(trap.kind, 'trap');
    const exit = await toOneFile([[1, 'bye'], [7], [1, 'never']]);
    assert.deepEqual([exit.text, exit.exitCode], ['bye', 3]);
    const limited = await toOneFile([[5, '0123456789', 20]], { limits: { stdoutBytes: 95 } });
    assert.equal(limited.text, '0123456789'.repeat(10).slice(0, 95));
    assert.equal(limited.kind, 'output-limit');
  });

  it('{ fd }: more than the coalescing buffer arrives whole and in order', async () => {
    const line = 'x'.repeat(200) + '\n';
    const times = Math.ceil((3 * COALESCE_BYTES) / line.length / 255);
    const steps: Parameters<typeof script>[0] = [];
    for (let i = 0; i < times; i++) steps.push([5, line, 255], [2, `[${i}]`]);
    const r = await toOneFile(steps);
    const want = Array.from({ length: times }, (_, i) => line.repeat(255) + `[${i}]`).join('');
    assert.equal(r.text.length, want.length);
    assert.ok(r.text === want, 'bytes differ from what the guest wrote');
  });

  it('a custom sink sees each write at once; { fd } is flushed before stdin reads and poll_oneoff', async () => {
    // A custom write() is the streaming contract: one call per guest write, a copy of the bytes.
    const seen: string[] = [];
    const m = await compile(await wat(script([[1, 'prompt> '], [3], [1, '!']])));
    const r = await m.run({ stdin: 'y', stdout: { write: (c) => void seen.push(Buffer.from(c).toString()) } });
    assert.deepEqual(seen, ['prompt> ', 'y', '!']);
    assert.equal(r.exitCode, 0);
    // { fd }: what the guest wrote must reach the fd before it reads stdin or sleeps. The trace
    // hook runs right after each call, so it sees the file as the call left it.
    const dir = mkdtempSync(join(tmpdir(), 'warden-sinks-'));
    try {
      const file = join(dir, 'out');
      const fd = openSync(file, 'w');
      const sizes: string[] = [];
      try {
        await run(await wat(script([[1, 'prompt> '], [4], [1, 'ab'], [3]])), {
          stdout: { fd },
          stdin: 'y',
          trace: (line) => {
            const call = /\b(poll_oneoff|fd_read)\(/.exec(line);
            if (call) sizes.push(`${call[1]} ${readFileSync(file).length}`);
          },
        });
        assert.deepEqual(sizes, ['poll_oneoff 8', 'fd_read 10']);
        assert.equal(readFileSync(file, 'utf8'), 'prompt> aby');
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("'buffer' collects many small writes into one result", async () => {
    const r = await run(await wat(script([[5, 'line\n', 255], [5, 'more\n', 255], [2, 'err']])));
    assert.equal(r.stdout.toString(), 'line\n'.repeat(255) + 'more\n'.repeat(255));
    assert.equal(r.stderr.toString(), 'err');
  });

  it('rejects a bad { fd }', async () => {
    const r = run(await wat(script([])), { stdout: { fd: -1 } });
    await assert.rejects(r, /stdout\.fd must be a non-negative integer/);
  });
});
