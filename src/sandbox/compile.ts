// compile(): validate a module, name it by its sha256 digest and cache the compiled form, so the
// same bytes compile once; a CompiledModule then runs any number of fresh sandboxes. What V8 compiles is the
// module rewritten by instrument() (fuel metering, memory/table caps), once per limit profile.
import { createHash } from 'node:crypto';
import { WardenError } from '../errors.js';
import { readFunctionNames } from '../binary/names.js';
import { printable } from './text.js';
import { readSignatures, type ModuleSignatures } from './signatures.js';
import { BinaryError } from '../binary/module.js';
import { instrument, FUEL_IMPORT, type Instrumented, type InstrumentRequires } from '../instrument/index.js';
import { DEFAULT_LIMITS } from '../limits/defaults.js';
import { EXIT_FAILURE, type RunOptions, type RunResult } from './options.js';
import { expectDigest } from '../trust/digest.js';
import { enforcePolicy } from '../policy/check.js';
import { applyPolicy } from '../policy/run-options.js';
import type { Policy } from '../policy/schema.js';
import { runCompiled, runCompiledNow } from './run.js';
import { SandboxInstance, type InstanceOptions } from './instance.js';

export interface CompileOptions {
  /** Use (and fill) the process-wide cache of compiled modules by digest (default true). */
  cache?: boolean;
  /**
   * Pin the module: compile it only if its sha256 is this digest (`sha256:HEX` or bare hex); a mismatch throws
   * WardenError 'policy' naming both digests, before V8 sees the bytes.
   */
  digest?: string;
  /**
   * Compile the module only if it passes this policy (digest pins, signatures, proposals, imports): otherwise
   * throw WardenError 'policy' listing every refusal, before V8 sees the bytes. Runs of the returned module
   * apply the policy again only when given it in their options (see RunOptions.policy).
   */
  policy?: Policy;
  /** A detached signature for the policy's require-signature (default: the module's embedded signature). */
  signature?: Uint8Array;
  /**
   * @internal The module V8 compiled from these bytes' default instrumentation in another thread (the worker
   * pool posts CompiledModule.module with the bytes), so it is not compiled again.
   */
  precompiled?: WebAssembly.Module;
}

/** The caps that change the rewritten bytes (fuel does not: any budget runs the same code). */
export interface LimitProfile {
  memoryBytes: number;
  tableElements: number;
}

export const DEFAULT_PROFILE: LimitProfile = { memoryBytes: DEFAULT_LIMITS.memoryBytes, tableElements: DEFAULT_LIMITS.tableElements };

/** One instrumented, compiled form of a module. */
export interface ModuleVariant {
  module: WebAssembly.Module;
  requires: InstrumentRequires;
  /** WebAssembly.Module.imports(module), the fuel import included. */
  imports: WebAssembly.ModuleImportDescriptor[];
  /** A location in the compiled module -> the same place in the original module. */
  original: Instrumented['original'];
}

const profileKey = (p: LimitProfile): string => `${p.memoryBytes}/${p.tableElements}`;

export class CompiledModule {
  /** Hex sha256 of the module bytes. */
  readonly digest: string;
  /** The module as compiled for the default limits (instrumented). */
  readonly module: WebAssembly.Module;
  /** The module's own imports (without the fuel import Warden adds). */
  readonly imports: WebAssembly.ModuleImportDescriptor[];
  /** The module's own exports (without the fuel and memory exports Warden adds). */
  readonly exports: WebAssembly.ModuleExportDescriptor[];
  /** Names of the exported functions, in export order. */
  readonly functionExports: readonly string[];
  /** Function names from the name section, for trap messages. */
  readonly functionNames: ReadonlyMap<number, string>;
  /** Import/export signatures, when the module's types are simple enough to read. */
  readonly signatures: ModuleSignatures | undefined;
  /** Size of the module in bytes. */
  readonly size: number;
  /** The original bytes (other limit profiles are instrumented from them on first use). */
  private readonly bytes: Uint8Array;
  /** Instrumented variants by limit profile (a rejected promise holds a 'memory' error: the module cannot fit). */
  private readonly variants = new Map<string, Promise<ModuleVariant>>();
  /** The variants whose promise has resolved (a run's fast path reads them without awaiting). */
  private readonly ready = new Map<string, ModuleVariant>();

  constructor(digest: string, bytes: Uint8Array, base: ModuleVariant) {
    this.digest = digest;
    this.module = base.module;
    const added = new Set<string>([base.requires.fuel?.global ?? '', ...base.requires.memories]);
    this.imports = WebAssembly.Module.imports(base.module).filter((i) => !(i.module === FUEL_IMPORT.module && i.name === FUEL_IMPORT.name));
    this.exports = WebAssembly.Module.exports(base.module).filter((e) => !added.has(e.name));
    this.functionExports = this.exports.filter((e) => e.kind === 'function').map((e) => e.name);
    this.functionNames = readFunctionNames(bytes);
    this.signatures = readSignatures(bytes);
    this.size = bytes.length;
    this.bytes = bytes;
  }

  /** The original module bytes (do not modify): e.g. to send the module to a worker thread. */
  get source(): Uint8Array {
    return this.bytes;
  }

  /** The module instrumented and compiled for `profile` (cached per profile). Rejects with WardenError('memory') if it cannot fit. */
  variant(profile: LimitProfile = DEFAULT_PROFILE): Promise<ModuleVariant> {
    const key = profileKey(profile);
    let v = this.variants.get(key);
    if (!v) {
      v = (async () => {
        const { bytes, requires, original } = instrument(this.bytes, profile);
        const module = await WebAssembly.compile(bytes);
        return { module, requires, imports: WebAssembly.Module.imports(module), original };
      })();
      this.track(key, v);
    }
    return v;
  }

  /** The variant for `profile` if it is compiled already (no await), else undefined. */
  readyVariant(profile: LimitProfile = DEFAULT_PROFILE): ModuleVariant | undefined {
    return this.ready.get(profileKey(profile));
  }

  /** @internal Records a variant compiled by compile(). */
  setVariant(profile: LimitProfile, v: Promise<ModuleVariant>): void {
    this.track(profileKey(profile), v);
  }

  private track(key: string, v: Promise<ModuleVariant>): void {
    v.then(
      (ready) => {
        if (this.variants.get(key) === v) this.ready.set(key, ready);
      },
      () => {}, // kept: a module too big for a profile stays too big
    );
    this.variants.set(key, v);
    while (this.variants.size > VARIANT_ENTRIES) {
      const oldest = this.variants.keys().next().value as string;
      this.variants.delete(oldest);
      this.ready.delete(oldest);
    }
  }

  /**
   * A long-lived instance for plugin-style use: call its exports many times, each call with the limits
   * afresh; a trap or limit poisons it. close() it when done.
   */
  instantiate(options: InstanceOptions = {}): Promise<SandboxInstance> {
    if (options?.digest !== undefined || options?.policy !== undefined) {
      try {
        this.checkGate(options);
        if (options.policy !== undefined) options = applyPolicy(options, options.policy);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return SandboxInstance.create(this, options);
  }

  /** Policies these bytes passed (without a detached signature): checked once per policy object. */
  private readonly passed = new WeakSet<Policy>();

  /** @internal Records that these bytes passed `policy` (checked by compile()). */
  markPassed(policy: Policy): void {
    if (Object.isFrozen(policy)) this.passed.add(policy);
  }

  /** @internal Throws WardenError 'policy' unless the module passes `options`' digest pin and policy. */
  checkGate(options: { digest?: string; policy?: Policy; signature?: Uint8Array }): void {
    if (options.digest !== undefined) expectDigest(`sha256:${this.digest}`, options.digest);
    const policy = options.policy;
    if (policy === undefined) return;
    if (typeof policy !== 'object' || policy === null || typeof policy.source !== 'string') {
      throw new WardenError('config', 'policy must be a Policy from parsePolicy() or loadPolicyFile()');
    }
    if (options.signature !== undefined && !(options.signature instanceof Uint8Array)) throw new WardenError('config', 'signature must be a Uint8Array (a detached signature)');
    if (options.signature === undefined && this.passed.has(policy)) return;
    enforcePolicy(this.bytes, policy, { detachedSignature: options.signature });
    if (options.signature === undefined && Object.isFrozen(policy)) this.passed.add(policy);
  }

  /** Runs the module in a fresh sandbox (new instance, WASI context and preopens). */
  run(options: RunOptions = {}): Promise<RunResult> {
    if (options?.digest !== undefined || options?.policy !== undefined) {
      try {
        this.checkGate(options);
      } catch (e) {
        if (e instanceof WardenError && e.kind === 'policy') return Promise.resolve(refusedResult(e));
        return Promise.reject(e);
      }
      if (options.policy !== undefined) {
        try {
          options = applyPolicy(options, options.policy);
        } catch (e) {
          return Promise.reject(e);
        }
      }
    }
    return runCompiled(this, options);
  }

  /**
   * run() without a promise, for callers on a hot path (a server's fresh sandbox per request): the result when
   * the module's code and memory pool for these limits are ready (every run after the first two), else undefined and
   * nothing was done (call run()). Runs with a digest or policy gate always answer undefined. Throws where run()
   * rejects.
   */
  runNow(options: RunOptions = {}): RunResult | undefined {
    if (options.digest !== undefined || options.policy !== undefined) return undefined;
    return runCompiledNow(this, options);
  }
}

/** The result of a run refused before it started (digest pin, policy): exit code 1, nothing ran. */
export function refusedResult(error: WardenError): RunResult {
  return { exitCode: EXIT_FAILURE, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), durationMs: 0, error, fuelUsed: 0, peakMemoryBytes: 0 };
}

/** Limit profiles kept per module. */
const VARIANT_ENTRIES = 8;

/** Digests of modules that passed each (frozen, so unchanging) policy: a module is checked once per policy. */
const passedDigests = new WeakMap<Policy, Set<string>>();
const PASSED_DIGESTS = 1024;

/** Compiled modules by digest; bounded, least recently used dropped first. */
const cache = new Map<string, Promise<CompiledModule>>();
export const CACHE_ENTRIES = 64;

/** Forgets every cached module (mainly for tests and long-lived hosts). */
export function clearCompileCache(): void {
  cache.clear();
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const asciiOf = (b: Uint8Array): string =>
  Array.from(b, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');

/** Checks the 8-byte preamble ourselves, for clearer messages than V8's (also used by `warden instrument`). */
export function checkPreamble(bytes: Uint8Array): void {
  const magic = bytes.subarray(0, 4);
  if (bytes.length < 4 || hex(magic) !== '00 61 73 6d') {
    const found = bytes.length === 0 ? 'an empty file' : `${hex(magic)} "${asciiOf(magic)}"`;
    throw new WardenError('invalid-module', `not a WebAssembly module (expected \\0asm magic, found ${found})`, {
      offset: 0,
    });
  }
  if (bytes.length < 8) {
    throw new WardenError('invalid-module', `truncated module: ${bytes.length} bytes, the header alone is 8 at offset 0x${bytes.length.toString(16)}`, {
      offset: bytes.length,
    });
  }
  const version = bytes.subarray(4, 8);
  if (hex(version) === '0d 00 01 00') {
    throw new WardenError('invalid-module', 'this is a WebAssembly component, not a core module; components are not supported yet', {
      offset: 4,
    });
  }
  if (hex(version) !== '01 00 00 00') {
    throw new WardenError('invalid-module', `unsupported WebAssembly version (expected 01 00 00 00, found ${hex(version)}) at offset 0x4`, {
      offset: 4,
    });
  }
}

/** V8's "...message @+123" -> "message at offset 0x7b". */
function invalidFromV8(err: Error): WardenError {
  const text = printable(err.message.replace(/^WebAssembly\.\w+\(\): /, ''));
  const m = /^(.*?)\s*@\+(\d+)$/s.exec(text);
  if (!m) return new WardenError('invalid-module', `invalid module: ${text}`);
  const offset = Number(m[2]);
  return new WardenError('invalid-module', `invalid module: ${m[1]} at offset 0x${offset.toString(16)}`, { offset });
}

function toBytes(input: unknown): Uint8Array {
  // A private copy: the caller may reuse its buffer while we compile.
  if (input instanceof Uint8Array) return new Uint8Array(input);
  if (input instanceof ArrayBuffer) return new Uint8Array(input.slice(0));
  throw new WardenError('config', `compile: expected a Uint8Array or ArrayBuffer, got ${input === null ? 'null' : typeof input}`);
}

/** V8's verdict on the original bytes, when the rewriter refused or broke them. */
async function v8Verdict(bytes: Uint8Array): Promise<WardenError | undefined> {
  try {
    await WebAssembly.compile(bytes);
    return undefined;
  } catch (e) {
    if (e instanceof WebAssembly.CompileError) return invalidFromV8(e);
    throw e;
  }
}

async function compileFresh(digest: string, bytes: Uint8Array, precompiled?: WebAssembly.Module): Promise<CompiledModule> {
  checkPreamble(bytes);
  // Instrument for the default limits; a module that cannot fit them still compiles (the runs say why).
  let out: ReturnType<typeof instrument>;
  let limitError: WardenError | undefined;
  try {
    try {
      out = instrument(bytes, DEFAULT_PROFILE);
    } catch (e) {
      if (!(e instanceof WardenError && e.kind === 'memory')) throw e;
      limitError = e;
      out = instrument(bytes, {});
    }
  } catch (e) {
    // Malformed input: V8's message is the more familiar one; otherwise the rewriter's own (unsupported: ...).
    if (e instanceof BinaryError) throw (await v8Verdict(bytes)) ?? e;
    throw e;
  }
  let module: WebAssembly.Module;
  try {
    module = precompiled ?? (await WebAssembly.compile(out.bytes));
  } catch (e) {
    if (!(e instanceof WebAssembly.CompileError)) throw e;
    const verdict = await v8Verdict(bytes);
    if (verdict) throw verdict;
    throw new WardenError('internal', `internal error: the instrumented module does not compile: ${printable(e.message)}`);
  }
  const base: ModuleVariant = { module, requires: out.requires, imports: WebAssembly.Module.imports(module), original: out.original };
  const cm = new CompiledModule(digest, bytes, base);
  cm.setVariant(DEFAULT_PROFILE, limitError ? Promise.reject(limitError) : Promise.resolve(base));
  return cm;
}

/** Validates and compiles a module; the same bytes (by sha256) compile once per process. */
export async function compile(input: Uint8Array | ArrayBuffer, options: CompileOptions = {}): Promise<CompiledModule> {
  const bytes = toBytes(input);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (options.digest !== undefined) expectDigest(`sha256:${digest}`, options.digest);
  if (options.policy !== undefined) {
    if (typeof options.policy !== 'object' || options.policy === null || typeof options.policy.source !== 'string') {
      throw new WardenError('config', 'policy must be a Policy from parsePolicy() or loadPolicyFile()');
    }
    if (options.signature !== undefined && !(options.signature instanceof Uint8Array)) throw new WardenError('config', 'signature must be a Uint8Array (a detached signature)');
    const policy = options.policy;
    const seen = options.signature === undefined && Object.isFrozen(policy) ? passedDigests.get(policy) : undefined;
    if (!seen?.has(digest)) enforcePolicy(bytes, policy, { detachedSignature: options.signature });
    if (options.signature === undefined) {
      if (Object.isFrozen(policy)) {
        if (!seen) passedDigests.set(policy, new Set([digest]));
        else if (seen.size >= PASSED_DIGESTS) seen.clear(), seen.add(digest); // bounded: a busy host re-checks now and then
        else seen.add(digest);
      }
      return compileChecked(digest, bytes, options).then((cm) => (cm.markPassed(policy), cm));
    }
  }
  return compileChecked(digest, bytes, options);
}

async function compileChecked(digest: string, bytes: Uint8Array, options: CompileOptions): Promise<CompiledModule> {
  if (options.cache === false) return compileFresh(digest, bytes, options.precompiled);
  const hit = cache.get(digest);
  if (hit) {
    cache.delete(digest); // refresh its place in the LRU order
    cache.set(digest, hit);
    return hit;
  }
  const pending = compileFresh(digest, bytes, options.precompiled);
  cache.set(digest, pending);
  pending.catch(() => cache.delete(digest));
  while (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  return pending;
}
