// `warden run`: run a WASI command module (or one export) with exactly the directories, env and
// args granted on the command line; exit with the guest's exit code.
import { closeSync, openSync } from 'node:fs';
import { WardenError, type ErrorKind } from '../errors.js';
import { run } from '../sandbox/api.js';
import { EXIT_TRAP, type DirOption, type RunLimits, type RunOptions, type RunResult } from '../sandbox/options.js';
import { parseBytes, parseDuration, parseFuel } from '../limits/parse.js';
import { parseDigest } from '../trust/digest.js';
import { loadPolicyFile } from '../policy/schema.js';
import { errorLine, out } from './output.js';
import { UsageError, type FlagDef } from './flags.js';
import { readModuleFile } from './files.js';

export interface RunState {
  dirs: DirOption[];
  env: Record<string, string>;
  stdinFile?: string;
  invoke?: string;
  trace: boolean;
  json: boolean;
  limits?: RunLimits;
  /** --digest: the module must have this sha256 (normalised). */
  digest?: string;
  /** --policy FILE */
  policy?: string;
  /** --signature FILE: a detached signature for the policy's require-signature. */
  signature?: string;
}

/** Parses a flag value with `parse` (which throws RangeError or WardenError) into a usage error. */
function limitValue<T>(parse: (v: string) => T, v: string): T {
  try {
    return parse(v);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/** Exit status for each error kind (guest exit codes pass through; see README "Exit codes"). */
export const EXIT_BY_KIND: Record<ErrorKind, number> = {
  'invalid-module': 1,
  link: 1,
  'no-entry': 1,
  'host-dir': 1,
  config: 2,
  policy: 1,
  trap: EXIT_TRAP,
  'stack-overflow': EXIT_TRAP,
  fuel: EXIT_TRAP,
  timeout: EXIT_TRAP,
  memory: EXIT_TRAP,
  'output-limit': EXIT_TRAP,
  cancelled: 1,
  busy: 1,
  poisoned: EXIT_TRAP,
  internal: EXIT_INTERNAL,
};

/** `--dir HOST::GUEST[:ro]` or `--dir HOST` (the guest sees the same path, as in wasmtime). */
export function parseDir(spec: string): DirOption {
  const expected = (): never => {
    throw new UsageError(`expected HOST::GUEST[:ro] or HOST, got ${JSON.stringify(spec)}`);
  };
  const sep = spec.indexOf('::');
  if (sep < 0) {
    if (spec === '' || spec.includes(':')) expected();
    return { host: spec, guest: spec };
  }
  const host = spec.slice(0, sep);
  let guest = spec.slice(sep + 2);
  const readOnly = guest.endsWith(':ro');
  if (readOnly) guest = guest.slice(0, -3);
  if (host === '' || guest === '' || guest.includes(':')) expected();
  return { host, guest, readOnly };
}

export const RUN_FLAGS: readonly FlagDef<RunState>[] = [
  {
    name: 'dir',
    value: 'HOST::GUEST[:ro]',
    help: 'Grant host directory HOST to the guest as GUEST, read-write\n(":ro": read-only). `--dir HOST` uses the same path. Repeatable.',
    apply: (s, v) => void s.dirs.push(parseDir(v)),
  },
  {
    name: 'env',
    value: 'NAME=VALUE|NAME',
    help: 'Set a guest environment variable; `--env NAME` copies the\nhost\'s value (skipped if unset). Nothing is inherited. Repeatable.',
    apply: (s, v) => {
      const eq = v.indexOf('=');
      const name = eq < 0 ? v : v.slice(0, eq);
      if (name === '' || v.includes('\0')) throw new UsageError(`expected NAME=VALUE or NAME, got ${JSON.stringify(v)}`);
      if (eq >= 0) s.env[name] = v.slice(eq + 1);
      else if (process.env[name] !== undefined) s.env[name] = process.env[name]!;
    },
  },
  {
    name: 'stdin',
    value: 'FILE',
    help: 'Read guest stdin from FILE (default: this process\'s stdin).',
    apply: (s, v) => {
      if (v === '') throw new UsageError('expected a file name');
      s.stdinFile = v;
    },
  },
  {
    name: 'invoke',
    value: 'NAME',
    help: 'Call export NAME instead of _start; ARGS are its arguments\n(converted to its parameter types); prints results, one a line.',
    apply: (s, v) => {
      if (v === '') throw new UsageError('expected an export name');
      s.invoke = v;
    },
  },
  {
    name: 'fuel',
    value: 'N',
    help: 'Instruction budget (default 1e12); past it the run ends with\n"fuel exhausted". Same input, same fuel: deterministic.',
    apply: (s, v) => void ((s.limits ??= {}).fuel = limitValue(parseFuel, v)),
  },
  {
    name: 'timeout',
    value: 'DURATION',
    help: 'Wall-clock deadline, e.g. 500ms, 2s, 1m (default 30s).',
    apply: (s, v) => void ((s.limits ??= {}).timeoutMs = limitValue(parseDuration, v)),
  },
  {
    name: 'max-memory',
    value: 'SIZE',
    help: 'Cap on all linear memory, e.g. 64MiB, 1GiB or bytes (default\n1GiB); memory.grow beyond it returns -1.',
    apply: (s, v) => void ((s.limits ??= {}).memoryBytes = limitValue(parseBytes, v)),
  },
  {
    name: 'digest',
    value: 'sha256:HEX',
    help: 'Run the module only if its sha256 is HEX (bare hex accepted);\na mismatch exits 1 naming both digests.',
    apply: (s, v) => void (s.digest = limitValue(parseDigest, v)),
  },
  {
    name: 'policy',
    value: 'FILE',
    help: 'Run under a policy file (TOML or JSON): digest pins, required\nsignatures, denied proposals and imports, granted dirs/env, and\nlimits the flags may lower but not raise. Refusal exits 1.',
    apply: (s, v) => {
      if (v === '') throw new UsageError('expected a policy file');
      s.policy = v;
    },
  },
  {
    name: 'signature',
    value: 'SIGFILE',
    help: 'A detached signature for the policy\'s require-signature.',
    apply: (s, v) => {
      if (v === '') throw new UsageError('expected a signature file');
      s.signature = v;
    },
  },
  { name: 'trace', help: 'Log each WASI call (decoded arguments and errno) to stderr.', apply: (s) => void (s.trace = true) },
  {
    name: 'json',
    help: 'Print only a JSON result on stdout (exitCode, durationMs,\nerror, and the guest\'s stdout/stderr captured into it).',
    apply: (s) => void (s.json = true),
  },
];

export const RUN_USAGE = 'warden run [OPTIONS] MODULE.wasm [ARGS...]';
export const RUN_SUMMARY = 'Run a WASI command module in a fresh sandbox';

const isUtf8 = (b: Buffer): boolean => Buffer.from(b.toString('utf8'), 'utf8').equals(b);

function jsonResult(r: RunResult, digestless: { module: string }): string {
  const stream = (name: string, b: Buffer): Record<string, unknown> =>
    isUtf8(b) ? { [name]: b.toString('utf8') } : { [`${name}Base64`]: b.toString('base64') };
  const obj = {
    module: digestless.module,
    exitCode: r.exitCode,
    durationMs: Math.round(r.durationMs * 1000) / 1000,
    stdoutBytes: r.stdout.length,
    stderrBytes: r.stderr.length,
    ...stream('stdout', r.stdout),
    ...stream('stderr', r.stderr),
    ...(r.returnValues ? { returnValues: r.returnValues.map((v) => (typeof v === 'bigint' ? v.toString() : v)) } : {}),
    fuelUsed: r.fuelUsed,
    peakMemoryBytes: r.peakMemoryBytes,
    error: r.error ? { kind: r.error.kind, message: r.error.message } : null,
  };
  return JSON.stringify(obj) + '\n';
}

/** Runs `warden run` with the already-parsed flags; returns the process exit status. */
export async function runCommand(state: RunState, positional: readonly string[]): Promise<number> {
  const [modulePath, ...guestArgs] = positional;
  if (modulePath === undefined) throw new UsageError(`missing MODULE.wasm (usage: ${RUN_USAGE})`);
  const bytes = readModuleFile(modulePath);
  let stdinFd: number | undefined;
  if (state.stdinFile !== undefined) {
    try {
      stdinFd = openSync(state.stdinFile, 'r');
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new WardenError('config', `--stdin ${state.stdinFile}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  }
  const policy = state.policy !== undefined ? loadPolicyFile(state.policy) : undefined;
  if (state.signature !== undefined && policy === undefined) throw new UsageError('--signature needs --policy (a policy with require-signature)');
  const signature = state.signature !== undefined ? readModuleFile(state.signature) : undefined;
  const options: RunOptions = {
    argv0: modulePath,
    // Under a policy, the dirs and env it grants apply unless flags ask for their own (each checked against it).
    ...(policy === undefined || state.dirs.length > 0 ? { dirs: state.dirs } : {}),
    ...(policy === undefined || Object.keys(state.env).length > 0 ? { env: state.env } : {}),
    ...(policy !== undefined ? { policy } : {}),
    ...(signature !== undefined ? { signature } : {}),
    stdin: { fd: stdinFd ?? 0 },
    stdout: state.json ? 'buffer' : 'inherit',
    stderr: state.json ? 'buffer' : 'inherit',
    trace: state.trace,
    ...(state.limits ? { limits: state.limits } : {}),
    ...(state.digest !== undefined ? { digest: state.digest } : {}),
    ...(state.invoke !== undefined ? { invoke: state.invoke, invokeArgs: guestArgs } : { args: guestArgs }),
  };
  let result: RunResult;
  try {
    result = await run(bytes, options);
  } finally {
    if (stdinFd !== undefined) closeSync(stdinFd);
  }
  if (state.json) {
    out(jsonResult(result, { module: modulePath }));
  } else {
    if (result.returnValues) out(result.returnValues.map((v) => `${String(v)}\n`).join(''));
    if (result.error) errorLine(result.error.message);
  }
  if (result.error) return EXIT_BY_KIND[result.error.kind] ?? EXIT_INTERNAL;
  return result.exitCode & 0xff;
}
