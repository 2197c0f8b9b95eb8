import { KeyStore, REVOCATION_REASONS, type RevocationReason } from '../keystore/index.ts';
import type { ParsedCommand } from './args.ts';
import { describe, keyJson, table, writeOutput } from './format.ts';
import { confirmByName } from './confirm.ts';
import { AdminError } from './errors.ts';
import type { AdminIO } from './io.ts';
import { obtainPassphrase } from './passphrase.ts';

/**
 * Key custody commands: key expire|revoke|delete|rename, user delete|show|unlock, revoke.
 * Runs the command if it is one of these (returns true); false otherwise.
 */

/** --date YYYY-MM-DD: 00:00:00 UTC on that day. */
export function parseExpiryDate(value: string): Date {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  // Round trip: refuses 2027-02-30 instead of rolling it over to March.
  if (date === null || date.toISOString().slice(0, 10) !== value) throw new AdminError('USAGE', `--date must be a calendar date YYYY-MM-DD, not '${value}'`);
  return date;
}

function reason(value: string | undefined): RevocationReason {
  if (value === undefined || !(REVOCATION_REASONS as readonly string[]).includes(value)) {
    throw new AdminError('USAGE', `--reason must be one of ${REVOCATION_REASONS.join(', ')}`);
  }
  return value as RevocationReason;
}

/** The acting key admin: --by, or the key's only key admin. */
export function keyAdmin(store: KeyStore, key: string, by: string | undefined): string {
  if (by !== undefined) return by;
  const admins = store.getKey(key).users.filter((u) => u.keyAdmin);
  if (admins.length !== 1) throw new AdminError('USAGE', `key '${key}' has ${admins.length} key admins; name the one acting with --by`);
  return (admins[0] as { name: string }).name;
}

export async function runCustodyCommand(cmd: ParsedCommand, store: KeyStore, io: AdminIO): Promise<boolean> {
  const { values, args } = cmd;
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  const actor = async (key: string): Promise<{ byUser: string; byPassphrase: string }> => {
    const byUser = keyAdmin(store, key, values.by);
    const byPassphrase = await obtainPassphrase(io, { file: values['by-passphrase-file'], option: '--by-passphrase-file', prompt: `Access passphrase of ${byUser} for ${key}: `, confirm: false });
    return { byUser, byPassphrase };
  };

  switch (cmd.command) {
    case 'key expire': {
      const key = args['NAME'] as string;
      if ((values.date === undefined) === (values.never !== true)) throw new AdminError('USAGE', "'key expire' needs exactly one of --date YYYY-MM-DD and --never");
      const expires = values.date === undefined ? null : parseExpiryDate(values.date);
      const info = await store.setExpiry(key, expires, await actor(key));
      if (values.json === true) out(keyJson(info));
      else out(`${describe(info)} now expires ${info.expires ?? 'never'}; publish the new public key (key export-public ${info.name})`);
      return true;
    }
    case 'key revoke': {
      const key = args['NAME'] as string;
      const why = reason(values.reason);
      const { info, certificate } = await store.revokeKey(key, why, await actor(key));
      if (values.output !== undefined) writeOutput(values.output, certificate);
      if (values.json === true) {
        out(JSON.stringify({ ...JSON.parse(keyJson(info)), revocationCertificate: certificate }, null, 2));
      } else {
        io.stdout.write(certificate);
        io.stderr.write(`revoked key ${info.name} (${why}); it will never sign again. Publish the revocation: 'key export-public ${info.name}' now includes it${values.output === undefined ? '' : `; certificate written to ${values.output}`}\n`);
      }
      return true;
    }
    case 'key delete': {
      const key = args['NAME'] as string;
      store.getKey(key); // KEY_NOT_FOUND before asking
      await confirmByName(io, `delete key '${key}' and its secret material for good`, key, values.yes === true);
      const { walTruncated } = store.deleteKey(key, { force: values.force === true });
      out(`deleted key ${key}`);
      if (!walTruncated) io.stderr.write('warning: the write-ahead log could not be truncated now (another process is reading signet.db); it is on the next checkpoint\n');
      return true;
    }
    case 'key rename': {
      const info = store.renameKey(args['OLD'] as string, args['NEW'] as string);
      out(`renamed key ${args['OLD']} to ${info.name}`);
      return true;
    }
    case 'revoke': {
      store.revokeGrant(args['KEY'] as string, args['USER'] as string, { force: values.force === true });
      out(`revoked ${args['USER']}'s access to key ${args['KEY']}`);
      return true;
    }
    case 'user delete': {
      const user = args['NAME'] as string;
      store.getUser(user); // USER_NOT_FOUND before asking
      await confirmByName(io, `delete user '${user}' and every grant they hold`, user, values.yes === true);
      store.deleteUser(user, { force: values.force === true });
      out(`deleted user ${user}`);
      return true;
    }
    case 'user show': {
      const u = store.getUser(args['NAME'] as string);
      if (values.json === true) return out(JSON.stringify(u, null, 2)), true;
      out(`user ${u.name}, created ${u.created}`);
      if (u.grants.length === 0) out('holds no keys');
      else {
        io.stdout.write(
          table([
            ['KEY', 'ROLE', 'GRANTED BY', 'SINCE', 'FAILED UNLOCKS'],
            ...u.grants.map((g) => [g.key, g.keyAdmin ? 'key admin' : 'user', g.grantedBy ?? '-', g.created.slice(0, 10), g.locked ? `${g.failures} (locked)` : String(g.failures)]),
          ]),
        );
      }
      return true;
    }
    case 'user unlock': {
      const user = args['NAME'] as string;
      const n = store.clearUnlockFailures(user, values.key);
      out(`cleared failed unlocks of ${user}${values.key === undefined ? '' : ` for key ${values.key}`} (${n} grant${n === 1 ? '' : 's'})`);
      return true;
    }
    default:
      return false;
  }
}
