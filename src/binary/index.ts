// Public entry of Warden's WebAssembly binary toolkit: decode a module to an AST, encode it back.

export { decode, type DecodeOptions } from './decoder.js';
export { LazyCode, type InstrVisitor } from './code.js';
export { encode, encodeInstrs, type EncodeOptions } from './encoder.js';
export * from './module.js';
export { ALL_OPS, Imm, Op, opInfo, opcodeText, prefixed, type Feature, type OpInfo } from './opcodes.js';
export { featuresUsed } from './features.js';
