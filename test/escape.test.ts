// Adversarial suite: C guests (test/guests/escape) try to leave their preopen (host and in-memory)
// through every path_* function, fd tricks, symlink games and live host-side swaps, and to write
// through read-only mounts, via the library and `warden run`. Every attempt is refused, with
// wasmtime 49's errno, and the trees outside (and the read-only ones) are unchanged after each.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync, closeSync, constants as fsc, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync,
  openSync, unlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MemoryFs, run, type DirOption, type RunResult } from '../src/index.js';
import { diffTrees, snapshotDirNode, snapshotTree, type TreeSnapshot } from './helpers/tree-snapshot.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const guest = (name: string): Uint8Array => readFileSync(join(REPO, 'test/guests/escape', `${name}.wasm`));
const ESCAPE_WASM = guest('escape');
const READONLY_WASM = guest('readonly');
const RACE_WASM = guest('race');

const scratch = mkdtempSync(join(tmpdir(), 'warden-escape-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let fixtures = 0;

/**
 * A fresh host tree for one run:
 *   R/parent-secret.txt, R/marker.txt (secrets one level above the sandbox)
 *   R/outside/{secret.txt, link_out -> secret.txt, emptydir/, dir/}
 *   R/sandbox/ (the preopen) with inside files and host-planted symlinks that point outside
 *   R/ro/ and R/rw/ for the read-only suite
 */
function makeFixture() {
  const root = join(scratch, `f${fixtures++}`);
  const secret = `TOP-SECRET-outside-${randomBytes(8).toString('hex')}`;
  const parentSecret = `TOP-SECRET-parent-${randomBytes(8).toString('hex')}`;
  const p = (...parts: string[]) => join(root, ...parts);
  for (const d of ['outside/emptydir', 'outside/dir', 'sandbox/sub/deeper', 'sandbox/emptydir', 'sandbox/proc/self/fd/3',
    'ro/dir', 'ro/emptydir', 'rw/dir']) {
    mkdirSync(p(d), { recursive: true });
  }
  const files: Record<string, string> = {
    'parent-secret.txt': parentSecret,
    'marker.txt': parentSecret,
    'outside/secret.txt': secret,
    'sandbox/marker.txt': 'inside-marker',
    'sandbox/sub/file.txt': 'inside-sub',
    'sandbox/proc/self/marker_self': 'inside-proc-self',
    'ro/file.txt': 'ro-content',
    'ro/dir/inner.txt': 'ro-inner',
    'rw/src.txt': 'rw-src',
  };
  for (const [f, content] of Object.entries(files)) writeFileSync(p(f), content);
  const links: Record<string, string> = {
    'outside/link_out': 'secret.txt',
    'sandbox/l_outside': '../outside',
    'sandbox/l_secret': '../outside/secret.txt',
    'sandbox/l_abs_secret': p('outside/secret.txt'),
    'sandbox/l_abs_outside': p('outside'),
    'sandbox/l_proc_root': '/proc/self/root',
    'sandbox/l_proc_fd': '/proc/self/fd/3',
    'sandbox/l_proc_cwd': '/proc/self/cwd',
    'sandbox/l_up3': '../../..',
    'sandbox/l_passwd': '/etc/passwd',
    'sandbox/chain_a': 'chain_b',
    'sandbox/chain_b': 'sub/chain_c',
    'sandbox/sub/chain_c': '../../outside/secret.txt',
    'sandbox/sub/deeper/step1': '../step2',
    'sandbox/sub/step2': '../step3',
    'sandbox/step3': '../outside/secret.txt',
    'sandbox/loop_a': 'loop_b',
    'sandbox/loop_b': 'loop_a',
    'sandbox/grow': 'grow/grow',
    'ro/link': 'file.txt',
    'ro/dangle': 'created.txt',
  };
  for (const [l, target] of Object.entries(links)) symlinkSync(target, p(l));
  return { root, p, secrets: [secret, parentSecret] };
}
type Fixture = ReturnType<typeof makeFixture>;

interface Line {
  name: string;
  refused: boolean;
  errno?: number;
  text: string;
}

function parseLines(stdout: Buffer): Line[] {
  return stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((text) => {
      const m = /^([\w-]+): (?:refused errno=(\d+)|ESCAPED)/.exec(text);
      if (!m) return { name: '?', refused: false, text };
      return { name: m[1]!, refused: m[2] !== undefined, errno: m[2] === undefined ? undefined : Number(m[2]), text };
    });
}

async function listAttempts(wasm: Uint8Array): Promise<string[]> {
  const r = await run(wasm, { args: ['--list'] });
  assert.equal(r.exitCode, 0, r.stderr.toString());
  return r.stdout.toString().split('\n').filter((l) => l.length > 0);
}

/** Everything the guest printed must be free of every secret. */
function assertNoSecrets(r: { stdout: Buffer; stderr: Buffer }, fx: Fixture, name: string): void {
  const out = r.stdout.toString('latin1') + r.stderr.toString('latin1');
  for (const s of fx.secrets) assert.ok(!out.includes(s), `${name}: a secret appeared in the guest's output:\n${out}`);
  assert.ok(!out.includes('root:x:0:0'), `${name}: /etc/passwd appeared in the guest's output`);
}

/** A copy of a host directory tree (dirs, files, symlinks as they are) in a fresh in-memory fs. */
function toMemory(hostDir: string): MemoryFs {
  const fs = new MemoryFs();
  const copy = (rel: string) => {
    for (const name of readdirSync(join(hostDir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(hostDir, r));
      if (st.isSymbolicLink()) fs.symlink(readlinkSync(join(hostDir, r)), r);
      else if (st.isDirectory()) (fs.mkdirp(r), copy(r));
      else fs.writeFile(r, readFileSync(join(hostDir, r)));
    }
  };
  copy('');
  return fs;
}

/** A memory fs's whole tree, through a fresh root node. */
function snapshotMemory(fs: MemoryFs): TreeSnapshot {
  const root = fs.root();
  try {
    return snapshotDirNode(root);
  } finally {
    root.close();
  }
}

/** The host process's open file descriptors, each with what it points at. */
function openHostFds(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return `${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`;
      } catch {
        return `${fd} (gone)`; // the fd readdir itself used
      }
    })
    .filter((l) => !l.endsWith('(gone)'))
    .sort();
}

interface Setup {
  dirs: DirOption[];
  /** Trees that must be identical before and after the attempt: [label, snapshot]. */
  trees: [string, () => TreeSnapshot][];
  /** A host directory opened and passed as the guest's stdin (host fd). */
  stdinDir?: string;
}

/** Runs one attempt and checks: one refused line, no secret in the output, watched trees unchanged. */
async function runAttempt(wasm: Uint8Array, name: string, setup: (fx: Fixture) => Setup): Promise<Line | 'trapped'> {
  const fx = makeFixture();
  const { dirs, trees, stdinDir } = setup(fx);
  const snaps = trees.map(([label, snap]): [string, () => TreeSnapshot, TreeSnapshot] => [label, snap, snap()]);
  const passwdBefore = snapshotTree('/etc/passwd');
  const hostFds = openHostFds();
  const stdinFd = stdinDir === undefined ? undefined : openSync(stdinDir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  let r: RunResult;
  try {
    r = await run(wasm, {
      args: [name],
      env: { OUTSIDE_ABS: fx.p('outside/secret.txt'), OUTSIDE_DIR: fx.p('outside') },
      dirs,
      ...(stdinFd === undefined ? {} : { stdin: { fd: stdinFd } }),
    });
  } finally {
    if (stdinFd !== undefined) closeSync(stdinFd); // throws if the run closed the host's fd
  }
  for (const [label, snap, before] of snaps) assert.deepEqual(diffTrees(before, snap()), [], `${name}: ${label} changed`);
  assert.deepEqual(diffTrees(passwdBefore, snapshotTree('/etc/passwd')), [], `${name}: /etc/passwd changed`);
  assert.deepEqual(openHostFds(), hostFds, `${name}: the run leaked host file descriptors`);
  assertNoSecrets(r, fx, name);
  // A hostile pointer may end the guest with a trap (wasmtime traps; Warden may answer EFAULT):
  // either way nothing was reached and the host is fine.
  if (r.error?.kind === 'trap' && name.includes('hostile') && r.stdout.length === 0) return 'trapped';
  const lines = parseLines(r.stdout);
  assert.equal(lines.length, 1, `${name}: expected one line, got:\n${r.stdout}${r.stderr}\n${r.error?.message ?? ''}`);
  const line = lines[0]!;
  assert.equal(line.name, name, line.text);
  assert.ok(line.refused, `${line.text}`);
  assert.equal(r.error, undefined, `${name}: ${r.error?.message}`);
  assert.equal(r.exitCode, 0, `${name}: exit ${r.exitCode}, stderr: ${r.stderr}`);
  return line;
}

/** The host tree (all of it, or all but the preopened sandbox that the guest may change). */
const hostTree = (fx: Fixture, exclude: string[] = []): [string, () => TreeSnapshot] => [
  `host tree ${fx.root}${exclude.length ? ` (but ${exclude.join(', ')})` : ''}`,
  () => snapshotTree(fx.root, { exclude }),
];

/** The suites: guest, backend, how the mounts are made, what must not change. */
const SUITES: { title: string; wasm: Uint8Array; names: string[]; wasmtime?: Record<string, number>; setup: (fx: Fixture) => Setup }[] = [];

/** What wasmtime 49 answers for each attempt (same guests and layout; TRAP: wasmtime traps). */
const TRAP = -1, EPERM = 63, ELOOP = 32, ENOENT = 44, EBADF = 8, ENOTDIR = 54, EINVAL = 28, ENAMETOOLONG = 37,
  ENOTSUP = 58, EFAULT = 21, EISDIR = 31, EBUSY = 10, EILSEQ = 25, ENOTSOCK = 57;
const WASMTIME_ESCAPE_ERRNO: Record<string, number> = {
  open_long_climbing_path: ENAMETOOLONG, open_huge_path: ENAMETOOLONG, open_embedded_nul: EINVAL,
  open_nul_truncates_to_parent: EINVAL, open_empty_path: ENOENT, open_proc_self_root_name: ENOENT,
  open_rel_symlink_nofollow: ELOOP, open_symlink_loop: ELOOP, open_symlink_loop_intermediate: ELOOP,
  open_symlink_growing_loop: ELOOP, guest_symlink_rel_nofollow: ELOOP, guest_symlink_abs: ENOENT,
  link_old_symlink_follow: EINVAL, rmdir_symlink_to_outside_dir: ENOTDIR, rmdir_preopen_itself: EINVAL,
  unlink_symlink_not_target: 0, fd_close_preopen_then_use: EBADF, file_fd_as_dir: ENOTDIR, fd_never_opened: EBADF,
  fd_guess_above_preopens: EBADF, fd_stdio_as_dir: EBADF, prestat_dir_name_tiny_buffer: ENAMETOOLONG,
  rename_dot_and_root: EBUSY, symlink_target_embedded_nul: EINVAL, open_overlong_utf8_dotdot: EILSEQ,
  open_backslash_dotdot: ENOENT, prestat_on_opened_dir: EBADF, fd_renumber_file_over_preopen: ENOTDIR,
  fd_renumber_to_unopened: EBADF, rename_dir_into_itself: EINVAL, sock_accept_on_preopen: ENOTSOCK,
  readlink_hostile_buffer: TRAP, prestat_dir_name_hostile_pointer: TRAP, path_open_hostile_pointers: TRAP,
  // every other escape attempt: EPERM
};
const WASMTIME_RO_ERRNO: Record<string, number> = {
  ro_open_append_read_rights: EBADF, ro_fd_write: EBADF, ro_fd_pwrite: EBADF, ro_fd_allocate: ENOTSUP,
  ro_fdstat_set_flags_append: EBADF, ro_fdstat_set_rights_escalate: EBADF, ro_fd_write_preopen: EBADF,
  // every other read-only attempt: EPERM
};
/**
 * Where Warden may answer differently (either value passes). Out-of-bounds guest pointers give
 * EFAULT instead of wasmtime's trap, by design (issue: "a hostile value gives an errno"). The two
 * read-only ones are check-order differences still to align in the WASI layer: wasmtime refuses a
 * write on a read-only mount (EPERM) before it looks at the file type, the fd's open mode, or
 * whether the fd is a preopen (fd_filestat_set_times on a preopen: EBADF when rw, EPERM when ro).
 */
const ALLOWED_DIFFERENCES: Record<string, number> = {
  readlink_hostile_buffer: EFAULT,
  prestat_dir_name_hostile_pointer: EFAULT,
  path_open_hostile_pointers: EFAULT,
};

/** Every refusal has wasmtime's errno (or an allowed difference); all differences are listed. */
function compareWithWasmtime(t: { diagnostic(s: string): void }, got: Map<string, number>, table: Record<string, number>) {
  const diffs = [...got]
    .filter(([n, e]) => (table[n] ?? EPERM) !== e && ALLOWED_DIFFERENCES[n] !== e)
    .map(([n, e]) => `${n}: warden ${e}, wasmtime ${table[n] ?? EPERM}`);
  t.diagnostic(`${got.size} attempts compared with wasmtime 49`);
  assert.deepEqual(diffs, [], 'errnos that differ from wasmtime 49');
}

const ESCAPE_NAMES = await listAttempts(ESCAPE_WASM);
const READONLY_NAMES = await listAttempts(READONLY_WASM);
SUITES.push(
  {
    title: 'escape attempts from a preopened host directory',
    wasm: ESCAPE_WASM,
    names: ESCAPE_NAMES,
    wasmtime: WASMTIME_ESCAPE_ERRNO,
    // stdin is the outside directory itself, opened by the host: a stream, never a way in.
    setup: (fx) => ({ dirs: [{ guest: '/sandbox', host: fx.p('sandbox') }], trees: [hostTree(fx, ['sandbox'])], stdinDir: fx.p('outside') }),
  },
  {
    title: 'escape attempts from an in-memory preopen (same tree and planted symlinks)',
    wasm: ESCAPE_WASM,
    names: ESCAPE_NAMES,
    wasmtime: WASMTIME_ESCAPE_ERRNO,
    setup: (fx) => ({ dirs: [{ guest: '/sandbox', memory: toMemory(fx.p('sandbox')) }], trees: [hostTree(fx)] }),
  },
  {
    title: 'writes through a read-only host mount',
    wasm: READONLY_WASM,
    names: READONLY_NAMES,
    wasmtime: WASMTIME_RO_ERRNO,
    setup: (fx) => ({
      dirs: [
        { guest: '/ro', host: fx.p('ro'), readOnly: true },
        { guest: '/rw', host: fx.p('rw') },
      ],
      // The read-only tree (contents, names, times), the rw tree (nothing moved or linked into it), the rest.
      trees: [hostTree(fx)],
    }),
  },
  {
    title: 'writes through a read-only in-memory mount',
    wasm: READONLY_WASM,
    names: READONLY_NAMES,
    wasmtime: WASMTIME_RO_ERRNO,
    setup: (fx) => {
      const ro = toMemory(fx.p('ro'));
      const rw = toMemory(fx.p('rw'));
      return {
        dirs: [
          { guest: '/ro', memory: ro, readOnly: true },
          { guest: '/rw', memory: rw },
        ],
        trees: [['memory /ro', () => snapshotMemory(ro)], ['memory /rw', () => snapshotMemory(rw)], hostTree(fx)],
      };
    },
  },
);

for (const suite of SUITES) {
  describe(suite.title, () => {
    const errnos = new Map<string, number>();

    test('the guest has at least 40 distinct attempts', () => {
      assert.equal(new Set(suite.names).size, suite.names.length);
      assert.ok(suite.names.length >= 40, `only ${suite.names.length} attempts`);
    });

    for (const name of suite.names) {
      test(name, async () => {
        const line = await runAttempt(suite.wasm, name, suite.setup);
        errnos.set(name, line === 'trapped' ? TRAP : line.errno!);
      });
    }

    const table = suite.wasmtime;
    if (table) test('errnos compared with wasmtime 49', (t) => compareWithWasmtime(t, errnos, table));
  });
}

/** Worker body: swaps sandbox/swap (dir <-> symlink to ../outside) and sandbox/swapf (file <->
 * symlink to the secret) with atomic renames until told to stop (or a hard bound). */
const SWAPPER = `
const { workerData, parentPort } = require('node:worker_threads');
const { renameSync } = require('node:fs');
const { join } = require('node:path');
const { sandbox, stop } = workerData;
const flag = new Int32Array(stop);
const p = (n) => join(sandbox, n);
const seq = [['swap', 'swap_d'], ['swap_l', 'swap'], ['swap', 'swap_l'], ['swap_d', 'swap'],
             ['swapf', 'swapf_f'], ['swapf_l', 'swapf'], ['swapf', 'swapf_l'], ['swapf_f', 'swapf']];
let swaps = 0;
parentPort.postMessage('ready');
const deadline = Date.now() + 120000;
while (Atomics.load(flag, 0) === 0 && Date.now() < deadline) {
  for (const [a, b] of seq) renameSync(p(a), p(b));
  swaps++;
}
parentPort.postMessage(swaps);
`;

/** Worker body: the same swaps done by another Warden sandbox (race.wasm swapper) on the same directory. */
const SANDBOX_SWAPPER = `
const { workerData, parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
(async () => {
  const { run } = await import(workerData.index);
  const wasm = readFileSync(workerData.wasm);
  parentPort.postMessage('ready');
  const r = await run(wasm, { args: ['swapper', '1000000'], dirs: [{ guest: '/sandbox', host: workerData.sandbox }] });
  parentPort.postMessage({ exitCode: r.exitCode, out: r.stdout.toString() + r.stderr.toString() + (r.error ? r.error.message : '') });
})();
`;

interface Swapper {
  by: string;
  /** Starts swapping in `sandbox`; resolves once it runs. `finish` stops it and checks it swapped. */
  start(sandbox: string): Promise<{ finish(): Promise<string> }>;
}

function startWorker(code: string, workerData: object): { worker: Worker; ready: Promise<void>; result: Promise<unknown> } {
  const worker = new Worker(code, { eval: true, workerData });
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const result = new Promise<unknown>((resolve, reject) => {
    worker.on('message', (m) => (m === 'ready' ? ready() : resolve(m)));
    worker.on('error', reject);
  });
  return { worker, ready: started, result };
}

const SWAPPERS: Swapper[] = [
  {
    by: 'a host thread',
    async start(sandbox) {
      const stop = new SharedArrayBuffer(4);
      const w = startWorker(SWAPPER, { sandbox, stop });
      await w.ready;
      return {
        async finish() {
          Atomics.store(new Int32Array(stop), 0, 1);
          const swaps = (await w.result) as number;
          await w.worker.terminate();
          assert.ok(swaps > 0, 'the swapper never ran');
          return `${swaps} swap rounds`;
        },
      };
    },
  },
  {
    by: 'another sandbox',
    async start(sandbox) {
      const index = new URL('../src/index.js', import.meta.url).href;
      const w = startWorker(SANDBOX_SWAPPER, { sandbox, index, wasm: join(REPO, 'test/guests/escape/race.wasm') });
      await w.ready;
      return {
        async finish() {
          writeFileSync(join(sandbox, 'stop'), '');
          const r = (await w.result) as { exitCode: number; out: string };
          await w.worker.terminate();
          assert.equal(r.exitCode, 0, r.out);
          const m = /swapper: (\d+) rounds, 0 failed renames/.exec(r.out);
          assert.ok(m && Number(m[1]) > 0, `the swapping sandbox did not swap: ${r.out}`);
          return `${m[1]} swap rounds by the other sandbox`;
        },
      };
    },
  },
];

for (const swapper of SWAPPERS) {
  test(`a directory swapped for a symlink to outside by ${swapper.by} while the guest works through it`, async (t) => {
    const fx = makeFixture();
    mkdirSync(fx.p('sandbox/swap'));
    writeFileSync(fx.p('sandbox/swap/secret.txt'), 'inside-swap');
    writeFileSync(fx.p('sandbox/swap/r.txt'), 'inside-swap');
    writeFileSync(fx.p('sandbox/swapf'), 'inside-swap');
    symlinkSync('../outside', fx.p('sandbox/swap_l'));
    symlinkSync('../outside/secret.txt', fx.p('sandbox/swapf_l'));
    const before = snapshotTree(fx.root, { exclude: ['sandbox'] });

    const running = await swapper.start(fx.p('sandbox'));
    let r: RunResult;
    let summary: string;
    try {
      r = await run(RACE_WASM, { args: ['1500'], dirs: [{ guest: '/sandbox', host: fx.p('sandbox') }] });
    } finally {
      summary = await running.finish();
    }

    assertNoSecrets(r, fx, 'race');
    assert.deepEqual(diffTrees(before, snapshotTree(fx.root, { exclude: ['sandbox'] })), [], 'host tree outside the sandbox changed');
    const lines = parseLines(r.stdout);
    assert.equal(lines.length, 11, `${r.stdout}${r.stderr}${r.error?.message ?? ''}`);
    for (const l of lines) assert.ok(l.refused, l.text);
    assert.equal(r.exitCode, 0, r.stderr.toString());
    t.diagnostic(`${summary} during the run; ${lines.map((l) => l.text).join('; ')}`);
  });
}

/** Worker body: waits for the guest's held_ready, then moves sandbox/held out to R/elsewhere/held. */
const MOVER = `
const { workerData, parentPort } = require('node:worker_threads');
const { existsSync, renameSync } = require('node:fs');
const { sandbox, dest } = workerData;
const cell = new Int32Array(new SharedArrayBuffer(4));
const deadline = Date.now() + 60000;
while (!existsSync(sandbox + '/held_ready') && Date.now() < deadline) Atomics.wait(cell, 0, 0, 1);
renameSync(sandbox + '/held', dest);
parentPort.postMessage('moved');
`;

test('an fd held on a directory that the host moves out of the sandbox cannot climb out', async (t) => {
  const fx = makeFixture();
  const elsewhereSecret = `TOP-SECRET-elsewhere-${randomBytes(8).toString('hex')}`;
  mkdirSync(fx.p('sandbox/held'));
  writeFileSync(fx.p('sandbox/held/inner.txt'), 'inside-held');
  mkdirSync(fx.p('elsewhere'));
  writeFileSync(fx.p('elsewhere/secret.txt'), elsewhereSecret);
  symlinkSync('secret.txt', fx.p('elsewhere/link_el'));
  const before = snapshotTree(fx.root, { exclude: ['sandbox'] });

  const worker = new Worker(MOVER, { eval: true, workerData: { sandbox: fx.p('sandbox'), dest: fx.p('elsewhere/held') } });
  const moved = new Promise<void>((resolve, reject) => {
    worker.on('message', () => resolve());
    worker.on('error', reject);
  });
  const r = await run(RACE_WASM, { args: ['held'], dirs: [{ guest: '/sandbox', host: fx.p('sandbox') }] });
  await moved;
  await worker.terminate();

  assertNoSecrets(r, fx, 'held');
  assert.ok(!r.stdout.toString().includes(elsewhereSecret), `the secret next to the moved dir leaked:\n${r.stdout}`);
  const lines = parseLines(r.stdout);
  assert.equal(lines.length, 7, `${r.stdout}${r.stderr}${r.error?.message ?? ''}`);
  for (const l of lines) assert.ok(l.refused, l.text);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  // The only changes outside: the host's own move (elsewhere gained held, with its content intact).
  const after = snapshotTree(fx.root, { exclude: ['sandbox'] });
  const diffs = diffTrees(before, after).filter((d) => !/^changed (mtimeNs|ctimeNs|nlink): elsewhere /.test(d));
  assert.deepEqual(diffs, ['added: elsewhere/held', 'added: elsewhere/held/inner.txt']);
  assert.equal(readFileSync(fx.p('elsewhere/held/inner.txt'), 'utf8'), 'inside-held');
  t.diagnostic(lines.map((l) => l.text).join('; '));
});

test('the tree snapshot sees every kind of change', async () => {
  const fx = makeFixture();
  const dir = fx.p('outside');
  const changes: [string, () => void][] = [
    ['content (same size)', () => writeFileSync(join(dir, 'secret.txt'), fx.secrets[0]!.replace('TOP', 'POT'))],
    ['mtime', () => utimesSync(join(dir, 'secret.txt'), 1, 1)],
    ['mode', () => chmodSync(join(dir, 'secret.txt'), 0o600)],
    ['hard link (nlink)', () => linkSync(join(dir, 'secret.txt'), fx.p('hl'))],
    ['symlink target', () => (unlinkSync(join(dir, 'link_out')), symlinkSync('secreT.txt', join(dir, 'link_out')))],
    ['added entry', () => writeFileSync(join(dir, 'dir/new.txt'), '')],
    ['removed entry', () => rmdirSync(join(dir, 'emptydir'))],
  ];
  for (const [what, change] of changes) {
    const before = snapshotTree(dir);
    change();
    assert.notDeepEqual(diffTrees(before, snapshotTree(dir)), [], `${what} went unnoticed`);
  }
  assert.deepEqual(diffTrees(snapshotTree(dir), snapshotTree(dir)), []);
});

/** Attempts that close or renumber the preopen itself: they run alone, never in a shared instance. */
const DESTROYS_PREOPEN = new Set(['fd_renumber_over_preopen', 'fd_close_preopen_then_use', 'fd_renumber_file_over_preopen', 'fd_renumber_to_unopened']);

describe('the same attempts through `warden run`, all in one instance', () => {
  const cli = join(REPO, 'dist/src/cli/main.js');
  const cases = [
    {
      what: 'escape attempts (--dir HOST::GUEST)',
      wasm: 'escape',
      names: ESCAPE_NAMES.filter((n) => !DESTROYS_PREOPEN.has(n)),
      dirs: (fx: Fixture) => [`${fx.p('sandbox')}::/sandbox`],
      exclude: ['sandbox'],
    },
    {
      what: 'read-only writes (--dir HOST::GUEST:ro)',
      wasm: 'readonly',
      names: READONLY_NAMES,
      dirs: (fx: Fixture) => [`${fx.p('ro')}::/ro:ro`, `${fx.p('rw')}::/rw`],
      exclude: [],
    },
  ];
  for (const c of cases) {
    test(c.what, () => {
      const fx = makeFixture();
      const before = snapshotTree(fx.root, { exclude: c.exclude });
      const args = ['run', ...c.dirs(fx).flatMap((d) => ['--dir', d])];
      args.push('--env', `OUTSIDE_ABS=${fx.p('outside/secret.txt')}`, '--env', `OUTSIDE_DIR=${fx.p('outside')}`);
      args.push(join(REPO, 'test/guests/escape', `${c.wasm}.wasm`), ...c.names);
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'buffer', timeout: 120_000 });
      assertNoSecrets(r, fx, c.what);
      assert.deepEqual(diffTrees(before, snapshotTree(fx.root, { exclude: c.exclude })), [], 'host tree changed');
      const lines = parseLines(r.stdout);
      assert.deepEqual(lines.map((l) => l.name), c.names, `${r.stdout}${r.stderr}`);
      for (const l of lines) assert.ok(l.refused, l.text);
      assert.equal(r.status, 0, r.stderr.toString());
    });
  }
});
