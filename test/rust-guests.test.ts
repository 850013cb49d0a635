// Rust guests (test/guests/rust, built with rustc for wasm32-wasi) run through the library: std::fs
// on host and in-memory dirs, std::env, stdin->stdout, std::time, process::exit and a panic trap.
// Expected transcripts were recorded from the same .wasm files under wasmtime 49.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { run, MemoryFs, type DirOption } from '../src/index.js';

const REPO = new URL('../..', import.meta.url).pathname;
const guest = (name: string): Uint8Array => readFileSync(join(REPO, 'test/guests/rust', `${name}.wasm`));

/** Every file (with its content) and directory (trailing /) beneath `root`, sorted. */
function hostTree(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const rel = relative(root, abs);
      if (statSync(abs).isDirectory()) {
        out.push(rel + '/');
        visit(abs);
      } else {
        out.push(`${rel} = ${JSON.stringify(readFileSync(abs, 'utf8'))}`);
      }
    }
  };
  visit(root);
  return out;
}

function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-rust-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

// What the fs guest prints (identical under wasmtime 49; the errnos are WASI's: 20 EEXIST,
// 44 ENOENT, 55 ENOTEMPTY, 63 EPERM for the `..` escape).
const FS_TRANSCRIPT = `create_dir again: AlreadyExists (errno 20)
hello.txt = "hello\\nworld\\n"
from offset 3 = "lo\\nWORLD\\n"
hello.txt: is_file=true is_dir=false len=5
a/b: is_file=false is_dir=true
a/b = ["c/", "f0", "f1", "f2", "f3", "f4"]
a/b file bytes = 15
old name: NotFound (errno 44)
moved.txt = "hello"
remove_file missing: NotFound (errno 44)
remove_dir non-empty: Other (errno 55)
open missing: NotFound (errno 44)
escape: PermissionDenied (errno 63)
a/b = ["f1", "f2", "f3", "f4"]
out = ["a/", "copy.txt"]
`;
const FS_TREE = [
  'out/',
  'out/a/',
  'out/a/b/',
  'out/a/b/f1 = "11"',
  'out/a/b/f2 = "222"',
  'out/a/b/f3 = "3333"',
  'out/a/b/f4 = "44444"',
  'out/copy.txt = "hello"',
];

describe('rust guest: std::fs', () => {
  it('builds, reads, renames and removes files in a host dir', () =>
    withTmp(async (dir) => {
      writeFileSync(join(dir, 'keep.txt'), 'untouched');
      const r = await run(guest('fs'), { args: ['/work'], dirs: [{ host: dir, guest: '/work' }] });
      assert.equal(r.stderr.toString(), '');
      assert.equal(r.exitCode, 0);
      assert.equal(r.stdout.toString(), FS_TRANSCRIPT);
      assert.deepEqual(hostTree(dir), ['keep.txt = "untouched"', ...FS_TREE]);
    }));

  it('does the same in an in-memory tree', async () => {
    const memory = new MemoryFs();
    const r = await run(guest('fs'), { args: ['/m'], dirs: [{ memory, guest: '/m' }] });
    assert.equal(r.exitCode, 0, r.stderr.toString());
    assert.equal(r.stdout.toString(), FS_TRANSCRIPT);
    assert.equal(Buffer.from(memory.readFile('out/copy.txt')).toString(), 'hello');
    assert.equal(Buffer.from(memory.readFile('out/a/b/f4')).toString(), '44444');
    assert.throws(() => memory.readFile('out/a/b/f0'));
  });

  it('panics on the first write through a read-only mount and leaves the host dir alone', () =>
    withTmp(async (dir) => {
      writeFileSync(join(dir, 'keep.txt'), 'untouched');
      const dirs: DirOption[] = [{ host: dir, guest: '/work', readOnly: true }];
      const r = await run(guest('fs'), { args: ['/work'], dirs });
      assert.equal(r.exitCode, 134);
      assert.equal(r.error?.kind, 'trap');
      // wasmtime 49 with a read-only preopen answers the same EPERM.
      assert.match(r.stderr.toString(), /panicked at 'create_dir_all: Os \{ code: 63, kind: PermissionDenied/);
      assert.deepEqual(hostTree(dir), ['keep.txt = "untouched"']);
    }));
});

describe('rust guest: std::env and process::exit', () => {
  const cases: { name: string; args: string[]; env: Record<string, string>; exitCode: number; stdout: string }[] = [
    {
      name: 'no args, empty environment',
      args: [],
      env: {},
      exitCode: 0,
      stdout: 'argc=1\nargv[0]="env.wasm"\nMISSING is set: false\n',
    },
    {
      name: 'args with spaces and UTF-8, env sorted, exit code from EXIT_CODE',
      args: ['a b', 'ü', ''],
      env: { B: '2', A: 'x=y', EXIT_CODE: '42' },
      exitCode: 42,
      stdout:
        'argc=4\nargv[0]="env.wasm"\nargv[1]="a b"\nargv[2]="ü"\nargv[3]=""\n' +
        'env A="x=y"\nenv B="2"\nenv EXIT_CODE="42"\nMISSING is set: false\n',
    },
    {
      name: 'exit code 0 through process::exit',
      args: ['x'],
      env: { EXIT_CODE: '0' },
      exitCode: 0,
      stdout: 'argc=2\nargv[0]="env.wasm"\nargv[1]="x"\nenv EXIT_CODE="0"\nMISSING is set: false\n',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await run(guest('env'), { argv0: 'env.wasm', args: c.args, env: c.env });
      assert.equal(r.exitCode, c.exitCode);
      assert.equal(r.error, undefined);
      assert.equal(r.stdout.toString(), c.stdout);
      assert.equal(r.stderr.toString(), c.env.EXIT_CODE === undefined ? '' : `exiting with ${c.exitCode}\n`);
    });
  }

  it('sees none of the host environment', async () => {
    process.env.WARDEN_RUST_GUEST_SECRET = 'leak';
    try {
      const r = await run(guest('env'), { argv0: 'env.wasm' });
      assert.doesNotMatch(r.stdout.toString(), /WARDEN_RUST_GUEST_SECRET|leak/);
    } finally {
      delete process.env.WARDEN_RUST_GUEST_SECRET;
    }
  });
});

describe('rust guest: stdin to stdout', () => {
  it('upper-cases every line and counts on stderr', async () => {
    const r = await run(guest('stdio'), { stdin: 'hello\nwörld\n\nlast line without newline' });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.toString(), 'HELLO\nWÖRLD\n\nLAST LINE WITHOUT NEWLINE\n');
    assert.equal(r.stderr.toString(), '4 lines, 40 bytes\n');
  });

  it('handles empty stdin and a large one', async () => {
    const empty = await run(guest('stdio'));
    assert.equal(empty.stdout.toString(), '');
    assert.equal(empty.stderr.toString(), '0 lines, 0 bytes\n');
    const big = 'abc\n'.repeat(50_000);
    const r = await run(guest('stdio'), { stdin: big });
    assert.equal(r.stdout.toString(), big.toUpperCase());
    assert.equal(r.stderr.toString(), `50000 lines, ${big.length} bytes\n`);
  });

  it('panics (trap, exit 134) on stdin that is not UTF-8', async () => {
    const r = await run(guest('stdio'), { stdin: new Uint8Array([0x61, 0xff, 0x0a]) });
    assert.equal(r.exitCode, 134);
    assert.equal(r.error?.kind, 'trap');
    assert.match(r.stderr.toString(), /panicked at 'stdin is not UTF-8/);
  });
});

describe('rust guest: std::time and randomness', () => {
  it('has a wall clock after 2020, a monotonic clock, sleep and a seeded HashMap', async () => {
    const r = await run(guest('clock'));
    assert.equal(r.exitCode, 0, r.stderr.toString());
    assert.equal(
      r.stdout.toString(),
      'after 2020: true\nmonotonic went backwards: 0 times\nslept at least 20ms: true\nhashmap: 100 entries, 9 -> 81\n',
    );
  });
});

describe('rust guest: panic', () => {
  it('is a trap: exit 134, the panic message on stderr, stdout kept', async () => {
    const r = await run(guest('panic'), { argv0: 'panic.wasm' });
    assert.equal(r.exitCode, 134);
    assert.equal(r.error?.kind, 'trap');
    assert.match(r.error?.message ?? '', /unreachable/);
    assert.equal(r.stdout.toString(), 'before the panic\n');
    assert.match(r.stderr.toString(), /^thread 'main' panicked at 'boom: no numbers given', test\/guests\/rust\/panic\.rs:7:9\n/);
  });

  it('runs normally when it does not panic, and the next run panics again', async () => {
    const ok = await run(guest('panic'), { args: ['1', '2', '39'] });
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.stdout.toString(), 'before the panic\nsum = 42\n');
    const again = await run(guest('panic'));
    assert.equal(again.exitCode, 134);
  });
});
