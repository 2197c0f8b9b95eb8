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
  // audit, backup, restore
  since: { type: 'string' },
  limit: { type: 'string' },
  key: { type: 'string' },
  'expect-head': { type: 'string' },
  to: { type: 'string' },
  from: { type: 'string' },
  force: { type: 'boolean' },
  // key custody (key expire/revoke/delete, user delete/unlock, binding)
  yes: { type: 'boolean' },
  date: { type: 'string' },
  never: { type: 'boolean' },
  reason: { type: 'string' },
  'binding-file': { type: 'string' },
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
  { words: ['user', 'delete'], positionals: ['NAME'], options: ['force', 'yes'], required: [] },
  { words: ['user', 'list'], positionals: [], options: ['json'], required: [] },
  { words: ['user', 'show'], positionals: ['NAME'], options: ['json'], required: [] },
  { words: ['user', 'unlock'], positionals: ['NAME'], options: ['key'], required: [] },
  { words: ['key', 'generate'], positionals: ['NAME'], options: ['type', 'user', 'uid', 'passphrase-file', 'argon2', 'json'], required: ['type', 'user'] },
  { words: ['key', 'import'], positionals: ['NAME', 'FILE'], options: ['user', 'passphrase-file', 'key-passphrase-file', 'argon2', 'json'], required: ['user'] },
  { words: ['key', 'list'], positionals: [], options: ['json'], required: [] },
  { words: ['key', 'export-public'], positionals: ['NAME'], options: ['output'], required: [] },
  { words: ['key', 'expire'], positionals: ['NAME'], options: ['date', 'never', 'by', 'by-passphrase-file', 'json'], required: [] },
  { words: ['key', 'revoke'], positionals: ['NAME'], options: ['reason', 'by', 'by-passphrase-file', 'output', 'json'], required: ['reason'] },
  { words: ['key', 'delete'], positionals: ['NAME'], options: ['force', 'yes'], required: [] },
  { words: ['key', 'rename'], positionals: ['OLD', 'NEW'], options: [], required: [] },
  { words: ['grant'], positionals: ['KEY', 'USER'], options: ['by', 'by-passphrase-file', 'passphrase-file', 'key-admin', 'argon2'], required: [] },
  { words: ['revoke'], positionals: ['KEY', 'USER'], options: ['force'], required: [] },
  { words: ['audit', 'show'], positionals: [], options: ['since', 'user', 'key', 'limit', 'json'], required: [] },
  { words: ['audit', 'verify'], positionals: [], options: ['expect-head', 'json'], required: [] },
  { words: ['audit', 'export'], positionals: [], options: ['since', 'output'], required: ['output'] },
  { words: ['backup'], positionals: [], options: ['to', 'json'], required: ['to'] },
  { words: ['restore'], positionals: [], options: ['from', 'force', 'json'], required: ['from'] },
];

const GLOBAL: readonly OptionName[] = ['state', 'help', 'binding-file'];

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
