// AssemblyScript guest (test/guests/assemblyscript, asc + @assemblyscript/wasi-shim) run through the
// library: argv, env, stdin->stdout, Date, crypto, process.exit, and abort (proc_exit 255 -> trap).
// Expected output recorded from the same .wasm under wasmtime 49.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../src/index.js';

const REPO = new URL('../..', import.meta.url).pathname;
const ECHO = readFileSync(join(REPO, 'test/guests/assemblyscript/echo.wasm'));
const STDIN = 'hello\nworld ü\n';
const TAIL = `hello\nworld ü\nstdin bytes=15\nafter 2020: true\nrandom bytes nonzero: true\n`;

describe('assemblyscript guest (wasi-shim)', () => {
  const cases: { args: string[]; exitCode: number; stdout: string }[] = [
    { args: [], exitCode: 0, stdout: `argc=1\nargv[0]=echo.wasm\nenv A=1\nenv B=2\n${TAIL}` },
    { args: ['7'], exitCode: 7, stdout: `argc=2\nargv[0]=echo.wasm\nargv[1]=7\nenv A=1\nenv B=2\n${TAIL}` },
    { args: ['0'], exitCode: 0, stdout: `argc=2\nargv[0]=echo.wasm\nargv[1]=0\nenv A=1\nenv B=2\n${TAIL}` },
  ];
  for (const c of cases) {
    it(`args ${JSON.stringify(c.args)}: exit ${c.exitCode}, same output as wasmtime`, async () => {
      const r = await run(ECHO, { argv0: 'echo.wasm', args: c.args, env: { B: '2', A: '1' }, stdin: STDIN });
      assert.equal(r.error, undefined);
      assert.equal(r.exitCode, c.exitCode);
      assert.equal(r.stdout.toString(), c.stdout);
      assert.equal(r.stderr.toString(), '');
    });
  }

  it('abort() is proc_exit(255): a trap with exit 134, as wasmtime refuses statuses >= 126', async () => {
    const r = await run(ECHO, { argv0: 'echo.wasm', args: ['abort'], env: { B: '2', A: '1' }, stdin: STDIN });
    assert.equal(r.exitCode, 134);
    assert.equal(r.error?.kind, 'trap');
    assert.match(r.error?.message ?? '', /exit status 255/);
    // wasi-shim's console.error writes to stdout; its abort message goes to stderr.
    assert.equal(r.stdout.toString(), `argc=2\nargv[0]=echo.wasm\nargv[1]=abort\nenv A=1\nenv B=2\n${TAIL}Error: aborting\n`);
    assert.equal(r.stderr.toString(), 'abort: asked to abort in (0:0)\n');
  });
});
