// `warden instrument IN.wasm -o OUT.wasm`: write the module as Warden rewrites it (fuel metering, memory and
// table caps) so other tools can run it, and print what the host must supply.
import { writeFileSync } from 'node:fs';
import { instrument } from '../instrument/index.js';
import { parseBytes } from '../limits/parse.js';
import { checkPreamble } from '../sandbox/compile.js';
import { out } from './output.js';
import { UsageError, type FlagDef } from './flags.js';
import { readModuleFile } from './files.js';

export interface InstrumentState {
  output?: string;
  fuel: boolean;
  memoryBytes?: number;
  tableElements?: number;
  json: boolean;
}

const usage = (f: () => number): number => {
  try {
    return f();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
};

export const INSTRUMENT_FLAGS: readonly FlagDef<InstrumentState>[] = [
  { name: 'o', value: 'OUT.wasm', help: 'Where to write the rewritten module (required).', apply: (s, v) => void (s.output = v) },
  { name: 'no-fuel', help: 'Do not insert fuel metering (only apply the caps).', apply: (s) => void (s.fuel = false) },
  {
    name: 'max-memory',
    value: 'SIZE',
    help: 'Cap all linear memory together (64MiB, 1GiB, bytes): memory.grow\nbeyond it returns -1.',
    apply: (s, v) => void (s.memoryBytes = usage(() => parseBytes(v))),
  },
  {
    name: 'max-table',
    value: 'N',
    help: 'Cap each table at N elements.',
    apply: (s, v) => {
      if (!/^\d+$/.test(v) || Number(v) > 2 ** 32 - 1) throw new UsageError(`expected a number of elements, got ${JSON.stringify(v)}`);
      s.tableElements = Number(v);
    },
  },
  { name: 'json', help: 'Print what the host must supply as JSON.', apply: (s) => void (s.json = true) },
];

export const INSTRUMENT_USAGE = 'warden instrument [OPTIONS] -o OUT.wasm IN.wasm';
export const INSTRUMENT_SUMMARY = 'Rewrite a module with fuel metering and limits, for other runtimes';

export async function instrumentCommand(state: InstrumentState, positional: readonly string[]): Promise<number> {
  const [input, ...extra] = positional;
  if (input === undefined) throw new UsageError(`missing IN.wasm (usage: ${INSTRUMENT_USAGE})`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (state.output === undefined) throw new UsageError('missing -o OUT.wasm');
  const bytes = readModuleFile(input);
  checkPreamble(bytes); // the same "not a WebAssembly module (expected \0asm magic, ...)" as run and inspect
  const t0 = performance.now();
  const result = instrument(bytes, { fuel: state.fuel, memoryBytes: state.memoryBytes, tableElements: state.tableElements });
  const ms = performance.now() - t0;
  writeFileSync(state.output, result.bytes);
  const r = result.requires;
  if (state.json) {
    out(JSON.stringify({ input, output: state.output, inputBytes: bytes.length, outputBytes: result.bytes.length, ms, requires: r }) + '\n');
    return 0;
  }
  const lines = [`wrote ${state.output} (${result.bytes.length} bytes from ${bytes.length}, ${ms.toFixed(1)} ms)`, 'the host must supply:'];
  if (r.fuel) {
    lines.push(
      `  import "${r.fuel.module}" "${r.fuel.name}": ${r.fuel.signature}`,
      '    called with the fuel counter when it drops below zero; return the new counter',
      '    (e.g. the next slice of the budget) or throw to stop the guest',
      `  export "${r.fuel.global}": mutable i64 global, the fuel left in the current slice`,
      '    (starts at 0: the first check calls the import)',
    );
  }
  if (r.memories.length) lines.push(`  exports ${r.memories.map((m) => `"${m}"`).join(', ')}: the memories, to read their sizes`);
  if (r.memoryCapBytes !== null) lines.push(`  memory capped at ${r.memoryCapBytes} bytes in all`);
  if (r.tableCapElements !== null) lines.push(`  tables capped at ${r.tableCapElements} elements each`);
  if (r.shiftedFunctionsFrom !== null) lines.push(`  note: defined function indices from ${r.shiftedFunctionsFrom} on are one higher`);
  out(lines.join('\n') + '\n');
  return 0;
}
