// Table-driven command-line parsing: one list of flag definitions per command drives both the
// parser and the `--help` text. Usage errors are UsageError (exit 2), naming the flag.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagDef<S> {
  /** Long name without dashes, e.g. "dir". */
  name: string;
  /** Metavariable for flags that take a value, e.g. "HOST::GUEST[:ro]"; absent for switches. */
  value?: string;
  /** One-line description for --help (continuation lines allowed with \n). */
  help: string;
  /** Applies the flag to the parse state; throws UsageError (message without the flag name) on a bad value. */
  apply(state: S, value: string): void;
}

export interface Parsed<S> {
  state: S;
  /** Positional arguments: the first one ends flag parsing (everything after belongs to the guest). */
  positional: string[];
  help: boolean;
}

/**
 * Parses `--flag VALUE`, `--flag=VALUE` and switches until the first positional argument (or
 * `--`); the rest is returned untouched as positional arguments. With `interspersed`, flags may also
 * follow positionals (until `--`).
 */
export function parseFlags<S>(argv: readonly string[], defs: readonly FlagDef<S>[], state: S, command: string, interspersed = false): Parsed<S> {
  let help = false;
  let i = 0;
  /** With `interspersed` (commands whose positionals are files, not a guest's arguments), flags may follow them. */
  const before: string[] = [];
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (!interspersed) break;
      before.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    // `--name`, or `-x` for one-letter flags (e.g. -o)
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : /^-[a-zA-Z]$/.test(arg) ? arg.slice(1) : '';
    const def = defs.find((d) => d.name === name);
    if (!def) throw new UsageError(`unknown flag ${eq < 0 ? arg : arg.slice(0, eq)} for 'warden ${command}' (see 'warden ${command} --help')`);
    let value = '';
    if (def.value !== undefined) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw new UsageError(`${def.name.length === 1 ? '-' : '--'}${def.name}: expects a value ${def.value}`);
    } else if (eq >= 0) {
      throw new UsageError(`--${def.name}: takes no value, got "${arg.slice(eq + 1)}"`);
    }
    try {
      def.apply(state, value);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`--${def.name}: ${e.message}`);
      throw e;
    }
  }
  return { state, positional: [...before, ...argv.slice(i)], help };
}

/** The options part of a command's --help, generated from its flag table. */
export function formatFlags<S>(defs: readonly FlagDef<S>[]): string {
  const heads = defs.map((d) => `  ${d.name.length === 1 ? '-' : '--'}${d.name}${d.value !== undefined ? ` ${d.value}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length), 14) + 2;
  const lines = defs.map((d, k) => {
    const [first, ...rest] = d.help.split('\n');
    return [heads[k]!.padEnd(width) + first, ...rest.map((r) => ' '.repeat(width) + r)].join('\n');
  });
  return [...lines, '  -h, --help'.padEnd(width) + 'Show this help'].join('\n');
}
