import { parseArgs } from 'node:util';
import { AdminError } from './errors.ts';

/**
 * Parses the admin command line into a command. Pure; strict: unknown options, options not
 * valid for the command, and extra or missing positionals are usage errors.
 */

const OPTIONS = {
  state: { type: 'string' },
  type: { type: 'string' },
  user: { type: 'string' },
  uid: { type: 'string' },
  by: { type: 'string' },
  'key-admin': { type: 'boolean' },
  'passphrase-file': { type: 'string' },
  'by-passphrase-file': { type: 'string' },
  'key-passphrase-file': { type: 'string' },
  argon2: { type: 'string' },
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionName = keyof typeof OPTIONS;
export type ParsedValues = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

interface CommandSpec {
  readonly words: readonly string[];
  readonly positionals: readonly string[];
  readonly options: readonly OptionName[];
  readonly required: readonly OptionName[];
}

export const COMMANDS: readonly CommandSpec[] = [
  { words: ['init'], positionals: [], options: [], required: [] },
  { words: ['user', 'add'], positionals: ['NAME'], options: [], required: [] },
  { words: ['user', 'list'], positionals: [], options: ['json'], required: [] },
  { words: ['key', 'generate'], positionals: ['NAME'], options: ['type', 'user', 'uid', 'passphrase-file', 'argon2'], required: ['type', 'user'] },
  { words: ['key', 'import'], positionals: ['NAME', 'FILE'], options: ['user', 'passphrase-file', 'key-passphrase-file', 'argon2'], required: ['user'] },
  { words: ['key', 'list'], positionals: [], options: ['json'], required: [] },
  { words: ['key', 'export-public'], positionals: ['NAME'], options: ['output'], required: [] },
  { words: ['grant'], positionals: ['KEY', 'USER'], options: ['by', 'by-passphrase-file', 'passphrase-file', 'key-admin', 'argon2'], required: [] },
];

const GLOBAL: readonly OptionName[] = ['state', 'help'];

export interface ParsedCommand {
  readonly command: string;
  readonly args: Readonly<Record<string, string>>;
  readonly values: ParsedValues;
  readonly stateDir: string;
}

export type ParseResult = { readonly help: true } | ({ readonly help: false } & ParsedCommand);

function usage(message: string): AdminError {
  return new AdminError('USAGE', message);
}

export function parseAdminArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParseResult {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new AdminError('USAGE', (err as Error).message, { cause: err });
  }
  const values = parsed.values as ParsedValues;
  if (values.help === true) return { help: true };
  const pos = parsed.positionals;
  const spec = COMMANDS.find((c) => c.words.every((w, i) => pos[i] === w));
  if (spec === undefined) {
    throw usage(pos.length === 0 ? 'no command given' : `unknown command '${pos.slice(0, 2).join(' ')}'`);
  }
  const name = spec.words.join(' ');
  const rest = pos.slice(spec.words.length);
  if (rest.length !== spec.positionals.length) {
    throw usage(`'${name}' takes ${spec.positionals.length === 0 ? 'no arguments' : spec.positionals.join(' ')}`);
  }
  for (const key of Object.keys(values) as OptionName[]) {
    if (!GLOBAL.includes(key) && !spec.options.includes(key)) throw usage(`option --${key} does not apply to '${name}'`);
  }
  for (const key of spec.required) {
    if (values[key] === undefined) throw usage(`'${name}' needs --${key}`);
  }
  const stateDir = values.state ?? env['SIGNET_STATE_DIR'];
  if (stateDir === undefined || stateDir === '') throw usage('give the state directory with --state DIR (or SIGNET_STATE_DIR)');
  const args: Record<string, string> = {};
  spec.positionals.forEach((p, i) => {
    args[p] = rest[i] as string;
  });
  return { help: false, command: name, args, values, stateDir };
}
