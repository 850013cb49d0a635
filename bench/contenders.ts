// The runtimes the WASI bench compares, behind one interface: node:wasi (the baseline),
// wasmtime 49 (via a Python worker, when present) and a bare WebAssembly.Instance reference.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import type * as NodeWasi from 'node:wasi';
import { Wasm, type WasmImports, type WasmModule } from './wasm.js';
import { benchRoot, GUEST_DIR, type StdoutMode } from './workloads.js';

/** One prepared guest: everything a contender needs to run it. */
export interface RunSpec {
  /** Absolute path of the .wasm file. */
  path: string;
  bytes: Uint8Array;
  /** Compiled once per workload and shared; compile time is never measured. */
  module: WasmModule;
  /** Full argv, argv[0] included. */
  argv: string[];
  /** Host directory mounted at GUEST_DIR. */
  hostDir: string;
  stdout: StdoutMode;
}

export interface Outcome {
  /** Wall time of one run in ms (mean over the batch when `inner` > 1). */
  ms: number;
  exitCode: number;
  /** Guest stdout, only in 'capture' mode. */
  stdout?: string;
}

export interface Contender {
  name: string;
  /** Shown in the bench header, e.g. "49.0.0 (Python binding)". */
  version?: string;
  /** Runs the guest `inner` times back to back (fresh instance each time) and times it.
   *  Contenders that run out of process honour `limitMs` by throwing RunTimeout. */
  run(spec: RunSpec, inner: number, limitMs?: number): Promise<Outcome>;
  close(): Promise<void>;
}

/** A run stopped because it took longer than the bench allows (the contender is skipped there). */
export class RunTimeout extends Error {
  constructor(readonly limitMs: number) {
    super(`a single run took longer than ${(limitMs / 1000).toFixed(0)} s`);
  }
}

/** One shared /dev/null descriptor: every runtime writes guest stdout there in 'devnull' mode. */
let devNullFd: number | undefined;
export function devNull(): number {
  devNullFd ??= openSync('/dev/null', 'w');
  return devNullFd;
}

let captureSeq = 0;
/** A fresh temp file path for runtimes that can only capture stdout through a real file. */
export function captureFile(tag: string): string {
  return join(benchRoot(), `warden-bench-${process.pid}-${tag}-${captureSeq++}.out`);
}

/** node:wasi, the baseline: a fresh WASI object and instance per run (it cannot be reused).
 *  Loaded on first use, so a host can filter the ExperimentalWarning it prints. */
export function nodeWasi(): Contender {
  const { WASI } = createRequire(import.meta.url)('node:wasi') as typeof NodeWasi;
  return {
    name: 'node:wasi',
    version: `Node ${process.version}`,
    async run(spec, inner) {
      let exitCode = 0;
      let stdout: string | undefined;
      const file = spec.stdout === 'capture' ? captureFile('node') : undefined;
      const t0 = performance.now();
      for (let i = 0; i < inner; i++) {
        const fd = file === undefined ? devNull() : openSync(file, 'w+');
        const wasi = new WASI({
          version: 'preview1',
          args: spec.argv,
          env: {},
          preopens: { [GUEST_DIR]: spec.hostDir },
          stdout: fd,
          stderr: 2,
          returnOnExit: true,
        });
        const instance = new Wasm.Instance(spec.module, wasi.getImportObject() as WasmImports);
        exitCode = wasi.start(instance);
        if (file !== undefined) {
          stdout = readFileSync(file, 'utf8');
          closeSync(fd);
        }
      }
      const ms = (performance.now() - t0) / inner;
      if (file !== undefined) rmSync(file, { force: true });
      return { ms, exitCode, stdout };
    },
    async close() {},
  };
}

/** Imports that satisfy any module with no-op functions: for timing a bare instantiation. */
function stubImports(module: WasmModule): WasmImports {
  const imports: WasmImports = {};
  for (const imp of Wasm.Module.imports(module)) {
    if (imp.kind !== 'function') throw new Error(`bare instance: cannot stub ${imp.kind} import ${imp.module}.${imp.name}`);
    (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  return imports;
}

/** `new WebAssembly.Instance` of the same compiled module (its own memory), no WASI, no _start. */
export function bareInstance(): Contender {
  return {
    name: 'bare Instance',
    async run(spec, inner) {
      const imports = stubImports(spec.module);
      const t0 = performance.now();
      for (let i = 0; i < inner; i++) new Wasm.Instance(spec.module, imports);
      return { ms: (performance.now() - t0) / inner, exitCode: 0 };
    },
    async close() {},
  };
}

/** The Python side of the wasmtime contender: one Engine and Linker, modules cached by path,
 *  a fresh Store + WasiConfig + instance per run, timed inside Python (IPC not counted). */
const WASMTIME_WORKER = String.raw`
import importlib.metadata, json, os, sys, time
try:
    import wasmtime
except ImportError as e:
    print(json.dumps({"ok": False, "error": "no wasmtime module in this Python (%s)" % e}), flush=True)
    sys.exit(0)
engine = wasmtime.Engine()
linker = wasmtime.Linker(engine)
linker.define_wasi()
modules = {}
print(json.dumps({"ok": True, "version": importlib.metadata.version("wasmtime")}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    try:
        mod = modules.get(req["path"])
        if mod is None:
            mod = modules[req["path"]] = wasmtime.Module.from_file(engine, req["path"])
        code, out, total = 0, None, 0
        for _ in range(req["inner"]):
            t0 = time.perf_counter_ns()
            cfg = wasmtime.WasiConfig()
            cfg.argv = req["argv"]
            cfg.preopen_dir(req["dir"], req["guest"])
            cfg.stdout_file = req["capture"] or "/dev/null"
            cfg.inherit_stderr()
            store = wasmtime.Store(engine)
            store.set_wasi(cfg)
            inst = linker.instantiate(store, mod)
            try:
                inst.exports(store)["_start"](store)
                code = 0
            except wasmtime.ExitTrap as e:
                code = e.code
            if req["capture"]:
                with open(req["capture"], "rb") as f:
                    out = f.read().decode("utf-8", "replace")
            total += time.perf_counter_ns() - t0
        if req["capture"]:
            os.remove(req["capture"])
        print(json.dumps({"ok": True, "ms": total / 1e6 / req["inner"], "exitCode": code, "stdout": out}), flush=True)
    except Exception as e:
        print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
`;

export const WASMTIME_PYTHON = process.env.WARDEN_BENCH_PYTHON ?? '/tmp/wt/bin/python';

interface Worker {
  version: unknown;
  child: ReturnType<typeof spawn>;
  next(): Promise<Record<string, unknown>>;
  exited: Promise<string>;
}

/** Starts the Python worker; resolves to it once it has said hello, or to why it could not start. */
async function startWorker(): Promise<Worker | string> {
  const child = spawn(WASMTIME_PYTHON, ['-c', WASMTIME_WORKER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) throw new Error('wasmtime worker exited');
    return JSON.parse(r.value as string) as Record<string, unknown>;
  };
  const exited = new Promise<string>((resolve) => {
    child.on('error', (e) => resolve(`cannot start ${WASMTIME_PYTHON}: ${e.message}`));
    child.on('exit', (code) => resolve(`${WASMTIME_PYTHON} with wasmtime exited (${code}); is the wasmtime module installed?`));
  });
  const hello = await Promise.race([next().catch(() => undefined), exited]);
  if (typeof hello === 'string' || hello === undefined || hello.ok !== true) {
    child.kill();
    if (typeof hello === 'object') return `${WASMTIME_PYTHON}: ${String(hello.error)}`;
    return typeof hello === 'string' ? hello : await exited;
  }
  return { version: hello.version, child, next, exited };
}

/** wasmtime 49 through its Python binding, or a reason why it is not available. A run that passes
 *  its time limit kills the worker (a new one is started) and throws RunTimeout. */
export async function wasmtime(): Promise<Contender | string> {
  if (!existsSync(WASMTIME_PYTHON)) return `no ${WASMTIME_PYTHON}`;
  const first = await startWorker();
  if (typeof first === 'string') return first;
  let worker: Worker = first;
  return {
    name: 'wasmtime',
    version: `${String(first.version)} (Python binding, ${WASMTIME_PYTHON})`,
    async run(spec, inner, limitMs) {
      const capture = spec.stdout === 'capture' ? captureFile('wasmtime') : null;
      const req = { path: spec.path, argv: spec.argv, dir: spec.hostDir, guest: GUEST_DIR, capture, inner };
      worker.child.stdin!.write(JSON.stringify(req) + '\n');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        if (limitMs !== undefined) timer = setTimeout(() => resolve('timeout'), limitMs);
      });
      const res = await Promise.race([worker.next(), timedOut]);
      clearTimeout(timer);
      if (res === 'timeout') {
        worker.child.kill();
        await worker.exited;
        const again = await startWorker();
        if (typeof again === 'string') throw new Error(again);
        worker = again;
        throw new RunTimeout(limitMs!);
      }
      if (res.ok !== true) throw new Error(`wasmtime: ${String(res.error)}`);
      return { ms: res.ms as number, exitCode: res.exitCode as number, stdout: (res.stdout as string | null) ?? undefined };
    },
    async close() {
      worker.child.stdin!.end();
      await worker.exited;
    },
  };
}
