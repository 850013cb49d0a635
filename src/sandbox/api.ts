// The one-shot entry point: compile (cached by digest) and run in one call.
import { WardenError } from '../errors.js';
import { compile, refusedResult, type CompiledModule } from './compile.js';
import type { RunOptions, RunResult } from './options.js';

/**
 * Compiles (or reuses the cached compile of) `bytes` and runs it once. Like CompiledModule.run it
 * resolves for every guest failure, including an invalid module (exitCode 1, error.kind
 * 'invalid-module') and a module refused by its digest pin or policy (exitCode 1, 'policy'), and rejects
 * only for host misuse (run options a policy does not grant included).
 */
export async function run(bytes: Uint8Array | ArrayBuffer, options: RunOptions = {}): Promise<RunResult> {
  let module: CompiledModule;
  try {
    module = await compile(bytes, { digest: options?.digest, policy: options?.policy, signature: options?.signature });
  } catch (e) {
    if (e instanceof WardenError && (e.kind === 'invalid-module' || e.kind === 'policy')) return refusedResult(e);
    throw e;
  }
  return module.run(options);
}
