import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isSignetError } from '@signet/protocol';
import { PkiError, PKI_USAGE_CODES } from './errors.ts';
import { parseKeyBits } from './keys.ts';
import { formatListing } from './list-format.ts';
import { parseRole } from './profile.ts';
import { issueToDir, initCaDir, listDir } from './store.ts';
import { parseDays, parseIsoDate } from './validity.ts';

export const USAGE = `usage:
  signet-pki init  --dir DIR [--name "Signet CA"] [--days N] [--key-bits 2048|3072|4096]
                   [--not-before ISO] [--not-after ISO]
  signet-pki issue --dir DIR --role bridge|server|client --name NAME [--dns NAME]... [--ip ADDR]...
                   [--days N] [--key-bits 2048|3072|4096] [--not-before ISO] [--not-after ISO]
                   [--out PREFIX] [--force]
  signet-pki list  --dir DIR [--json]

  bridge: NAME is a DNS name or IP address (CN and first SAN); --dns/--ip add SANs.
  server: NAME is the DNS name clients pin.   client: NAME is the user name (CN).
  Defaults: CA 3650 days, certificates 365 days, RSA 3072; notBefore = now - 5 minutes.
  Exit status: 0 ok, 1 failure, 2 usage error.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The clock, for tests; default `new Date()`. */
  now?: Date;
}

const validity = {
  days: { type: 'string' },
  'not-before': { type: 'string' },
  'not-after': { type: 'string' },
  'key-bits': { type: 'string' },
} as const;

const COMMANDS = {
  init: { dir: { type: 'string' }, name: { type: 'string' }, ...validity },
  issue: {
    dir: { type: 'string' },
    role: { type: 'string' },
    name: { type: 'string' },
    dns: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    out: { type: 'string' },
    force: { type: 'boolean' },
    ...validity,
  },
  list: { dir: { type: 'string' }, json: { type: 'boolean' } },
} as const satisfies Record<string, ParseArgsConfig['options']>;

type Command = keyof typeof COMMANDS;

/** Runs one signet-pki command line; returns the exit status. Never throws. */
export function runCli(argv: readonly string[], io: CliIo): number {
  try {
    return dispatch(argv, io);
  } catch (err) {
    if (isSignetError(err)) {
      io.stderr(`signet-pki: ${err.code}: ${err.message}\n`);
      return PKI_USAGE_CODES.has(err.code as PkiError['code']) ? 2 : 1;
    }
    io.stderr(`signet-pki: PKI_INTERNAL: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function dispatch(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (command === undefined || !Object.hasOwn(COMMANDS, command)) {
    throw new PkiError('PKI_USAGE', `${command === undefined ? 'no command given' : `unknown command '${command.slice(0, 40)}'`}\n${USAGE}`);
  }
  const now = io.now ?? new Date();
  switch (command as Command) {
    case 'init': {
      const v = parse(rest, COMMANDS.init);
      const result = initCaDir(required(v.dir, 'dir'), { name: v.name, ...validityOptions(v, now) });
      io.stdout(`created CA '${result.ca.name}' in ${result.dir}\n  certificate ${result.certPath}\n  key         ${result.keyPath} (keep it offline)\n  SHA-256     ${result.ca.fingerprint256}\n`);
      return 0;
    }
    case 'issue': {
      const v = parse(rest, COMMANDS.issue);
      const result = issueToDir(required(v.dir, 'dir'), {
        role: parseRole(required(v.role, 'role')),
        name: required(v.name, 'name'),
        dns: v.dns ?? [],
        ip: v.ip ?? [],
        out: v.out,
        force: v.force ?? false,
        ...validityOptions(v, now),
      });
      const e = result.entry;
      io.stdout(`issued ${e.role} certificate '${e.name}' serial ${e.serial}, valid until ${e.notAfter}\n  certificate ${result.certPath}\n  key         ${result.keyPath}\n`);
      return 0;
    }
    case 'list': {
      const v = parse(rest, COMMANDS.list);
      const listing = listDir(required(v.dir, 'dir'), now);
      io.stdout(v.json ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing));
      return 0;
    }
  }
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    // parseArgs says which option was unknown or malformed; keep its words.
    throw new PkiError('PKI_USAGE', `${err instanceof Error ? err.message : String(err)}\n${USAGE}`, { cause: err });
  }
}

function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '') {
    throw new PkiError('PKI_USAGE', `--${option} is required\n${USAGE}`);
  }
  return value;
}

function validityOptions(
  v: { days?: string | undefined; 'not-before'?: string | undefined; 'not-after'?: string | undefined; 'key-bits'?: string | undefined },
  now: Date,
): { days?: number; notBefore?: Date; notAfter?: Date; keyBits?: ReturnType<typeof parseKeyBits>; now: Date } {
  return {
    now,
    ...(v.days !== undefined ? { days: parseDays(v.days) } : {}),
    ...(v['not-before'] !== undefined ? { notBefore: parseIsoDate(v['not-before'], '--not-before') } : {}),
    ...(v['not-after'] !== undefined ? { notAfter: parseIsoDate(v['not-after'], '--not-after') } : {}),
    ...(v['key-bits'] !== undefined ? { keyBits: parseKeyBits(v['key-bits']) } : {}),
  };
}
