// `warden inspect MODULE.wasm [--json]`: what a module asks for (imports and their capabilities), exports,
// memories, tables, proposals used, custom sections, sha256 and size, as a report or a stable JSON object.
import { formatInspection, inspect } from '../inspect/index.js';
import { out } from './output.js';
import { UsageError, type FlagDef } from './flags.js';
import { readModuleFile } from './files.js';

export interface InspectState {
  json: boolean;
}

export const INSPECT_FLAGS: readonly FlagDef<InspectState>[] = [
  { name: 'json', help: 'Print the description as one JSON object (fields documented in README).', apply: (s) => void (s.json = true) },
];

export const INSPECT_USAGE = 'warden inspect [--json] MODULE.wasm';
export const INSPECT_SUMMARY = 'Show what a module imports (capabilities), exports and uses (proposals, limits)';

export async function inspectCommand(state: InspectState, positional: readonly string[]): Promise<number> {
  const [path, ...extra] = positional;
  if (path === undefined) throw new UsageError(`missing MODULE.wasm (usage: ${INSPECT_USAGE})`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const bytes = readModuleFile(path);
  const report = await inspect(bytes);
  out(state.json ? JSON.stringify({ module: path, ...report }, null, 2) + '\n' : formatInspection(report, path));
  return 0;
}
