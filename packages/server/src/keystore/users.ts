import { transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { checkStrand } from './grants.ts';
import { parseKeyName, parseUserName } from './names.ts';
import { int, isUniqueViolation, optionalText, text, type Row } from './rows.ts';
import type { StoreContext } from './store-context.ts';
import type { ForceOptions, UserDetail, UserInfo } from './types.ts';

/** Users of the key store: adding, listing, showing and deleting them, and clearing their unlock failures. */

export function addUser(ctx: StoreContext, name: string): UserInfo {
  const user = parseUserName(name);
  const created = ctx.nowIso();
  try {
    transaction(ctx.conn, () => {
      ctx.conn.prepare('INSERT INTO users (name, created) VALUES (?, ?)').run(user, created);
      ctx.audit(user, null, 'user-add', user);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new KeyStoreError('USER_EXISTS', `user '${user}' already exists`);
    throw err;
  }
  return { name: user, created, keys: [] };
}

export function listUsers(ctx: StoreContext): UserInfo[] {
  const users = ctx.conn.prepare('SELECT id, name, created FROM users ORDER BY name').all() as Row[];
  const held = ctx.conn.prepare('SELECT k.name AS key FROM grants g JOIN keys k ON k.id = g.key_ref WHERE g.user_ref = ? ORDER BY k.name');
  return users.map((u) => ({
    name: text(u, 'name'),
    created: text(u, 'created'),
    keys: (held.all(int(u, 'id')) as Row[]).map((r) => text(r, 'key')),
  }));
}

export function getUser(ctx: StoreContext, name: string): UserDetail {
  const user = parseUserName(name);
  const row = ctx.conn.prepare('SELECT id, name, created FROM users WHERE name = ?').get(user) as Row | undefined;
  if (row === undefined) throw new KeyStoreError('USER_NOT_FOUND', `no user '${user}'; see 'admin user list'`);
  const grants = ctx.conn
    .prepare(
      `SELECT k.name AS key, g.key_admin, g.granted_by, g.created, coalesce(l.failures, 0) AS failures
       FROM grants g JOIN keys k ON k.id = g.key_ref
       LEFT JOIN unlock_limits l ON l.key_ref = g.key_ref AND l.user_ref = g.user_ref
       WHERE g.user_ref = ? ORDER BY k.name`,
    )
    .all(int(row, 'id')) as Row[];
  const list = grants.map((g) => ({
    key: text(g, 'key'),
    keyAdmin: int(g, 'key_admin') === 1,
    grantedBy: optionalText(g, 'granted_by'),
    created: text(g, 'created'),
    failures: int(g, 'failures'),
    locked: int(g, 'failures') >= ctx.limits.lockoutAfter,
  }));
  return { name: text(row, 'name'), created: text(row, 'created'), keys: list.map((g) => g.key), grants: list };
}

/** Deletes a user and their grants; refuses if a key would be stranded, unless `force`. */
export function deleteUser(ctx: StoreContext, name: string, options: ForceOptions): void {
  const user = parseUserName(name);
  const userRef = ctx.requireUser(user);
  transaction(ctx.conn, () => {
    const held = ctx.conn.prepare('SELECT g.key_ref, k.name FROM grants g JOIN keys k ON k.id = g.key_ref WHERE g.user_ref = ?').all(userRef) as Row[];
    for (const g of held) checkStrand(ctx, int(g, 'key_ref'), text(g, 'name'), new Set([userRef]), options.force === true);
    ctx.conn.prepare('DELETE FROM users WHERE id = ?').run(userRef);
    ctx.audit(user, null, options.force === true ? 'user-delete-forced' : 'user-delete', user);
  });
}

/** Clears failed-unlock counts (and a lockout) of `user`, for one key or all. Returns how many grants were cleared. */
export function clearUnlockFailures(ctx: StoreContext, userName: string, keyName?: string): number {
  const user = parseUserName(userName);
  const userRef = ctx.requireUser(user);
  let keyRef: number | null = null;
  let fingerprint: string | null = null;
  if (keyName !== undefined) {
    const row = ctx.keyRow(parseKeyName(keyName));
    keyRef = int(row, 'id');
    fingerprint = text(row, 'fingerprint');
  }
  return transaction(ctx.conn, () => {
    const res = keyRef === null
      ? ctx.conn.prepare('DELETE FROM unlock_limits WHERE user_ref = ?').run(userRef)
      : ctx.conn.prepare('DELETE FROM unlock_limits WHERE user_ref = ? AND key_ref = ?').run(userRef, keyRef);
    ctx.audit(user, fingerprint, 'unlock-clear', keyName ?? '*');
    return Number(res.changes);
  });
}
