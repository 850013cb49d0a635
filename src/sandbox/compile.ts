// compile(): validate a module, name it by its sha256 digest and cache the compiled form, so the
// same bytes compile once; a CompiledModule then runs any number of fresh sandboxes.
import { createHash } from 'node:crypto';
import { WardenError } from '../errors.js';
import { readFunctionNames } from '../binary/names.js';
import { printable } from './text.js';
import { readSignatures, type ModuleSignatures } from './signatures.js';
import type { RunOptions, RunResult } from './options.js';
import { runCompiled } from './run.js';

export interface CompileOptions {
  /** Use (and fill) the process-wide cache of compiled modules by digest (default true). */
  cache?: boolean;
}

export class CompiledModule {
  /** Hex sha256 of the module bytes. */
  readonly digest: string;
  readonly module: WebAssembly.Module;
  readonly imports: WebAssembly.ModuleImportDescriptor[];
  readonly exports: WebAssembly.ModuleExportDescriptor[];
  /** Names of the exported functions, in export order. */
  readonly functionExports: readonly string[];
  /** Function names from the name section, for trap messages. */
  readonly functionNames: ReadonlyMap<number, string>;
  /** Import/export signatures, when the module's types are simple enough to read. */
  readonly signatures: ModuleSignatures | undefined;
  /** Size of the module in bytes. */
  readonly size: number;

  constructor(digest: string, module: WebAssembly.Module, bytes: Uint8Array) {
    this.digest = digest;
    this.module = module;
    this.imports = WebAssembly.Module.imports(module);
    this.exports = WebAssembly.Module.exports(module);
    this.functionExports = this.exports.filter((e) => e.kind === 'function').map((e) => e.name);
    this.functionNames = readFunctionNames(bytes);
    this.signatures = readSignatures(bytes);
    this.size = bytes.length;
  }

  /** Runs the module in a fresh sandbox (new instance, WASI context and preopens). */
  run(options: RunOptions = {}): Promise<RunResult> {
    return runCompiled(this, options);
  }
}

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

/** Checks the 8-byte preamble ourselves, for clearer messages than V8's. */
function checkPreamble(bytes: Uint8Array): void {
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

async function compileFresh(digest: string, bytes: Uint8Array): Promise<CompiledModule> {
  checkPreamble(bytes);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    if (e instanceof WebAssembly.CompileError) throw invalidFromV8(e);
    throw e;
  }
  return new CompiledModule(digest, module, bytes);
}

/** Validates and compiles a module; the same bytes (by sha256) compile once per process. */
export async function compile(input: Uint8Array | ArrayBuffer, options: CompileOptions = {}): Promise<CompiledModule> {
  const bytes = toBytes(input);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (options.cache === false) return compileFresh(digest, bytes);
  const hit = cache.get(digest);
  if (hit) {
    cache.delete(digest); // refresh its place in the LRU order
    cache.set(digest, hit);
    return hit;
  }
  const pending = compileFresh(digest, bytes);
  cache.set(digest, pending);
  pending.catch(() => cache.delete(digest));
  while (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  return pending;
}
