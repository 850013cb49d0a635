// Worker thread of the .wast runner: runs one script in the asked modes and posts the outcomes back
// (a thread per script, so a script that never ends can be stopped by terminating it).
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_LIMITS } from '../../src/limits/defaults.js';
import { Script, type Mode, type Outcome } from './runner.js';

export interface WorkerRequest {
  file: string;
  modes: Mode[];
  fuelSlice: string;
  /** Rewrite with Warden's default memory and table caps too. */
  caps: boolean;
}

export type WorkerReply = { outcomes: Partial<Record<Mode, Outcome>> } | { error: string };

const req = workerData as WorkerRequest;
let reply: WorkerReply;
try {
  const script = await Script.load(req.file, readFileSync(req.file, 'utf8'));
  if (req.caps) script.instrumentOptions = { memoryBytes: DEFAULT_LIMITS.memoryBytes, tableElements: DEFAULT_LIMITS.tableElements };
  const outcomes: Partial<Record<Mode, Outcome>> = {};
  for (const mode of req.modes) outcomes[mode] = script.run(mode, { fuelSlice: BigInt(req.fuelSlice) });
  reply = { outcomes };
} catch (e) {
  reply = { error: e instanceof Error ? e.message : String(e) };
}
parentPort!.postMessage(reply);
