// The few WebAssembly JS API calls the bench makes, typed locally (the project's `lib` has no
// DOM types, and the bench must not depend on how src/ declares them).

/** An opaque compiled module. */
export type WasmModule = { readonly __wasmModule: unique symbol };
export type WasmInstance = { readonly exports: Record<string, unknown> };
export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Module: { imports(m: WasmModule): { module: string; name: string; kind: string }[] };
  Instance: new (m: WasmModule, imports?: WasmImports) => WasmInstance;
}

export const Wasm: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
