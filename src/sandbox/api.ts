// The one-shot entry point: compile (cached by digest) and run in one call.
import { WardenError } from '../errors.js';
import { compile, type CompiledModule } from './compile.js';
import { EXIT_FAILURE, type RunOptions, type RunResult } from './options.js';

/**
 * Compiles (or reuses the cached compile of) `bytes` and runs it once. Like CompiledModule.run it
 * resolves for every guest failure, including an invalid module (exitCode 1, error.kind
 * 'invalid-module'), and rejects only for host misuse.
 */
export async function run(bytes: Uint8Array | ArrayBuffer, options: RunOptions = {}): Promise<RunResult> {
  let module: CompiledModule;
  try {
    module = await compile(bytes);
  } catch (e) {
    if (e instanceof WardenError && e.kind === 'invalid-module') {
      return { exitCode: EXIT_FAILURE, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), durationMs: 0, error: e, fuelUsed: 0, peakMemoryBytes: 0 };
    }
    throw e;
  }
  return module.run(options);
}
