// Reading a configuration file (TOML or JSON, by extension) into plain data, with parse errors that name
// the file, line and column. Validation of the data is src/config/schema.ts.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { configError } from './schema.js';

export type ConfigFormat = 'toml' | 'json';

/** Largest config file accepted: configs are small; a huge file is a mistake (or an attack on the parser). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The format of `path` from its extension: `.json` is JSON, `.toml` (and anything else) TOML. */
export function formatOf(path: string): ConfigFormat {
  return extname(path).toLowerCase() === '.json' ? 'json' : 'toml';
}

/** Parse config text. `source` names the file in errors. */
export function parseConfigText(text: string, source: string, format: ConfigFormat): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      if (pos) {
        const before = text.slice(0, Number(pos[1]));
        const line = before.split('\n').length;
        const col = before.length - before.lastIndexOf('\n');
        throw configError(`${source}:${line}:${col}`, '', `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '')}`);
      }
      throw configError(source, '', `invalid JSON: ${msg}`);
    }
  }
  try {
    return parseToml(text) as unknown;
  } catch (e) {
    const err = e as Error & { line?: number; column?: number };
    const first = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    const where = err.line !== undefined ? `${source}:${err.line}:${err.column ?? 1}` : source;
    throw configError(where, '', `invalid TOML: ${first}`);
  }
}

/** Read and parse a TOML or JSON config file. Errors are WardenError kind 'config'. */
export function readConfigFile(path: string): { data: unknown; format: ConfigFormat; text: string } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw configError(path, '', code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a config file' : `cannot read: ${(e as Error).message}`);
  }
  if (buf.length > MAX_CONFIG_BYTES) throw configError(path, '', `config file is ${buf.length} bytes, more than the ${MAX_CONFIG_BYTES} accepted`);
  const text = buf.toString('utf8');
  const format = formatOf(path);
  return { data: parseConfigText(text, path, format), format, text };
}
