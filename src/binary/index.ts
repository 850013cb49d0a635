// Public entry of Warden's WebAssembly binary toolkit: decode a module to an AST, encode it back.
//
// Round trips: encode(decode(x)) reproduces x byte for byte when x uses canonical (shortest) LEB128
// everywhere, as wabt and binaryen write it; unchanged function bodies are copied as they were. The
// encoder always writes canonical LEBs, so padded LEBs (wasm-ld leaves 5-byte relocation slots in code
// and section sizes) come out shorter; so does an explicit memory index 0 in a memarg, which is dropped.
// Everything else (custom sections and their positions, empty sections, element/data encodings,
// `sub` prefixes, rec groups, NaN payloads) is kept. Rewriters: `LazyCode.decodeBody()`/`setBody()` work
// one function at a time on instruction lists; `scan()`/`setRaw()` splice bytes without building them.

export { decode, type DecodeOptions } from './decoder.js';
export { LazyCode, type InstrVisitor } from './code.js';
export { encode, encodeInstrs, type EncodeOptions } from './encoder.js';
export * from './module.js';
export { ALL_OPS, Imm, Op, opInfo, opcodeText, prefixed, type Feature, type OpInfo } from './opcodes.js';
export { featuresUsed } from './features.js';
