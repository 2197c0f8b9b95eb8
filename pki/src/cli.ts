import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isSignetError } from '@signet/protocol';
import { PkiError, PKI_USAGE_CODES } from './errors.ts';
import type { IndexEntry } from './index-file.ts';
import { parseKeyBits } from './keys.ts';
import { formatListing } from './list-format.ts';
import { parseRole } from './profile.ts';
import { renewInDir } from './renew.ts';
import { crlInDir, parseReason, revokeInDir, type CrlResult } from './revoke.ts';
import { retireCa, rolloverCa } from './rollover.ts';
import { parseSerial } from './select.ts';
import { issueToDir, initCaDir, listDir } from './store.ts';
import { parseDays, parseIsoDate } from './validity.ts';

export const USAGE = `usage:
  signet-pki init  --dir DIR [--name "Signet CA"] [--days N] [--key-bits 2048|3072|4096]
                   [--not-before ISO] [--not-after ISO]
  signet-pki issue --dir DIR --role bridge|server|client --name NAME [--dns NAME]... [--ip ADDR]...
                   [--days N] [--key-bits 2048|3072|4096] [--not-before ISO] [--not-after ISO]
                   [--out PREFIX] [--force]
  signet-pki renew --dir DIR --name NAME [--days N] [--key-bits 2048|3072|4096 | --reuse-key]
  signet-pki revoke --dir DIR (--serial HEX | --name NAME)
                   [--reason keyCompromise|superseded|cessationOfOperation|unspecified]
  signet-pki crl   --dir DIR [--days N]
  signet-pki list  --dir DIR [--expiring-within DAYS] [--json]
  signet-pki rollover --dir DIR [--name "Signet CA g2"] [--days N] [--key-bits 2048|3072|4096]
  signet-pki retire-ca --dir DIR --serial HEX [--force]

  bridge: NAME is a DNS name or IP address (CN and first SAN); --dns/--ip add SANs.
  server: NAME is the DNS name clients pin.   client: NAME is the user name (CN).
  Defaults: CA 3650 days, certificates 365 days, RSA 3072; notBefore = now - 5 minutes;
  CRLs 7 days (crl --days sets it for later CRLs too).
  Parties trust DIR/ca-bundle.pem and check DIR/crl-bundle.pem.
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
  list: { dir: { type: 'string' }, json: { type: 'boolean' }, 'expiring-within': { type: 'string' } },
  renew: {
    dir: { type: 'string' },
    name: { type: 'string' },
    days: { type: 'string' },
    'key-bits': { type: 'string' },
    'reuse-key': { type: 'boolean' },
  },
  revoke: { dir: { type: 'string' }, serial: { type: 'string' }, name: { type: 'string' }, reason: { type: 'string' } },
  crl: { dir: { type: 'string' }, days: { type: 'string' } },
  rollover: { dir: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' }, 'key-bits': { type: 'string' } },
  'retire-ca': { dir: { type: 'string' }, serial: { type: 'string' }, force: { type: 'boolean' } },
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
      const within = v['expiring-within'];
      const filter = within !== undefined ? { expiringWithinDays: parseDaysOption(within, '--expiring-within') } : {};
      const listing = listDir(required(v.dir, 'dir'), now, filter);
      io.stdout(v.json ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing, filter));
      return 0;
    }
    case 'renew': {
      const v = parse(rest, COMMANDS.renew);
      const result = renewInDir(required(v.dir, 'dir'), {
        name: required(v.name, 'name'),
        now,
        ...(v.days !== undefined ? { days: parseDays(v.days) } : {}),
        ...(v['key-bits'] !== undefined ? { keyBits: parseKeyBits(v['key-bits']) } : {}),
        ...(v['reuse-key'] ? { reuseKey: true } : {}),
      });
      const e = result.entry;
      io.stdout(`renewed ${e.role} certificate '${e.name}': serial ${e.serial} replaces ${result.previous.serial}, valid until ${e.notAfter}\n  certificate ${result.certPath}\n  key         ${result.keyPath}${v['reuse-key'] ? ' (unchanged)' : ' (new)'}\n${oldCertificateNote(result.previous)}\n`);
      return 0;
    }
    case 'revoke': {
      const v = parse(rest, COMMANDS.revoke);
      const result = revokeInDir(required(v.dir, 'dir'), {
        now,
        ...(v.serial !== undefined ? { serial: parseSerial(v.serial) } : {}),
        ...(v.name !== undefined ? { name: v.name } : {}),
        ...(v.reason !== undefined ? { reason: parseReason(v.reason) } : {}),
      });
      const e = result.entry;
      io.stdout(`revoked ${e.role} certificate '${e.name}' serial ${e.serial} (${e.revoked?.reason})\n${crlText(result)}`);
      warn(io, result.warnings);
      return 0;
    }
    case 'crl': {
      const v = parse(rest, COMMANDS.crl);
      const result = crlInDir(required(v.dir, 'dir'), { now, ...(v.days !== undefined ? { days: parseDays(v.days) } : {}) });
      io.stdout(crlText(result));
      warn(io, result.warnings);
      return 0;
    }
    case 'rollover': {
      const v = parse(rest, COMMANDS.rollover);
      const result = rolloverCa(required(v.dir, 'dir'), {
        now,
        ...(v.name !== undefined ? { name: v.name } : {}),
        ...(v.days !== undefined ? { days: parseDays(v.days) } : {}),
        ...(v['key-bits'] !== undefined ? { keyBits: parseKeyBits(v['key-bits']) } : {}),
      });
      io.stdout(`new CA '${result.ca.name}' serial ${result.ca.serial} (SHA-256 ${result.ca.fingerprint256})\n  previous CA serial ${result.previous.serial} moved to ${result.previous.path}/ and stays trusted\n  distribute ${result.caBundlePath} and ${result.crlBundlePath} to every party BEFORE renewing any certificate\n${crlText(result)}`);
      warn(io, result.warnings);
      return 0;
    }
    case 'retire-ca': {
      const v = parse(rest, COMMANDS['retire-ca']);
      const result = retireCa(required(v.dir, 'dir'), { serial: parseSerial(required(v.serial, 'serial')), now, force: v.force ?? false });
      io.stdout(`retired CA '${result.retired.name}' serial ${result.retired.serial}; distribute the new bundles\n${crlText(result)}`);
      warn(io, result.warnings);
      warn(io, result.outstanding.map((e) => `certificate ${e.serial} (${e.role} ${e.name}) of the retired CA is still current and will no longer be trusted`));
      return 0;
    }
  }
}

function oldCertificateNote(previous: IndexEntry): string {
  return previous.revoked !== undefined
    ? `  the old certificate ${previous.serial} is revoked (${previous.revoked.reason})`
    : `  the old certificate stays valid until ${previous.notAfter}; revoke it with --serial ${previous.serial} --reason superseded once the new one is deployed`;
}

function crlText(r: CrlResult): string {
  return `CRL number ${r.crlNumber}, next update ${r.nextUpdate.toISOString()}\n${r.files.map((f) => `  wrote ${f}\n`).join('')}`;
}

function warn(io: CliIo, warnings: readonly string[]): void {
  for (const w of warnings) io.stderr(`signet-pki: warning: ${w}\n`);
}

function parseDaysOption(value: string, option: string): number {
  // 0 is allowed here: "--expiring-within 0" lists what has already expired.
  if (!/^[0-9]{1,5}$/.test(value)) {
    throw new PkiError('PKI_USAGE', `${option} takes a whole number of days`);
  }
  return Number(value);
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
