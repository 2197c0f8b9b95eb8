import { transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { decide, refusal } from './limiter.ts';
import { parseKeyName, parsePassphrase, parseUserName } from './names.ts';
import { blob, int, text, type Row } from './rows.ts';
import type { StoreContext } from './store-context.ts';
import type { ActorOptions } from './types.ts';
import { burnUnwrapTime, grantAssociatedData, unwrapSecret, zero, type WrappedSecret } from './wrap.ts';

/**
 * Opening a grant: unwrapping a key's random passphrase with a user's access passphrase,
 * one attempt at a time per grant, counted by the limiter (throttling, lockout) and audited.
 * Every path that needs a key passphrase — unlock, grant, change of passphrase, expiry,
 * revocation — comes through here.
 */

export interface GrantRow extends WrappedSecret {
  readonly keyRef: number;
  readonly userRef: number;
  readonly fingerprint: string;
  readonly secretArmored: string;
  readonly revoked: boolean;
  readonly keyAdmin: boolean;
}

export function grantRow(ctx: StoreContext, keyName: string, userName: string): GrantRow | undefined {
  const row = ctx.conn
    .prepare(
      `SELECT k.id AS key_ref, u.id AS user_ref, k.fingerprint, k.secret_armored, k.revoked, g.key_admin, g.wrapped, g.salt, g.nonce, g.opslimit, g.memlimit
       FROM grants g JOIN keys k ON k.id = g.key_ref JOIN users u ON u.id = g.user_ref
       WHERE k.name = ? AND u.name = ?`,
    )
    .get(keyName, userName) as Row | undefined;
  if (row === undefined) return undefined;
  return {
    keyRef: int(row, 'key_ref'),
    userRef: int(row, 'user_ref'),
    fingerprint: text(row, 'fingerprint'),
    secretArmored: text(row, 'secret_armored'),
    revoked: row['revoked'] !== null,
    keyAdmin: int(row, 'key_admin') === 1,
    wrapped: blob(row, 'wrapped'),
    salt: blob(row, 'salt'),
    nonce: blob(row, 'nonce'),
    opslimit: int(row, 'opslimit'),
    memlimit: int(row, 'memlimit'),
  };
}

function failureState(ctx: StoreContext, row: GrantRow): { failures: number; lastFailure: number | null } {
  const r = ctx.conn.prepare('SELECT failures, last_failure FROM unlock_limits WHERE key_ref = ? AND user_ref = ?').get(row.keyRef, row.userRef) as Row | undefined;
  if (r === undefined) return { failures: 0, lastFailure: null };
  const last = Date.parse(text(r, 'last_failure'));
  return { failures: int(r, 'failures'), lastFailure: Number.isFinite(last) ? last : null };
}

/**
 * Opens `userName`'s grant with the access passphrase. ACCESS_DENIED when the key does not
 * exist *or* the user holds no grant, after the same Argon2id work as a real attempt, so
 * neither the code nor the timing says whether a key exists. BAD_PASSPHRASE tells the
 * caller only that they hold a grant — which a grant holder may know. Wrong passphrases
 * are counted per grant (limiter.ts) and audited as `unlock-failed`.
 */
export async function openGrant(ctx: StoreContext, keyName: string, userName: string, passphrase: string): Promise<{ row: GrantRow; keyPass: Uint8Array }> {
  const row = grantRow(ctx, keyName, userName);
  if (row === undefined) {
    await burnUnwrapTime(passphrase, ctx.argon2);
    ctx.audit(userName, null, 'unlock-failed', `${keyName} reason=no-grant`);
    throw new KeyStoreError('ACCESS_DENIED', `user '${userName}' holds no key named '${keyName}'`);
  }
  if (row.revoked) throw new KeyStoreError('KEY_REVOKED', `key '${keyName}' is revoked and never unlocks again`);
  const binding = ctx.bindingSecret();
  // Threat: parallel guesses racing past the counter; attempts on one grant run one by one.
  return ctx.serialized(`${row.keyRef}:${row.userRef}`, async () => {
    const decision = decide(failureState(ctx, row), ctx.now(), ctx.limits);
    if (!decision.allowed) {
      ctx.audit(userName, row.fingerprint, 'unlock-failed', `${keyName} reason=${decision.code === 'UNLOCK_LOCKED' ? 'locked' : 'throttled'} failures=${decision.failures}`);
      throw refusal(decision, keyName, userName);
    }
    let keyPass: Uint8Array | null;
    try {
      keyPass = await unwrapSecret(row, passphrase, grantAssociatedData(row.fingerprint, userName, row.keyAdmin), binding);
    } catch (err) {
      if (err instanceof KeyStoreError && err.code === 'ARGON2_PARAMS_INVALID') {
        throw new KeyStoreError('DB_CORRUPT', 'a grant row holds Argon2id limits out of range; restore the database from a backup', { cause: err });
      }
      throw err;
    }
    if (keyPass === null) {
      const failures = transaction(ctx.conn, () => {
        const r = ctx.conn
          .prepare(
            `INSERT INTO unlock_limits (key_ref, user_ref, failures, last_failure) VALUES (?, ?, 1, ?)
             ON CONFLICT (key_ref, user_ref) DO UPDATE SET failures = failures + 1, last_failure = excluded.last_failure
             RETURNING failures`,
          )
          .get(row.keyRef, row.userRef, ctx.nowIso()) as Row;
        const n = int(r, 'failures');
        ctx.audit(userName, row.fingerprint, 'unlock-failed', `${keyName} reason=bad-passphrase failures=${n}`);
        return n;
      });
      const locked = failures >= ctx.limits.lockoutAfter ? '; the grant is now locked until an administrator runs admin user unlock' : '';
      throw new KeyStoreError('BAD_PASSPHRASE', `the access passphrase does not open '${userName}''s grant for key '${keyName}' (wrong passphrase, or the grant row was altered)${locked}`);
    }
    try {
      ctx.conn.prepare('DELETE FROM unlock_limits WHERE key_ref = ? AND user_ref = ?').run(row.keyRef, row.userRef);
    } catch (err) {
      zero(keyPass); // not handed to the caller, so wiped here
      throw err;
    }
    return { row, keyPass };
  });
}

/** Opens the grant of a key admin acting on `key`; KEY_ADMIN_REQUIRED for a plain holder. */
export async function openAsKeyAdmin(ctx: StoreContext, key: string, actor: ActorOptions): Promise<{ row: GrantRow; keyPass: Uint8Array; by: string }> {
  const by = parseUserName(actor.byUser);
  const byPassphrase = parsePassphrase(actor.byPassphrase, "key admin's access passphrase");
  if (!ctx.keyExists(key)) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${key}'; see 'admin key list'`);
  const { row, keyPass } = await openGrant(ctx, key, by, byPassphrase);
  // The flag counts only because the AEAD bound it to the wrapped passphrase.
  if (!row.keyAdmin) {
    zero(keyPass);
    throw new KeyStoreError('KEY_ADMIN_REQUIRED', `user '${by}' holds key '${key}' but is not its key admin`);
  }
  return { row, keyPass, by };
}

/**
 * Key and user names of a grant request. Syntax is checked first: it depends on nothing
 * stored, so it reveals nothing; a bad name gets the same answer as a missing grant.
 */
export function grantNames(keyName: string, userName: string): { key: string; user: string } {
  try {
    return { key: parseKeyName(keyName), user: parseUserName(userName) };
  } catch {
    throw new KeyStoreError('ACCESS_DENIED', 'no such key, or the user holds no grant for it');
  }
}
