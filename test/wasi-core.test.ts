// WASI preview1 without a filesystem: args, environ, clocks, random, stdio and output caps,
// poll_oneoff, proc_exit/RunAbort ending the context, sockets, fd table, --trace, memory.grow.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno } from '../src/wasi/errno.js';
import { ProcExit, RunAbort } from '../src/wasi/options.js';
import { WardenError } from '../src/errors.js';
import { Guest } from './wasi-harness.js';

describe('args and environ', () => {
  it('sizes and contents are exactly what the host passed (UTF-8, NUL-terminated)', () => {
    const g = new Guest({ args: ['prog', 'héllo', ''], env: [['A', '1'], ['EMPTY', '']] });
    const [c, s] = [g.alloc(4), g.alloc(4)];
    assert.equal(g.call('args_sizes_get', c, s), 0);
    assert.equal(g.u32(c), 3);
    assert.equal(g.u32(s), 5 + 7 + 1);
    const argv = g.alloc(12);
    const buf = g.alloc(g.u32(s));
    assert.equal(g.call('args_get', argv, buf), 0);
    assert.deepEqual([0, 1, 2].map((i) => g.u32(argv + i * 4) - buf), [0, 5, 12]);
    assert.equal(g.text(buf, 13), 'prog\0héllo\0\0');
    assert.equal(g.call('environ_sizes_get', c, s), 0);
    assert.deepEqual([g.u32(c), g.u32(s)], [2, 4 + 7]);
    const envp = g.alloc(8);
    const ebuf = g.alloc(11);
    assert.equal(g.call('environ_get', envp, ebuf), 0);
    assert.equal(g.text(ebuf, 11), 'A=1\0EMPTY=\0');
    assert.equal(g.u32(envp + 4), ebuf + 4);
  });

  it('no args and no env give zero counts', () => {
    const g = new Guest();
    const [c, s] = [g.alloc(4), g.alloc(4)];
    assert.equal(g.call('environ_sizes_get', c, s), 0);
    assert.deepEqual([g.u32(c), g.u32(s)], [0, 0]);
  });
});

describe('clocks and randomness', () => {
  it('realtime is near Date.now, monotonic never goes back, both rounded to the policy resolution', () => {
    const g = new Guest({ clocks: { resolutionNs: 1_000_000n } });
    const out = g.alloc(8);
    assert.equal(g.call('clock_time_get', 0, 1n, out), 0);
    const real = g.u64(out);
    assert.equal(real % 1_000_000n, 0n);
    assert.ok(Math.abs(Number(real / 1_000_000n) - Date.now()) < 60_000);
    let last = 0n;
    for (let i = 0; i < 50; i++) {
      assert.equal(g.call('clock_time_get', 1, 0n, out), 0);
      assert.ok(g.u64(out) >= last);
      last = g.u64(out);
    }
    for (const id of [0, 1, 2, 3]) {
      assert.equal(g.call('clock_res_get', id, out), 0);
      assert.equal(g.u64(out), 1_000_000n);
    }
    assert.equal(g.call('clock_time_get', 2, 0n, out), 0);
    assert.equal(g.call('clock_time_get', 4, 0n, out), Errno.INVAL);
    assert.equal(g.call('clock_res_get', 4, out), Errno.INVAL);
  });

  it('default resolution is 1us', () => {
    const g = new Guest();
    const out = g.alloc(8);
    assert.equal(g.call('clock_res_get', 1, out), 0);
    assert.equal(g.u64(out), 1000n);
  });

  it('random_get uses the policy source, in chunks, and fills exactly the buffer', () => {
    let calls = 0;
    const g = new Guest({ pages: 4, randomFill: (b) => { calls++; b.fill(7); } });
    const p = g.alloc(200_000 + 8);
    assert.equal(g.call('random_get', p, 200_000), 0);
    assert.equal(g.u8[p], 7);
    assert.equal(g.u8[p + 199_999], 7);
    assert.equal(g.u8[p + 200_000], 0);
    assert.ok(calls >= 4);
    const q = new Guest();
    const r = q.alloc(64);
    assert.equal(q.call('random_get', r, 64), 0);
    assert.ok(q.bytes(r, 64).some((b) => b !== 0));
    assert.equal(q.call('random_get', r, 0), 0);
  });
});

describe('stdio', () => {
  it('fd_write gathers every iovec to stdout and stderr', () => {
    const g = new Guest();
    const [iovs, n] = g.iovecs(['hel', '', 'lo']);
    const out = g.alloc(4);
    assert.equal(g.call('fd_write', 1, iovs, n, out), 0);
    assert.equal(g.u32(out), 5);
    assert.deepEqual(g.write(2, 'err'), [0, 3]);
    assert.equal(g.out(), 'hello');
    assert.equal(Buffer.concat(g.stderr).toString(), 'err');
  });

  it('fd_read from stdin bytes fills iovecs in order, then EOF', () => {
    const g = new Guest({ stdin: { kind: 'bytes', data: Buffer.from('abcdefg') } });
    const [iovs, n, [a, b]] = g.iovecs([3, 2]);
    const out = g.alloc(4);
    assert.equal(g.call('fd_read', 0, iovs, n, out), 0);
    assert.equal(g.u32(out), 5);
    assert.equal(g.text(a!, 3) + g.text(b!, 2), 'abcde');
    assert.deepEqual(g.read(0), [0, 'fg']);
    assert.deepEqual(g.read(0), [0, '']);
    assert.deepEqual(new Guest().read(0), [0, '']);
  });

  it('stdio errnos and fdstat are those of wasmtime 49', () => {
    const g = new Guest();
    const p = g.alloc(64);
    assert.equal(g.call('fd_seek', 1, 0n, 1, p), Errno.SPIPE);
    assert.equal(g.call('fd_tell', 0, p), Errno.SPIPE);
    assert.equal(g.read(1)[0], Errno.BADF);
    assert.equal(g.write(0, 'x')[0], Errno.BADF);
    for (const [name, args] of [
      ['fd_advise', [1, 0n, 0n, 0]], ['fd_allocate', [1, 0n, 1n]], ['fd_sync', [1]], ['fd_datasync', [1]],
      ['fd_fdstat_set_flags', [1, 1]], ['fd_filestat_set_size', [1, 0n]], ['fd_filestat_set_times', [1, 0n, 0n, 8]],
      ['fd_fdstat_set_rights', [1, 0n, 0n]], ['fd_readdir', [0, p, 10, 0n, p]], ['fd_prestat_get', [1, p]],
      ['path_create_directory', [1, p, 1]],
    ] as const) {
      assert.equal(g.call(name, ...args), Errno.BADF, name);
    }
    assert.equal(g.call('fd_prestat_dir_name', 1, p, 10), Errno.NOTDIR);
    assert.equal(g.call('fd_fdstat_get', 0, p), 0);
    assert.deepEqual([g.u8[p], g.u64(p + 8), g.u64(p + 16)], [0, 2n, 2n]);
    assert.equal(g.call('fd_fdstat_get', 1, p), 0);
    assert.deepEqual([g.u8[p], g.u64(p + 8)], [0, 0x40n]);
    g.u8.fill(0xaa, p, p + 64);
    assert.equal(g.call('fd_filestat_get', 2, p), 0);
    assert.ok(g.bytes(p, 64).every((b) => b === 0));
  });

  it('a terminal sink is a character device (so wasi-libc line-buffers and isatty() is true)', () => {
    const g = new Guest({ stdout: { write() {}, isTTY: true } });
    const p = g.alloc(24);
    assert.equal(g.call('fd_fdstat_get', 1, p), 0);
    assert.deepEqual([g.u8[p], g.u64(p + 8) & ((1n << 2n) | (1n << 5n))], [2, 0n]);
    assert.equal(g.call('fd_fdstat_get', 2, p), 0);
    assert.equal(g.u8[p], 0);
  });

  it('an output cap delivers what fits, ends the run with output-limit, and the context is dead after', () => {
    const got: Buffer[] = [];
    const g = new Guest({ stdoutCap: 10, stdout: { write: (c) => got.push(Buffer.from(c)) } });
    assert.deepEqual(g.write(1, '12345678'), [0, 8]);
    let thrown: unknown;
    try {
      g.write(1, 'abcdef');
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof RunAbort);
    assert.ok(thrown.error instanceof WardenError);
    assert.equal(thrown.error.kind, 'output-limit');
    assert.equal(thrown.error.message, 'stdout exceeded its limit of 10 bytes');
    assert.deepEqual(thrown.error.details, { stream: 'stdout', limit: 10 });
    assert.equal(Buffer.concat(got).toString(), '12345678ab');
    // Every later call re-throws the same abort, even ones that touch nothing.
    assert.throws(() => g.call('sched_yield'), (e: unknown) => e === thrown);
    assert.throws(() => g.write(2, 'x'), (e: unknown) => e === thrown);
  });

  it('stderr has its own cap and reports stderr', () => {
    const g = new Guest({ stderrCap: 0 });
    assert.deepEqual(g.write(2, ''), [0, 0]);
    assert.throws(() => g.write(2, 'x'), (e: unknown) => e instanceof RunAbort && e.error.details.stream === 'stderr');
  });
});

describe('proc_exit, proc_raise, sched_yield, sockets', () => {
  it('proc_exit throws ProcExit and every later call re-throws it', () => {
    const g = new Guest();
    let thrown: unknown;
    try {
      g.call('proc_exit', 3);
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof ProcExit);
    assert.equal(thrown.code, 3);
    assert.throws(() => g.write(1, 'after exit'), (e: unknown) => e === thrown);
    assert.equal(g.out(), '');
  });

  it('proc_raise is ENOTSUP, sched_yield succeeds, sock_* are ENOTSOCK on open fds and EBADF otherwise', () => {
    const g = new Guest();
    const p = g.alloc(16);
    assert.equal(g.call('proc_raise', 9), Errno.NOTSUP);
    assert.equal(g.call('sched_yield'), 0);
    assert.equal(g.call('sock_accept', 1, 0, p), Errno.NOTSOCK);
    assert.equal(g.call('sock_recv', 0, p, 1, 0, p, p), Errno.NOTSOCK);
    assert.equal(g.call('sock_send', 1, p, 1, 0, p), Errno.NOTSOCK);
    assert.equal(g.call('sock_shutdown', 2, 3), Errno.NOTSOCK);
    assert.equal(g.call('sock_accept', 9, 0, p), Errno.BADF);
    assert.equal(g.call('sock_shutdown', 9, 3), Errno.BADF);
  });
});

describe('fd table', () => {
  it('fd_close, fd_renumber and EBADF as wasmtime', () => {
    const g = new Guest();
    const p = g.alloc(24);
    assert.equal(g.call('fd_renumber', 1, 1), 0);
    assert.equal(g.call('fd_renumber', 1, 5), Errno.BADF);
    assert.equal(g.call('fd_renumber', 5, 1), Errno.BADF);
    assert.equal(g.call('fd_renumber', 2, 0), 0); // stderr now at 0, stdin closed
    assert.equal(g.call('fd_fdstat_get', 2, p), Errno.BADF);
    assert.deepEqual(g.write(0, 'to-stderr'), [0, 9]);
    assert.equal(Buffer.concat(g.stderr).toString(), 'to-stderr');
    assert.equal(g.call('fd_close', 0), 0);
    assert.equal(g.call('fd_close', 0), Errno.BADF);
    assert.equal(g.call('fd_fdstat_set_rights', 1, 0n, 0n), Errno.BADF);
  });
});

describe('poll_oneoff', () => {
  function sub(g: Guest, p: number, ud: bigint, tag: number, a: number, timeout = 0n, flags = 0): void {
    g.dv.setBigUint64(p, ud, true);
    g.dv.setUint8(p + 8, tag);
    g.dv.setUint32(p + 16, a, true);
    g.dv.setBigUint64(p + 24, timeout, true);
    g.dv.setUint16(p + 40, flags, true);
  }

  it('fd subscriptions are ready at once, with nbytes; clocks are then not reported', () => {
    const g = new Guest({ stdin: { kind: 'bytes', data: Buffer.from('12345') } });
    const subs = g.alloc(48 * 3);
    const evs = g.alloc(32 * 3);
    const n = g.alloc(4);
    sub(g, subs, 1n, 0, 1, 10_000_000_000n); // a 10 s clock that must not be waited for
    sub(g, subs + 48, 2n, 1, 0);
    sub(g, subs + 96, 3n, 2, 1);
    assert.equal(g.call('poll_oneoff', subs, evs, 3, n), 0);
    assert.equal(g.u32(n), 2);
    assert.deepEqual([g.u64(evs), g.u8[evs + 10], g.u64(evs + 16), g.dv.getUint16(evs + 8, true)], [2n, 1, 5n, 0]);
    assert.deepEqual([g.u64(evs + 32), g.u8[evs + 42]], [3n, 2]);
  });

  it('clock subscriptions (relative and absolute) sleep until the earliest and report the clocks due', () => {
    const g = new Guest();
    const subs = g.alloc(48 * 2);
    const evs = g.alloc(32 * 2);
    const n = g.alloc(4);
    const now = g.alloc(8);
    sub(g, subs, 7n, 0, 1, 1_000_000n); // monotonic, 1 ms
    sub(g, subs + 48, 9n, 0, 1, 60_000_000_000n); // a minute: never reached
    assert.equal(g.call('poll_oneoff', subs, evs, 2, n), 0);
    assert.deepEqual([g.u32(n), g.u64(evs), g.u8[evs + 10], g.dv.getUint16(evs + 8, true)], [1, 7n, 0, 0]);
    g.call('clock_time_get', 0, 0n, now);
    sub(g, subs, 8n, 0, 0, g.u64(now) - 5n, 1); // realtime, absolute, already past
    sub(g, subs + 48, 10n, 0, 1, 60_000_000_000n);
    assert.equal(g.call('poll_oneoff', subs, evs, 2, n), 0);
    assert.deepEqual([g.u32(n), g.u64(evs)], [1, 8n]);
    g.call('clock_time_get', 1, 0n, now);
    sub(g, subs, 11n, 0, 1, g.u64(now) + 1_000_000n, 1); // monotonic, absolute, 1 ms ahead
    assert.equal(g.call('poll_oneoff', subs, evs, 1, n), 0);
    g.call('clock_time_get', 1, 0n, now + 8);
    assert.deepEqual([g.u32(n), g.u64(evs)], [1, 11n]);
    assert.ok(g.u64(now + 8) >= g.u64(now) + 1_000_000n - 1000n);
  });

  it('subscriptions and events may overlap (in == out)', () => {
    const g = new Guest({ stdin: { kind: 'bytes', data: Buffer.from('xy') } });
    const buf = g.alloc(48 * 3);
    const n = g.alloc(4);
    sub(g, buf, 100n, 2, 1);
    sub(g, buf + 48, 200n, 1, 0);
    sub(g, buf + 96, 300n, 2, 2);
    assert.equal(g.call('poll_oneoff', buf, buf, 3, n), 0);
    assert.equal(g.u32(n), 3);
    assert.deepEqual([0, 1, 2].map((i) => [g.u64(buf + i * 32), g.u8[buf + i * 32 + 10]]), [[100n, 2], [200n, 1], [300n, 2]]);
    assert.equal(g.u64(buf + 32 + 16), 2n);
  });

  it('a sleep past the run deadline is cut short there and ends the run (context dead after)', () => {
    const abort = new RunAbort(new WardenError('timeout', 'deadline passed'));
    const g = new Guest({ deadline: { at: performance.now() + 500, expired: () => abort } });
    const subs = g.alloc(48);
    const evs = g.alloc(32);
    const n = g.alloc(4);
    sub(g, subs, 1n, 0, 1, 1_000_000n); // 1 ms: within the deadline
    assert.equal(g.call('poll_oneoff', subs, evs, 1, n), 0);
    sub(g, subs, 1n, 0, 1, 3_600_000_000_000n); // an hour
    assert.throws(() => g.call('poll_oneoff', subs, evs, 1, n), (e: unknown) => e === abort);
    assert.throws(() => g.call('sched_yield'), (e: unknown) => e === abort);
  });

  it('errnos: no subscriptions EINVAL, closed fd EBADF, bad tag or clock EINVAL', () => {
    const g = new Guest();
    const subs = g.alloc(48);
    const evs = g.alloc(32);
    const n = g.alloc(4);
    assert.equal(g.call('poll_oneoff', subs, evs, 0, n), Errno.INVAL);
    sub(g, subs, 1n, 1, 42);
    assert.equal(g.call('poll_oneoff', subs, evs, 1, n), Errno.BADF);
    sub(g, subs, 1n, 3, 0);
    assert.equal(g.call('poll_oneoff', subs, evs, 1, n), Errno.INVAL);
    for (const clock of [2, 3, 99]) {
      sub(g, subs, 1n, 0, clock, 1n);
      assert.equal(g.call('poll_oneoff', subs, evs, 1, n), Errno.INVAL);
    }
    sub(g, subs, 1n, 0, 1, 1n, 2); // unknown subclockflags bit
    assert.equal(g.call('poll_oneoff', subs, evs, 1, n), Errno.INVAL);
  });
});

describe('memory and trace', () => {
  it('views follow memory.grow', () => {
    const g = new Guest({ stdin: { kind: 'bytes', data: Buffer.from('grown') } });
    assert.equal(g.call('random_get', 70_000, 4), Errno.FAULT);
    g.memory.grow(1);
    const iov = 70_000;
    g.dv.setUint32(iov, 70_016, true);
    g.dv.setUint32(iov + 4, 5, true);
    assert.equal(g.call('fd_read', 0, iov, 1, iov + 8), 0);
    assert.equal(g.text(70_016, 5), 'grown');
    assert.equal(g.u32(iov + 8), 5);
  });

  it('host exceptions become errnos, never escape', () => {
    const g = new Guest({ randomFill: () => { throw new TypeError('boom'); } });
    const p = g.alloc(8);
    assert.equal(g.call('random_get', p, 8), Errno.IO);
    const h = new Guest({ stdout: { write: () => { throw Object.assign(new Error('pipe'), { code: 'EPIPE' }); } } });
    assert.deepEqual(h.write(1, 'x'), [Errno.PIPE, 0]);
  });

  it('trace logs decoded args, errno and outputs; no trace work when off', () => {
    const g = new Guest({ traceOn: true, args: ['a'] });
    const [c, s] = [g.alloc(4), g.alloc(4)];
    g.call('args_sizes_get', c, s);
    g.write(1, 'hi');
    g.call('fd_seek', 1, -1n, 1, c);
    g.call('clock_time_get', 1, 0n, 65536);
    assert.equal(g.trace[0], `wasi: args_sizes_get(argc_out=0x${c.toString(16)}, argv_buf_size_out=0x${s.toString(16)}) -> errno 0 (SUCCESS) argc=1 size=2`);
    assert.match(g.trace[1]!, /^wasi: fd_write\(fd=1, iovs=0x[0-9a-f]+, iovs_len=1, nwritten_out=0x[0-9a-f]+\) -> errno 0 \(SUCCESS\) nwritten=2$/);
    assert.match(g.trace[2]!, /^wasi: fd_seek\(fd=1, offset=-1, whence=CUR, out=0x[0-9a-f]+\) -> errno 70 \(SPIPE\)$/);
    assert.match(g.trace[3]!, /clock_time_get\(id=MONOTONIC, precision=0, out=0x10000\) -> errno 21 \(FAULT\)$/);
    g.call('fd_seek', 1, undefined, 'x', c); // values a wasm caller cannot pass: still one line, no throw
    assert.match(g.trace[4]!, /^wasi: fd_seek\(fd=1, offset=\?, whence=SET, out=0x[0-9a-f]+\) -> errno 29 \(IO\)$/);
    g.trace.length = 4;
    assert.throws(() => g.call('proc_exit', 4), ProcExit);
    assert.equal(g.trace[4], 'wasi: proc_exit(rval=4) -> exit 4');
  });
});
