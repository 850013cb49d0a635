#!/usr/bin/env node
// The `warden` command: dispatches to subcommands from one table; every user error is one
// `error: ...` line and a documented exit status, never a stack trace.
import { readFileSync } from 'node:fs';
import { WardenError } from '../errors.js';
import { err, errorLine, out } from './output.js';
import { formatFlags, parseFlags, UsageError, type FlagDef } from './flags.js';
import { INSPECT_EXIT_CODES, INSPECT_FLAGS, INSPECT_SUMMARY, INSPECT_USAGE, inspectCommand, type InspectState } from './inspect-command.js';
import { INSTRUMENT_FLAGS, INSTRUMENT_SUMMARY, INSTRUMENT_USAGE, instrumentCommand, type InstrumentState } from './instrument-command.js';
import { EXIT_BY_KIND, EXIT_INTERNAL, EXIT_USAGE, RUN_FLAGS, RUN_SUMMARY, RUN_USAGE, runCommand, type RunState } from './run-command.js';
import { SERVE_EXIT_CODES, SERVE_FLAGS, SERVE_SUMMARY, SERVE_USAGE, serveCommand, type ServeState } from './serve-command.js';
import { KEYGEN_EXIT_CODES, KEYGEN_FLAGS, KEYGEN_SUMMARY, KEYGEN_USAGE, keygenCommand, type KeygenState } from './keygen-command.js';
import { SIGN_EXIT_CODES, SIGN_FLAGS, SIGN_SUMMARY, SIGN_USAGE, signCommand, type SignState } from './sign-command.js';
import { VERIFY_EXIT_CODES, VERIFY_FLAGS, VERIFY_SUMMARY, VERIFY_USAGE, verifyCommand, type VerifyState } from './verify-command.js';

interface Command<S> {
  name: string;
  summary: string;
  usage: string;
  flags: readonly FlagDef<S>[];
  init(): S;
  /** Whether --json was asked (errors are then reported as a JSON object on stdout). */
  json(state: S): boolean;
  main(state: S, positional: readonly string[]): Promise<number>;
  /** This command's exit statuses, when they are not `warden run`'s. */
  exitCodes?: string;
  /** Flags may follow the positional arguments (false for `run`: what follows MODULE is the guest's). */
  interspersed?: boolean;
}

const EXIT_CODES = `Exit status:
  0-255  the guest's exit code (proc_exit), 0 when _start returns
  1      the module cannot run: invalid module, unsatisfied imports,
         no _start (or --invoke export), unusable --dir host directory
  2      usage error: malformed flag, unreadable MODULE or --stdin file,
         bad --invoke arguments
  70     internal error (a bug in Warden)
  134    the guest trapped or hit a limit (fuel, timeout, memory,
         stack overflow, output cap)`;

const TOOL_EXIT_CODES = `Exit status:
  0      success
  1      the module is not valid (or cannot be rewritten): the message gives the offset
  2      usage error: malformed flag, unreadable input or unwritable output
  70     internal error (a bug in Warden)`;

const COMMANDS: readonly Command<any>[] = [
  {
    name: 'run',
    summary: RUN_SUMMARY,
    usage: RUN_USAGE,
    flags: RUN_FLAGS,
    init: (): RunState => ({ dirs: [], env: {}, trace: false, json: false }),
    json: (s: RunState) => s.json,
    main: runCommand,
  } satisfies Command<RunState>,
  {
    name: 'instrument',
    summary: INSTRUMENT_SUMMARY,
    usage: INSTRUMENT_USAGE,
    flags: INSTRUMENT_FLAGS,
    init: (): InstrumentState => ({ fuel: true, json: false }),
    json: (s: InstrumentState) => s.json,
    main: instrumentCommand,
    exitCodes: TOOL_EXIT_CODES,
  } satisfies Command<InstrumentState>,
  { name: 'inspect', summary: INSPECT_SUMMARY, usage: INSPECT_USAGE, flags: INSPECT_FLAGS, init: (): InspectState => ({ json: false }), json: () => false, main: inspectCommand, exitCodes: INSPECT_EXIT_CODES } satisfies Command<InspectState>,
  { name: 'serve', summary: SERVE_SUMMARY, usage: SERVE_USAGE, flags: SERVE_FLAGS, init: (): ServeState => ({}), json: () => false, main: serveCommand, exitCodes: SERVE_EXIT_CODES } satisfies Command<ServeState>,
  { name: 'sign', summary: SIGN_SUMMARY, usage: SIGN_USAGE, flags: SIGN_FLAGS, init: (): SignState => ({ noKeyId: false }), json: () => false, main: signCommand, exitCodes: SIGN_EXIT_CODES } satisfies Command<SignState>,
  { name: 'verify', summary: VERIFY_SUMMARY, usage: VERIFY_USAGE, flags: VERIFY_FLAGS, init: (): VerifyState => ({ keys: [], all: false, json: false }), json: () => false, main: verifyCommand, exitCodes: VERIFY_EXIT_CODES } satisfies Command<VerifyState>,
  { name: 'keygen', summary: KEYGEN_SUMMARY, usage: KEYGEN_USAGE, flags: KEYGEN_FLAGS, init: (): KeygenState => ({ format: 'pem', force: false }), json: () => false, main: keygenCommand, exitCodes: KEYGEN_EXIT_CODES } satisfies Command<KeygenState>,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    'warden: run untrusted WebAssembly with exactly the capabilities it is granted',
    '',
    'Usage: warden COMMAND [OPTIONS] ...',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    '  -h, --help     Show this help (or `warden COMMAND --help`)',
    '  -V, --version  Print the version',
    '',
    EXIT_CODES,
    '',
  ].join('\n');
}

function commandHelp(c: Command<unknown>): string {
  return [`${c.summary}`, '', `Usage: ${c.usage}`, '', 'Options:', formatFlags(c.flags), '', c.exitCodes ?? EXIT_CODES, ''].join('\n');
}


async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const target = first === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    if (first === undefined) {
      err(topHelp());
      return EXIT_USAGE;
    }
    out(target ? commandHelp(target) : topHelp());
    return 0;
  }
  if (first === '-V' || first === '--version') {
    out(`warden ${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    throw new UsageError(
      first.startsWith('-') ? `unknown option ${first} (see 'warden --help')` : `unknown command "${first}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
    );
  }
  const state = command.init();
  const parsed = parseFlags(rest, command.flags, state, command.name, command.interspersed ?? command.name !== 'run');
  if (parsed.help) {
    out(commandHelp(command));
    return 0;
  }
  try {
    return await command.main(parsed.state, parsed.positional);
  } catch (e) {
    if (e instanceof WardenError && command.json(state)) {
      const code = EXIT_BY_KIND[e.kind] ?? EXIT_INTERNAL;
      out(JSON.stringify({ exitCode: code, durationMs: 0, stdoutBytes: 0, stderrBytes: 0, error: { kind: e.kind, message: e.message } }) + '\n');
      return code;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      errorLine(e.message);
      process.exitCode = EXIT_USAGE;
    } else if (e instanceof WardenError && e.kind !== 'internal') {
      errorLine(e.message);
      process.exitCode = EXIT_BY_KIND[e.kind] ?? EXIT_INTERNAL;
    } else {
      const message = e instanceof Error ? e.message : String(e);
      errorLine(`${message.startsWith('internal error: ') ? message : `internal error: ${message}`} (this is a bug in Warden)`);
      process.exitCode = EXIT_INTERNAL;
    }
  },
);
