// inspect(): what a module is and what it asks for (imports grouped by module with the capabilities they need,
// exports, memories, tables, globals, proposals used, custom sections, sha256), for `warden inspect` and hosts.
import { createHash } from 'node:crypto';
import { BinaryError, decode, featuresUsed, typeList, type Limits, type Module, type RefType, type ValType } from '../binary/index.js';
import { ByteCursor, listSections } from '../binary/names.js';
import { compile } from '../sandbox/compile.js';
import { WardenError } from '../errors.js';
import { printable as p } from '../sandbox/text.js';

/** What a WASI preview1 function gives access to (the capability a host grants by allowing it). */
export type WasiCapability = 'args' | 'environ' | 'clock' | 'random' | 'fd' | 'filesystem' | 'poll' | 'proc' | 'sockets';

/** wasi_snapshot_preview1 (and wasi_unstable) functions by capability: the one table `inspect` reads. */
const WASI_CAPABILITIES: Record<WasiCapability, readonly string[]> = {
  args: ['args_get', 'args_sizes_get'],
  environ: ['environ_get', 'environ_sizes_get'],
  clock: ['clock_res_get', 'clock_time_get'],
  random: ['random_get'],
  fd: ['fd_read', 'fd_write', 'fd_close', 'fd_seek', 'fd_tell', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_renumber'],
  filesystem: [
    'fd_advise', 'fd_allocate', 'fd_datasync', 'fd_sync', 'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size',
    'fd_filestat_set_times', 'fd_pread', 'fd_pwrite', 'fd_prestat_get', 'fd_prestat_dir_name', 'fd_readdir',
    'path_create_directory', 'path_filestat_get', 'path_filestat_set_times', 'path_link', 'path_open', 'path_readlink',
    'path_remove_directory', 'path_rename', 'path_symlink', 'path_unlink_file',
  ],
  poll: ['poll_oneoff'],
  proc: ['proc_exit', 'proc_raise', 'sched_yield'],
  sockets: ['sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown'],
};
const CAPABILITY_OF = new Map<string, WasiCapability>(
  Object.entries(WASI_CAPABILITIES).flatMap(([cap, names]) => names.map((n) => [n, cap as WasiCapability] as const)),
);
const WASI_MODULES: Record<string, string> = { wasi_snapshot_preview1: 'WASI preview1', wasi_unstable: 'WASI preview0 (wasi_unstable)' };

export interface InspectedImport {
  name: string;
  kind: 'func' | 'table' | 'memory' | 'global' | 'tag';
  /** Function signature "(i32, i32) -> i32", or the type of a table, memory, global or tag. */
  type: string;
  /** For WASI functions: the capability it needs ('unknown' for a name WASI does not define); else null. */
  capability: WasiCapability | 'unknown' | null;
}

export interface ImportGroup {
  module: string;
  /** 'WASI preview1', 'WASI preview0 (wasi_unstable)', or 'host' (functions the embedder must supply). */
  interface: string;
  /** Capabilities asked for through this module's imports (WASI), sorted. */
  capabilities: string[];
  imports: InspectedImport[];
}

export interface InspectedLimits {
  /** Minimum and maximum in pages (memories, 64 KiB each) or elements (tables); max null when unbounded. */
  min: number;
  max: number | null;
  shared: boolean;
  /** 64-bit index type (memory64 / table64). */
  index64: boolean;
}

export interface Inspection {
  /** Lowercase hex sha256 of the bytes. */
  sha256: string;
  sizeBytes: number;
  /** Whether this Node's V8 accepts the module (it may use a proposal this Node does not run). */
  validates: boolean;
  /** Proposals beyond the MVP the module uses, sorted (names as in src/binary/opcodes.ts, plus 'mutable-globals'). */
  proposals: string[];
  /** Capabilities of all imports: WASI ones ('fd', 'filesystem', ...) and 'host:MODULE' for non-WASI modules, sorted. */
  capabilities: string[];
  imports: ImportGroup[];
  exports: { name: string; kind: string; type: string }[];
  functions: { imported: number; defined: number; codeBytes: number };
  memories: (InspectedLimits & { index: number; imported: string | null })[];
  tables: (InspectedLimits & { index: number; imported: string | null; element: string })[];
  globals: { index: number; imported: string | null; type: string; mutable: boolean }[];
  tags: number;
  /** Index of the start function, or null. */
  start: number | null;
  data: { segments: number; bytes: number };
  customSections: { name: string; bytes: number }[];
  /** The `target_features` section (what the compiler says it enabled, e.g. "+sign-ext"), or null when absent or malformed. */
  targetFeatures: string[] | null;
  /** Content of the `producers` section (field -> "name version" list), or null when absent or malformed. */
  producers: Record<string, string[]> | null;
}

const NUM_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x78: 'i8', 0x77: 'i16' };
const HEAP_TYPES: Record<number, string> = {
  0x70: 'func', 0x6f: 'extern', 0x6e: 'any', 0x6d: 'eq', 0x6c: 'i31', 0x6b: 'struct', 0x6a: 'array', 0x71: 'none',
  0x72: 'noextern', 0x73: 'nofunc', 0x69: 'exn', 0x74: 'noexn',
};

function heapText(h: number): string {
  return h >= 0 ? `$${h}` : (HEAP_TYPES[-h] ?? `heap(${-h})`);
}

export function valTypeText(t: ValType): string {
  if (typeof t !== 'number') {
    const r = t as RefType;
    return `(ref ${r.nullable ? 'null ' : ''}${heapText(r.heap)})`;
  }
  return NUM_TYPES[t] ?? (HEAP_TYPES[t] ? `${HEAP_TYPES[t]}ref` : `type(0x${t.toString(16)})`);
}

function funcTypeText(m: Module, index: number): string {
  const t = typeList(m)[index];
  if (!t || t.comp.kind !== 'func') return `type ${index}`;
  const list = (xs: ValType[]): string => (xs.length === 1 ? valTypeText(xs[0]!) : `(${xs.map(valTypeText).join(', ')})`);
  return `(${t.comp.params.map(valTypeText).join(', ')}) -> ${list(t.comp.results)}`;
}

function limitsOf(l: Limits): InspectedLimits {
  return { min: l.min, max: l.max, shared: (l.flags & 2) !== 0, index64: (l.flags & 4) !== 0 };
}

/** "2..16 pages", "2 pages (no max)", with " shared" and an "i64 " prefix where they apply. */
function rangeText(x: InspectedLimits, unit: string): string {
  return `${x.index64 ? 'i64 ' : ''}${x.max === null ? `${x.min} ${unit} (no max)` : `${x.min}..${x.max} ${unit}`}${x.shared ? ' shared' : ''}`;
}

function limitsText(l: Limits, unit: string): string {
  return rangeText(limitsOf(l), unit);
}

/** The `producers` custom section: vec of (field name, vec of (name, version)). */
function readProducers(bytes: Uint8Array, start: number, end: number): Record<string, string[]> | null {
  try {
    const c = new ByteCursor(bytes, start, end);
    const out: Record<string, string[]> = {};
    for (let n = c.u32(); n > 0; n--) {
      const field = c.name();
      const values: string[] = [];
      for (let k = c.u32(); k > 0; k--) {
        const name = c.name();
        const version = c.name();
        values.push(version ? `${name} ${version}` : name);
      }
      out[field] = values;
    }
    return c.done ? out : null;
  } catch {
    return null;
  }
}

/** The `target_features` custom section: vec of (prefix '+' / '-' / '=', feature name). */
function readTargetFeatures(bytes: Uint8Array, start: number, end: number): string[] | null {
  try {
    const c = new ByteCursor(bytes, start, end);
    const out: string[] = [];
    for (let n = c.u32(); n > 0; n--) out.push(String.fromCharCode(c.byte()) + c.name());
    return c.done ? out : null;
  } catch {
    return null;
  }
}

/** Decodes `bytes` or throws the error `warden run` / compile() give for the same malformed bytes. */
async function decodeOrExplain(bytes: Uint8Array): Promise<Module> {
  try {
    return decode(bytes);
  } catch (e) {
    if (!(e instanceof BinaryError)) throw e;
    try {
      await compile(bytes, { cache: false });
    } catch (c) {
      if (c instanceof WardenError && c.kind === 'invalid-module') throw c;
    }
    throw e;
  }
}

/** Describes a module (throws WardenError 'invalid-module', with the byte offset, for malformed bytes). */
export async function inspect(input: Uint8Array | ArrayBuffer): Promise<Inspection> {
  if (!(input instanceof Uint8Array) && !(input instanceof ArrayBuffer)) {
    throw new WardenError('config', `inspect: expected a Uint8Array or ArrayBuffer, got ${input === null ? 'null' : typeof input}`);
  }
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const m = await decodeOrExplain(bytes);

  const groups = new Map<string, ImportGroup>();
  const capabilities = new Set<string>();
  const counters = { func: 0, table: 0, memory: 0, global: 0, tag: 0 };
  const memories: Inspection['memories'] = [];
  const tables: Inspection['tables'] = [];
  const globals: Inspection['globals'] = [];
  const funcTypes: number[] = [];
  let mutableGlobalsCrossed = false;
  for (const imp of m.imports) {
    const wasi = WASI_MODULES[imp.module];
    let g = groups.get(imp.module);
    if (!g) groups.set(imp.module, (g = { module: imp.module, interface: wasi ?? 'host', capabilities: [], imports: [] }));
    const d = imp.desc;
    const where = `${imp.module}.${imp.name}`;
    let type: string;
    if (d.kind === 'func') {
      type = funcTypeText(m, d.type);
      funcTypes.push(d.type);
    } else if (d.kind === 'memory') {
      type = limitsText(d.limits, 'pages');
      memories.push({ index: counters.memory, imported: where, ...limitsOf(d.limits) });
    } else if (d.kind === 'table') {
      type = `${valTypeText(d.table.ref)} ${limitsText(d.table.limits, 'elements')}`;
      tables.push({ index: counters.table, imported: where, element: valTypeText(d.table.ref), ...limitsOf(d.table.limits) });
    } else if (d.kind === 'global') {
      type = `${d.global.mutable ? 'mut ' : ''}${valTypeText(d.global.type)}`;
      globals.push({ index: counters.global, imported: where, type: valTypeText(d.global.type), mutable: d.global.mutable });
      if (d.global.mutable) mutableGlobalsCrossed = true;
    } else type = funcTypeText(m, d.type);
    counters[d.kind]++;
    const capability = wasi ? (d.kind === 'func' ? (CAPABILITY_OF.get(imp.name) ?? 'unknown') : 'unknown') : null;
    g.imports.push({ name: imp.name, kind: d.kind, type, capability });
    const cap = capability ?? `host:${imp.module}`;
    if (!g.capabilities.includes(cap)) g.capabilities.push(cap);
    capabilities.add(cap);
  }
  for (const g of groups.values()) g.capabilities.sort();

  for (const l of m.memories) memories.push({ index: memories.length, imported: null, ...limitsOf(l) });
  for (const t of m.tables) tables.push({ index: tables.length, imported: null, element: valTypeText(t.ref), ...limitsOf(t.limits) });
  for (const g of m.globals) globals.push({ index: globals.length, imported: null, type: valTypeText(g.type.type), mutable: g.type.mutable });
  funcTypes.push(...m.funcs);
  const tagTypes = [...m.imports.flatMap((i) => (i.desc.kind === 'tag' ? [i.desc.type] : [])), ...m.tags.map((t) => t.type)];

  const exports = m.exports.map((e) => {
    let type = '';
    if (e.kind === 'func') type = funcTypes[e.index] !== undefined ? funcTypeText(m, funcTypes[e.index]!) : '';
    else if (e.kind === 'tag' && tagTypes[e.index] !== undefined) type = funcTypeText(m, tagTypes[e.index]!);
    else if (e.kind === 'memory' && memories[e.index]) type = rangeText(memories[e.index]!, 'pages');
    else if (e.kind === 'table' && tables[e.index]) type = `${tables[e.index]!.element} ${rangeText(tables[e.index]!, 'elements')}`;
    else if (e.kind === 'global' && globals[e.index]) {
      const x = globals[e.index]!;
      type = `${x.mutable ? 'mut ' : ''}${x.type}`;
      if (x.mutable) mutableGlobalsCrossed = true;
    }
    return { name: e.name, kind: e.kind, type };
  });

  const proposals = new Set<string>(featuresUsed(m));
  if (mutableGlobalsCrossed) proposals.add('mutable-globals');

  const sections = listSections(bytes);
  const code = sections.find((s) => s.id === 10);
  const custom = (name: string) => sections.find((s) => s.id === 0 && s.customName === name);
  const producersRef = custom('producers');
  const featuresRef = custom('target_features');
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.length,
    validates: WebAssembly.validate(bytes),
    proposals: [...proposals].sort(),
    capabilities: [...capabilities].sort(),
    imports: [...groups.values()],
    exports,
    functions: { imported: counters.func, defined: m.funcs.length, codeBytes: code ? code.end - code.start : 0 },
    memories,
    tables,
    globals,
    tags: counters.tag + m.tags.length,
    start: m.start,
    data: { segments: m.datas.length, bytes: m.datas.reduce((s, d) => s + d.bytes.length, 0) },
    customSections: m.customs.map((c) => ({ name: c.name, bytes: c.data.length })),
    targetFeatures: featuresRef ? readTargetFeatures(bytes, featuresRef.start, featuresRef.end) : null,
    producers: producersRef ? readProducers(bytes, producersRef.start, producersRef.end) : null,
  };
}

const kib = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

function pagesText(x: InspectedLimits): string {
  const size = (p: number): string => (x.index64 || p <= 65536 ? kib(p * 65536) : `${p} pages`);
  return `min ${x.min} pages (${size(x.min)}), max ${x.max === null ? 'none' : `${x.max} pages (${size(x.max)})`}${x.shared ? ', shared' : ''}${x.index64 ? ', 64-bit' : ''}`;
}

/** The human-readable report of `warden inspect` (module-controlled names escaped). */
export function formatInspection(r: Inspection, label: string): string {
  const lines: string[] = [];
  const pad = (rows: string[][]): string[] => {
    const w = rows.reduce((a, row) => row.map((c, i) => Math.max(a[i] ?? 0, c.length)), [] as number[]);
    return rows.map((row) => '  ' + row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd());
  };
  lines.push(`module:     ${label}`);
  lines.push(`size:       ${r.sizeBytes} bytes (${kib(r.sizeBytes)})`);
  lines.push(`sha256:     ${r.sha256}`);
  lines.push(`functions:  ${r.functions.defined} defined, ${r.functions.imported} imported; code ${kib(r.functions.codeBytes)}`);
  lines.push(`proposals:  ${r.proposals.length ? r.proposals.join(', ') : 'none beyond the MVP'}`);
  lines.push(`asks for:   ${r.capabilities.length ? r.capabilities.join(', ') : 'nothing (no imports)'}`);
  if (!r.validates) lines.push(`note:       this Node's V8 does not accept the module (a proposal it does not run, or a type error)`);
  lines.push('', `imports (${r.imports.reduce((s, g) => s + g.imports.length, 0)}):`);
  if (r.imports.length === 0) lines.push('  none');
  for (const g of r.imports) {
    lines.push(`  ${p(g.module)} (${g.interface}${g.capabilities.length ? `: ${g.capabilities.join(', ')}` : ''})`);
    lines.push(...pad(g.imports.map((i) => [`  ${p(i.name)}`, i.kind, i.type, i.capability ? `[${i.capability}]` : ''])));
  }
  lines.push('', `exports (${r.exports.length}):`);
  lines.push(...(r.exports.length ? pad(r.exports.map((e) => [p(e.name), e.kind, e.type])) : ['  none']));
  lines.push('', 'memories:');
  lines.push(...(r.memories.length ? r.memories.map((x) => `  ${x.index}: ${pagesText(x)}${x.imported ? ` (imported from ${p(x.imported)})` : ''}`) : ['  none']));
  lines.push('tables:');
  lines.push(
    ...(r.tables.length
      ? r.tables.map((t) => `  ${t.index}: ${t.element}, min ${t.min}, max ${t.max ?? 'none'}${t.index64 ? ', 64-bit' : ''}${t.imported ? ` (imported from ${p(t.imported)})` : ''}`)
      : ['  none']),
  );
  const gm = r.globals.filter((g) => g.mutable).length;
  lines.push(`globals:    ${r.globals.length} (${gm} mutable, ${r.globals.filter((g) => g.imported).length} imported)`);
  if (r.tags) lines.push(`tags:       ${r.tags}`);
  lines.push(`start:      ${r.start === null ? 'none' : `function ${r.start}`}`);
  lines.push(`data:       ${r.data.segments} segments, ${kib(r.data.bytes)}`);
  lines.push(`custom sections: ${r.customSections.length ? r.customSections.map((c) => `${p(c.name)} (${kib(c.bytes)})`).join(', ') : 'none'}`);
  if (r.targetFeatures) lines.push(`  target_features: ${p(r.targetFeatures.join(' '))}`);
  if (r.producers) for (const [field, values] of Object.entries(r.producers)) lines.push(`  producers ${p(field)}: ${p(values.join(', '))}`);
  return lines.join('\n') + '\n';
}
