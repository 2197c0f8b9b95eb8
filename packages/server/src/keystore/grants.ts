import { transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { grantNames, grantRow, openAsKeyAdmin, openGrant } from './grant-open.ts';
import { parseKeyName, parseNewPassphrase, parsePassphrase, parseUserName } from './names.ts';
import { int, isUniqueViolation, text, type Row } from './rows.ts';
import type { StoreContext } from './store-context.ts';
import type { ForceOptions, GrantOptions } from './types.ts';
import { grantAssociatedData, wrapSecret, zero, type WrappedSecret } from './wrap.ts';

/**
 * Who holds a key: granting it (a key admin re-wraps the key passphrase for another user),
 * revoking a grant without stranding the key, and a holder changing their own passphrase.
 */

export function insertGrant(ctx: StoreContext, keyRef: number, userRef: number, keyAdmin: boolean, w: WrappedSecret, grantedBy: string | null, created: string): void {
  ctx.conn
    .prepare('INSERT INTO grants (key_ref, user_ref, key_admin, wrapped, salt, nonce, opslimit, memlimit, granted_by, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(keyRef, userRef, keyAdmin ? 1 : 0, w.wrapped, w.salt, w.nonce, w.opslimit, w.memlimit, grantedBy, created);
}

/**
 * Refuses (LAST_GRANT / LAST_KEY_ADMIN) removing `users` from key `keyRef` when that would
 * leave no holder, or holders without a key admin. Threat: a key nobody can unlock or
 * hand on any more — a slip that costs a rotation.
 */
export function checkStrand(ctx: StoreContext, keyRef: number, keyName: string, removed: ReadonlySet<number>, force: boolean): void {
  if (force) return;
  const holders = ctx.conn.prepare('SELECT user_ref, key_admin FROM grants WHERE key_ref = ?').all(keyRef) as Row[];
  const left = holders.filter((h) => !removed.has(int(h, 'user_ref')));
  if (left.length === 0) {
    throw new KeyStoreError('LAST_GRANT', `no user could unlock key '${keyName}' afterwards; grant it to someone else first, or use --force`);
  }
  if (!left.some((h) => int(h, 'key_admin') === 1)) {
    throw new KeyStoreError('LAST_KEY_ADMIN', `key '${keyName}' would have no key admin left (nobody could grant it); grant --key-admin to someone else first, or use --force`);
  }
}

export async function grant(ctx: StoreContext, keyName: string, userName: string, options: GrantOptions): Promise<void> {
  const key = parseKeyName(keyName);
  const user = parseUserName(userName);
  parseUserName(options.byUser);
  parsePassphrase(options.byPassphrase, "granter's access passphrase");
  const newPassphrase = parseNewPassphrase(options.newPassphrase, 'new access passphrase');
  const keyAdmin = options.keyAdmin === true;
  if (!ctx.keyExists(key)) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${key}'; see 'admin key list'`);
  const userRef = ctx.requireUser(user);
  if (grantRow(ctx, key, user) !== undefined) throw new KeyStoreError('GRANT_EXISTS', `user '${user}' already holds key '${key}'`);
  const { row, keyPass, by } = await openAsKeyAdmin(ctx, key, options);
  try {
    const wrapped = await wrapSecret(keyPass, newPassphrase, grantAssociatedData(row.fingerprint, user, keyAdmin), ctx.argon2, ctx.bindingSecret());
    try {
      transaction(ctx.conn, () => {
        insertGrant(ctx, row.keyRef, userRef, keyAdmin, wrapped, by, ctx.nowIso());
        ctx.audit(by, row.fingerprint, keyAdmin ? 'grant-key-admin' : 'grant', user);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new KeyStoreError('GRANT_EXISTS', `user '${user}' already holds key '${key}'`);
      throw err;
    }
  } finally {
    zero(keyPass);
  }
}

/** Removes `user`'s access to `key`; refuses to strand the key (LAST_GRANT, LAST_KEY_ADMIN) unless `force`. */
export function revokeGrant(ctx: StoreContext, keyName: string, userName: string, options: ForceOptions): void {
  const key = parseKeyName(keyName);
  const user = parseUserName(userName);
  const keyRow = ctx.keyRow(key);
  const userRef = ctx.requireUser(user);
  transaction(ctx.conn, () => {
    const keyRef = int(keyRow, 'id');
    if (ctx.conn.prepare('SELECT 1 AS one FROM grants WHERE key_ref = ? AND user_ref = ?').get(keyRef, userRef) === undefined) {
      throw new KeyStoreError('GRANT_NOT_FOUND', `user '${user}' does not hold key '${key}'`);
    }
    checkStrand(ctx, keyRef, key, new Set([userRef]), options.force === true);
    ctx.conn.prepare('DELETE FROM grants WHERE key_ref = ? AND user_ref = ?').run(keyRef, userRef);
    ctx.audit(user, text(keyRow, 'fingerprint'), options.force === true ? 'revoke-grant-forced' : 'revoke-grant', key);
  });
}

/** Re-wraps `user`'s own access to `key` under a new passphrase; needs the current one. */
export async function changePassphrase(ctx: StoreContext, keyName: string, userName: string, oldPassphrase: string, newPassphrase: string): Promise<void> {
  const { key, user } = grantNames(keyName, userName);
  const current = parsePassphrase(oldPassphrase, 'access passphrase');
  const next = parseNewPassphrase(newPassphrase, 'new access passphrase');
  const { row, keyPass } = await openGrant(ctx, key, user, current);
  try {
    const wrapped = await wrapSecret(keyPass, next, grantAssociatedData(row.fingerprint, user, row.keyAdmin), ctx.argon2, ctx.bindingSecret());
    transaction(ctx.conn, () => {
      ctx.conn
        .prepare('UPDATE grants SET wrapped = ?, salt = ?, nonce = ?, opslimit = ?, memlimit = ? WHERE key_ref = ? AND user_ref = ?')
        .run(wrapped.wrapped, wrapped.salt, wrapped.nonce, wrapped.opslimit, wrapped.memlimit, row.keyRef, row.userRef);
      ctx.audit(user, row.fingerprint, 'change-passphrase', key);
    });
  } finally {
    zero(keyPass);
  }
}
