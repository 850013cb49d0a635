// Link check before instantiation: every import the module asks for must be one we provide, of
// the right kind and (for WASI preview1) the right signature; otherwise one 'link' error lists them all.
import { WardenError } from '../errors.js';
import { printable } from './text.js';
import { FUNCTIONS, wasmSignature } from '../wasi/preview1.js';
import { formatSig, type FuncSig, type ModuleSignatures } from './signatures.js';

export const WASI_P1 = 'wasi_snapshot_preview1';

/** wasi_snapshot_preview1 signatures, derived from the one definition table (src/wasi/preview1.ts). */
const P1_SIGS: ReadonlyMap<string, FuncSig> = new Map(FUNCTIONS.map((def) => [def.name, wasmSignature(def)]));

/** The preview1 signature of a WASI function, or undefined if it is not one. */
export function wasiP1Signature(name: string): FuncSig | undefined {
  return P1_SIGS.get(name);
}

/** Hints for import modules we know about but do not provide, said once per module. */
const MODULE_HINTS: readonly (readonly [RegExp, (first: string) => string])[] = [
  [/^wasi_unstable$/, (f) => `imports ${f}: WASI snapshot 0 (wasi_unstable) is not supported; rebuild for ${WASI_P1}`],
  [/^wasi$/, (f) => `imports ${f}: the pre-snapshot "wasi" module is not supported; rebuild for ${WASI_P1}`],
  [/^wasi:/, (f) => `imports ${f}: WASI 0.2 interfaces (components) are not supported yet; build for ${WASI_P1} (wasm32-wasip1)`],
  [/^env$/, (f) => `imports ${f}: Warden provides only WASI (${WASI_P1}) imports, no "env" host functions; is this an Emscripten or wasm32-unknown-unknown build?`],
];

export interface ImportProblem {
  module: string;
  name: string;
  kind: string;
  reason: string;
}

function providedKind(v: unknown): string | undefined {
  if (typeof v === 'function') return 'function';
  if (v instanceof WebAssembly.Memory) return 'memory';
  if (v instanceof WebAssembly.Table) return 'table';
  if (v instanceof WebAssembly.Global) return 'global';
  return undefined;
}

function sameSig(a: FuncSig, b: FuncSig): boolean {
  const eq = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.params, b.params) && eq(a.results, b.results);
}

/** Returns a 'link' WardenError naming every import we cannot satisfy, or undefined if all are. */
export function checkImports(
  module: WebAssembly.Module,
  provided: WebAssembly.Imports,
  sigs: ModuleSignatures | undefined,
): WardenError | undefined {
  const problems: ImportProblem[] = [];
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = Object.hasOwn(provided, imp.module) ? (provided[imp.module] as Record<string, unknown>) : undefined;
    const value = ns && Object.hasOwn(ns, imp.name) ? ns[imp.name] : undefined;
    const have = providedKind(value);
    let reason: string | undefined;
    if (have === undefined) {
      reason =
        imp.module === WASI_P1
          ? `not a WASI preview1 function (${WASI_P1}); is the module built for another WASI version?`
          : 'not provided';
    } else if (have !== imp.kind) {
      reason = `imported as a ${imp.kind}, but it is a ${have}`;
    } else if (imp.kind === 'function' && imp.module === WASI_P1) {
      const want = wasiP1Signature(imp.name);
      const got = sigs?.imports.get(`${imp.module}.${imp.name}`);
      if (want && got && !sameSig(want, got)) {
        reason = `has type ${formatSig(got)}, but ${WASI_P1}.${imp.name} is ${formatSig(want)}`;
      }
    }
    if (reason) problems.push({ module: imp.module, name: imp.name, kind: imp.kind, reason });
  }
  if (problems.length === 0) return undefined;
  const q = (p: ImportProblem): string => `${printable(p.module)}.${printable(p.name)}`;
  const list = problems.map((p) => `${q(p)} (${p.kind})`);
  const notes: string[] = [];
  const hinted = new Set<string>();
  for (const p of problems) {
    const hint = MODULE_HINTS.find(([re]) => re.test(p.module));
    if (hint && !hinted.has(p.module)) {
      hinted.add(p.module);
      notes.push(hint[1](q(p)));
    } else if (!hint && p.reason !== 'not provided') {
      notes.push(`${q(p)}: ${p.reason}`);
    }
  }
  const head = `${problems.length} unsatisfied import${problems.length === 1 ? '' : 's'}: ${list.join(', ')}`;
  return new WardenError('link', [head, ...notes].join('; '), { imports: problems });
}

/** Maps V8's LinkError at instantiation to a 'link' WardenError naming the import. */
export function linkErrorFromV8(err: WebAssembly.LinkError): WardenError {
  // Node 20: `Import #0 module="env" function="f" error: ...`; newer V8: `Import #0 "env" "f": ...`
  const m =
    /Import #\d+ module="([^"]*)" \w+="([^"]*)" error: (.*)$/.exec(err.message) ??
    /Import #\d+ "([^"]*)" "([^"]*)": (.*)$/.exec(err.message);
  if (m) {
    return new WardenError('link', `import ${printable(m[1]!)}.${printable(m[2]!)}: ${printable(m[3]!)}`, {
      imports: [{ module: m[1], name: m[2], reason: m[3] }],
    });
  }
  return new WardenError('link', printable(err.message.replace(/^WebAssembly\.\w+\(\): /, '')));
}
