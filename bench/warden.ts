// The Warden contender of the WASI bench: compile once through the library API, then a fresh
// sandbox per run via CompiledModule.run(), the same way an application would call it.
import { performance } from 'node:perf_hooks';
import { compile, type CompiledModule } from '../src/index.js';
import { devNull, type Contender, type RunSpec } from './contenders.js';
import { GUEST_DIR } from './workloads.js';

export function warden(): Contender {
  const compiled = new Map<string, CompiledModule>();
  // stdout in 'devnull' mode: the fd of /dev/null, as node:wasi and wasmtime get (Warden
  // coalesces small writes into 64 KiB before writing them, as it does for 'inherit').
  return {
    name: 'warden',
    async run(spec: RunSpec, inner: number) {
      let m = compiled.get(spec.path);
      if (!m) compiled.set(spec.path, (m = await compile(spec.bytes)));
      const options = {
        argv0: spec.argv[0],
        args: spec.argv.slice(1),
        env: {},
        dirs: [{ guest: GUEST_DIR, host: spec.hostDir }],
        stdout: spec.stdout === 'capture' ? ('buffer' as const) : { fd: devNull() },
        stderr: 'inherit' as const,
      };
      let exitCode = 0;
      let stdout: string | undefined;
      const t0 = performance.now();
      for (let i = 0; i < inner; i++) {
        const r = await m.run(options);
        if (r.error) throw new Error(`warden: ${r.error.kind}: ${r.error.message}`);
        exitCode = r.exitCode;
        if (spec.stdout === 'capture') stdout = r.stdout.toString('utf8');
      }
      return { ms: (performance.now() - t0) / inner, exitCode, stdout };
    },
    async close() {},
  };
}
