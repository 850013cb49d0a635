// wasm-warden: run untrusted WebAssembly from Node.js with exactly the capabilities it is granted.
// The library API: compile once (validated, cached by sha256), run many fresh sandboxes.
export { compile, CompiledModule, clearCompileCache, type CompileOptions } from './sandbox/compile.js';
export { run } from './sandbox/api.js';
export { SandboxInstance, type InstanceOptions, type CallResult } from './sandbox/instance.js';
export { createWorkerPool, type WorkerPool, type WorkerPoolOptions, type PoolRunOptions, type PoolModule } from './workers/index.js';
export {
  DEFAULT_OUTPUT_CAP,
  EXIT_TRAP,
  EXIT_FAILURE,
  type RunOptions,
  type RunResult,
  type RunLimits,
  type DirOption,
  type OutputOption,
} from './sandbox/options.js';
export { WardenError, isWardenError, type ErrorKind } from './errors.js';
export { instrument, FUEL_IMPORT, type InstrumentOptions, type InstrumentRequires, type Instrumented } from './instrument/index.js';
export { DEFAULT_LIMITS } from './limits/defaults.js';
export { MemoryFs } from './fs/index.js';
export type { ClockPolicy } from './wasi/options.js';
export { inspect, formatInspection, type Inspection, type ImportGroup, type InspectedImport, type InspectedLimits, type WasiCapability } from './inspect/index.js';
export { startServer, type ServeOptions, type WardenServer, type ServerConfig } from './server/index.js';
export { parseDigest, moduleDigest, checkDigest, type Digest } from './trust/digest.js';
export { signModule, detachSignature, type SignOptions, type SignedModule } from './trust/sign.js';
export { verifyModule, assertSigned, describeSignatures, type Verification, type VerifyOptions, type SignatureSummary } from './trust/verify.js';
export {
  parsePublicKey,
  parseSecretKey,
  readPublicKeyFile,
  readSecretKeyFile,
  generateKeyPair,
  secretKeyFromSeed,
  encodePublicKey,
  encodeSecretKey,
  keyFingerprint,
  type PublicKey,
  type SecretKey,
  type KeyFormat,
} from './trust/keys.js';
export {
  parsePolicy,
  loadPolicyFile,
  checkPolicy,
  enforcePolicy,
  policyRunOptions,
  applyPolicy,
  POLICY_SPEC,
  POLICY_FEATURES,
  type Policy,
  type PolicyFinding,
  type PolicyFeature,
  type PolicyDir,
  type ImportPattern,
} from './policy/index.js';
