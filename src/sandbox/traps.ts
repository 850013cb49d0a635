// Turns what V8 throws out of a running guest (traps, stack overflow) into typed WardenErrors
// named like wasmtime's traps, with the function index, name and byte offset from V8's stack.
import { WardenError } from '../errors.js';
import { printable } from './text.js';

/** V8 trap message -> [short code, wasmtime-style text]. */
const TRAPS: readonly (readonly [RegExp, string, string])[] = [
  [/^unreachable/, 'unreachable', 'unreachable'],
  [/^memory access out of bounds/, 'memory-out-of-bounds', 'out of bounds memory access'],
  [/^(divide|remainder) by zero/, 'integer-divide-by-zero', 'integer divide by zero'],
  [/^divide result unrepresentable/, 'integer-overflow', 'integer overflow'],
  [/^float unrepresentable in integer range/, 'bad-conversion-to-integer', 'invalid conversion to integer'],
  [/^table index is out of bounds/, 'table-out-of-bounds', 'undefined element: out of bounds table access'],
  [/^invalid index into function table/, 'table-out-of-bounds', 'undefined element: out of bounds table access'],
  [/(null function|function signature mismatch)/, 'bad-signature', 'indirect call type mismatch'],
  [/^operation does not support unaligned accesses/, 'heap-misaligned', 'unaligned atomic'],
  [/^data segment/, 'memory-out-of-bounds', 'out of bounds memory access'],
  [/^element segment/, 'table-out-of-bounds', 'out of bounds table access'],
  [/^dereferencing a null pointer/, 'null-reference', 'null reference'],
  [/^illegal cast/, 'cast-failure', 'cast failure'],
  [/^array element access out of bounds/, 'array-out-of-bounds', 'out of bounds array access'],
];

export interface WasmFrame {
  funcIndex: number;
  offset: number;
  name?: string;
}

/** The innermost wasm frame of a V8 stack: `at name (wasm://wasm/7c5e0a1a:wasm-function[12]:0x1f3)`. */
export function topWasmFrame(stack: unknown): WasmFrame | undefined {
  if (typeof stack !== 'string') return undefined;
  // Anchored at the end of a frame line, so a function name that merely contains such text does not match first.
  const m = /wasm-function\[(\d+)\]:0x([0-9a-f]+)\)?$/m.exec(stack);
  if (!m) return undefined;
  return { funcIndex: Number(m[1]), offset: parseInt(m[2]!, 16) };
}

function where(frame: WasmFrame | undefined, names: ReadonlyMap<number, string>): string {
  if (!frame) return '';
  const name = names.get(frame.funcIndex);
  return ` in func ${frame.funcIndex}${name !== undefined ? ` <${printable(name)}>` : ''} at offset 0x${frame.offset.toString(16)}`;
}

/**
 * Maps an error thrown by guest code to a WardenError, or returns undefined if it is not a
 * guest fault (then it is a host bug and the caller reports it as 'internal').
 */
export function guestFault(err: unknown, names: ReadonlyMap<number, string>): WardenError | undefined {
  if (err instanceof RangeError && /Maximum call stack size exceeded/.test(err.message)) {
    const frame = topWasmFrame(err.stack);
    return new WardenError('stack-overflow', `stack overflow: call stack exhausted${where(frame, names)}`, {
      trap: 'stack-overflow',
      funcIndex: frame?.funcIndex,
      funcName: frame ? names.get(frame.funcIndex) : undefined,
      offset: frame?.offset,
    });
  }
  if (err instanceof WebAssembly.RuntimeError) {
    const entry = TRAPS.find(([re]) => re.test(err.message));
    const [trap, text] = entry ? [entry[1], entry[2]] : ['other', err.message];
    const frame = topWasmFrame(err.stack);
    return new WardenError('trap', `trap: ${text}${where(frame, names)}`, {
      trap,
      funcIndex: frame?.funcIndex,
      funcName: frame ? names.get(frame.funcIndex) : undefined,
      offset: frame?.offset,
    });
  }
  if (typeof WebAssembly.Exception === 'function' && err instanceof WebAssembly.Exception) {
    // A guest `throw` no handler caught: it carries no stack (V8 records none for exceptions thrown by wasm).
    return new WardenError('trap', 'trap: thrown Wasm exception (no handler in the guest caught it)', { trap: 'uncaught-exception' });
  }
  return undefined;
}
