// The `warden` command, spawned as a user would: the README's main job, every flag, every
// malformed flag with its message, exit codes, --json, --trace, --help and --version.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants as fsc, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUN_FLAGS } from '../src/cli/run-command.js';
import { wat, HELLO, EXIT7, TRAP, LIBRARY, dumpStrings } from './api-modules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const POEM_LINE = '      7      42     220 /data/poem.txt\n';

interface Out {
  status: number | null;
  stdout: string;
  stderr: string;
}

function warden(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Out {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    input: opts.input ?? '',
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tmp = '';
const mod: Record<string, string> = {};
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'warden-cli-'));
  const unstable = '(module (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (func (export "_start")))';
  const sources = { unstable, hello: HELLO, exit7: EXIT7, trap: TRAP, library: LIBRARY, env: dumpStrings('environ'), args: dumpStrings('args') };
  for (const [name, text] of Object.entries(sources)) {
    mod[name] = join(tmp, `${name}.wasm`);
    writeFileSync(mod[name]!, await wat(text));
  }
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('warden run: the main job', () => {
  it('counts a file in a mounted directory (README example)', () => {
    const r = warden(['run', '--dir', 'examples/data::/data', 'examples/wc.wasm', '/data/poem.txt']);
    assert.deepEqual(r, { status: 0, stdout: POEM_LINE, stderr: '' });
  });

  it('--dir HOST maps the same path; :ro mounts read-only; --flag=value works', () => {
    const same = warden(['run', '--dir', 'examples/data', 'examples/wc.wasm', 'examples/data/poem.txt']);
    assert.equal(same.stdout, '      7      42     220 examples/data/poem.txt\n');
    const ro = warden(['run', '--dir=examples/data::/data:ro', 'examples/wc.wasm', '/data/poem.txt']);
    assert.equal(ro.stdout, POEM_LINE);
  });

  it('grants nothing that was not asked for', () => {
    const r = warden(['run', 'examples/wc.wasm', '/data/poem.txt']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^wc: \/data\/poem\.txt: /);
  });

  it('reads stdin from --stdin FILE or from its own stdin', () => {
    assert.equal(warden(['run', '--stdin', 'examples/data/poem.txt', 'examples/wc.wasm']).stdout, '      7      42     220\n');
    assert.equal(warden(['run', 'examples/cat.wasm'], { input: 'piped in\n' }).stdout, 'piped in\n');
  });

  it('ends a run waiting on a stdin pipe that never sends at its --timeout (the read waits in slices; Linux)', { skip: process.platform !== 'linux' && 'reopening a pipe through /proc is Linux-only' }, async () => {
    // stdin is a FIFO this test holds open for writing and never writes to (as `sleep 60 | warden run ...`)
    const fifo = join(mkdtempSync(join(tmpdir(), 'warden-fifo-')), 'in');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const writer = openSync(fifo, fsc.O_RDWR);
    const reader = openSync(fifo, fsc.O_RDONLY);
    try {
      const child = spawn(process.execPath, [MAIN, 'run', '--timeout', '300ms', 'examples/cat.wasm'], { cwd: ROOT, stdio: [reader, 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      clearTimeout(kill);
      assert.equal(stderr, 'error: deadline of 300ms passed\n');
      assert.equal(status, 134);
    } finally {
      closeSync(reader);
      closeSync(writer);
      rmSync(fifo);
    }
  });

  it('ends a run waiting on a stdin socket that never sends at its --timeout (as Node spawns a child with stdio "pipe")', async () => {
    const child = spawn(process.execPath, [MAIN, 'run', '--timeout', '300ms', 'examples/cat.wasm'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    clearTimeout(kill);
    child.stdin!.destroy();
    assert.equal(stderr, 'error: deadline of 300ms passed\n');
    assert.equal(status, 134);
  });

  it('reads a stdin socket to its end, what arrives late included', async () => {
    const child = spawn(process.execPath, [MAIN, 'run', '--timeout', '20s', 'examples/cat.wasm'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdin!.write('first\n');
    setTimeout(() => child.stdin!.end('second\n'), 700);
    const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    assert.equal(status, 0);
    assert.equal(stdout, 'first\nsecond\n');
  });

  it('passes args after MODULE (and after --) to the guest untouched', () => {
    const r = warden(['run', mod.args!, '--dir', 'x', '--json']);
    assert.equal(r.stdout, `${mod.args}\0--dir\0x\0--json\0`);
    const r2 = warden(['run', '--', mod.args!, '-v']);
    assert.equal(r2.stdout, `${mod.args}\0-v\0`);
  });

  it('--env sets variables exactly; --env NAME copies one host variable', () => {
    const r = warden(['run', '--env', 'A=1', '--env', 'FROM_HOST', '--env', 'UNSET_HERE', '--env', 'B=x=y', mod.env!], {
      env: { FROM_HOST: 'copied', OTHER: 'not-inherited' },
    });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'A=1\0FROM_HOST=copied\0B=x=y\0');
  });
});

describe('warden run: exit codes', () => {
  it("is the guest's exit code", () => {
    assert.equal(warden(['run', mod.exit7!]).status, 7);
    assert.equal(warden(['run', mod.hello!]).status, 0);
  });

  it('is 134 on a trap, with exactly one line on stderr', () => {
    const r = warden(['run', mod.trap!]);
    assert.equal(r.status, 134);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: trap: unreachable in func 2 <boom> at offset 0x[0-9a-f]+\n$/);
  });

  it('is 1 when the module cannot run, with one clear line', () => {
    const cases: [string[], RegExp][] = [
      [['run', 'examples/data/poem.txt'], /^error: not a WebAssembly module \(expected \\0asm magic, found 54 68 65 20 "The "\)\n$/],
      [['run', mod.library!], /^error: module has no _start export \(a WASI command\); use --invoke NAME to call one of its exports: add, pair, div, load\n$/],
      [['run', '--dir', '/nonexistent/warden::/x', mod.hello!], /^error: --dir \/nonexistent\/warden: no such directory\n$/],
      [['run', '--invoke', 'missing', mod.library!], /^error: module has no exported function "missing"/],
      [['run', mod.unstable!], /^error: 1 unsatisfied import: wasi_unstable\.fd_write \(function\); imports wasi_unstable\.fd_write: WASI snapshot 0 \(wasi_unstable\) is not supported; rebuild for wasi_snapshot_preview1\n$/],
    ];
    for (const [args, message] of cases) {
      const r = warden(args);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, message);
    }
  });

  it('is 2 for each malformed flag, naming the flag', () => {
    const cases: [string[], string][] = [
      [['run', '--dir', 'x:::', mod.hello!], 'error: --dir: expected HOST::GUEST[:ro] or HOST, got "x:::"'],
      [['run', '--dir', '::/g', mod.hello!], 'error: --dir: expected HOST::GUEST[:ro] or HOST, got "::/g"'],
      [['run', '--dir', 'a:b', mod.hello!], 'error: --dir: expected HOST::GUEST[:ro] or HOST, got "a:b"'],
      [['run', '--env', '=v', mod.hello!], 'error: --env: expected NAME=VALUE or NAME, got "=v"'],
      [['run', '--dir'], 'error: --dir: expects a value HOST::GUEST[:ro]'],
      [['run', '--json=yes', mod.hello!], 'error: --json: takes no value, got "yes"'],
      [['run', '--fuul', '5', mod.hello!], "error: unknown flag --fuul for 'warden run' (see 'warden run --help')"],
      [['run'], 'error: missing MODULE.wasm (usage: warden run [OPTIONS] MODULE.wasm [ARGS...])'],
      [['run', 'nope.wasm'], 'error: cannot read nope.wasm: no such file'],
      [['run', 'examples'], 'error: cannot read examples: is a directory'],
      [['run', '/dev/zero'], 'error: cannot read /dev/zero: not a regular file'],
      [['run', '--stdin', 'nope.txt', mod.hello!], 'error: --stdin nope.txt: no such file'],
      [['run', '--invoke', 'add', mod.library!, '1'], 'error: --invoke add: takes 2 arguments (i32, i64), got 1'],
      [['frobnicate'], 'error: unknown command "frobnicate" (commands: run, instrument, inspect, serve, sign, verify, keygen)'],
    ];
    for (const [args, message] of cases) {
      const r = warden(args);
      assert.equal(r.stderr, message + '\n', args.join(' '));
      assert.equal(r.status, 2, args.join(' '));
    }
  });
});

describe('warden run: --invoke, --json, --trace', () => {
  it('--invoke prints the results one per line', () => {
    assert.deepEqual(warden(['run', '--invoke', 'add', mod.library!, '2', '40']), { status: 0, stdout: '42\n', stderr: '' });
    assert.equal(warden(['run', '--invoke', 'pair', mod.library!]).stdout, '1\n2\n');
  });

  it('--json prints only a result object, with the guest output inside', () => {
    const r = warden(['run', '--json', '--dir', 'examples/data::/data', 'examples/wc.wasm', '/data/poem.txt']);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(j.exitCode, 0);
    assert.equal(j.stdout, POEM_LINE);
    assert.equal(j.stdoutBytes, POEM_LINE.length);
    assert.equal(j.stderrBytes, 0);
    assert.equal(typeof j.durationMs, 'number');
    assert.equal(j.error, null);
  });

  it('--json reports errors as objects too', () => {
    const t = warden(['run', '--json', mod.trap!]);
    assert.equal(t.status, 134);
    const j = JSON.parse(t.stdout) as { exitCode: number; error: { kind: string; message: string } };
    assert.equal(j.exitCode, 134);
    assert.equal(j.error.kind, 'trap');
    assert.match(j.error.message, /^trap: unreachable in func 2 <boom>/);
    const d = warden(['run', '--json', '--dir', '/nonexistent/w::/x', mod.hello!]);
    assert.equal(d.status, 1);
    assert.equal((JSON.parse(d.stdout) as { error: { kind: string } }).error.kind, 'host-dir');
  });

  it('--json keeps non-UTF-8 output intact as base64', () => {
    const r = warden(['run', '--json', 'examples/cat.wasm'], { input: '\u00ff' });
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(j.stdout, '\u00ff');
    const bin = join(tmp, 'bin.dat');
    writeFileSync(bin, Buffer.from([0xff, 0xfe, 0x00]));
    const b = JSON.parse(warden(['run', '--json', '--stdin', bin, 'examples/cat.wasm']).stdout) as Record<string, unknown>;
    assert.equal(b.stdoutBase64, Buffer.from([0xff, 0xfe, 0x00]).toString('base64'));
  });

  it('--trace logs each WASI call to stderr, leaving stdout alone', () => {
    const r = warden(['run', '--trace', '--dir', 'examples/data::/data', 'examples/wc.wasm', '/data/poem.txt']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, POEM_LINE);
    assert.match(r.stderr, /path_open\(.*poem\.txt/);
    assert.match(r.stderr, /fd_read\(/);
  });
});

describe('warden: help and version', () => {
  it('warden run --help documents every flag from the flag table and the exit codes', () => {
    const r = warden(['run', '--help']);
    assert.equal(r.status, 0);
    for (const f of RUN_FLAGS) assert.ok(r.stdout.includes(`--${f.name}`), `--${f.name} in help`);
    assert.match(r.stdout, /Usage: warden run \[OPTIONS\] MODULE\.wasm \[ARGS\.\.\.\]/);
    for (const code of ['0-255', '1 ', '2 ', '70', '134']) assert.ok(r.stdout.includes(`\n  ${code}`), code);
  });

  it('warden --help lists the commands; no arguments is a usage error', () => {
    const r = warden(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^ {2}run {4,}Run a WASI command module/m);
    assert.match(warden(['help', 'run']).stdout, /Usage: warden run/);
    const none = warden([]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /Usage: warden COMMAND/);
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.deepEqual(warden(['--version']), { status: 0, stdout: `warden ${pkg.version}\n`, stderr: '' });
  });
});

it('flags may follow the positional arguments of every command but run (whose trailing words are the guest\'s)', () => {
  const r = spawnSync(process.execPath, [MAIN, 'inspect', 'examples/wc.wasm', '--json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).sha256.length, 64);
  const g = spawnSync(process.execPath, [MAIN, 'run', 'examples/wc.wasm', '--json'], { cwd: ROOT, encoding: 'utf8', input: '' });
  assert.match(g.stdout + g.stderr, /--json/, 'the guest got --json as an argument');
});
