import type * as openpgp from 'openpgp';
import { transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { openAsKeyAdmin } from './grant-open.ts';
import { REVOCATION_REASONS, revokePrivateKey, setKeyExpiry, type RevocationReason } from './key-certs.ts';
import { getKey } from './key-info.ts';
import { parseKeyName } from './names.ts';
import { asStoreError, clearSecrets, keyPassText, probeKey, sealKey, unsealKey } from './openpgp-keys.ts';
import type { StoreContext } from './store-context.ts';
import type { ActorOptions, KeyInfo } from './types.ts';
import { zero } from './wrap.ts';

/**
 * Changing a stored key's certificate — its expiry, or revoking it — with new signatures
 * made by the key itself, opened through a key admin's grant (key-certs.ts does the OpenPGP side).
 */

/** Opens the key as a key admin, changes its certificate with `change`, and stores the result. */
async function recertify(
  ctx: StoreContext,
  keyName: string,
  actor: ActorOptions,
  change: (key: openpgp.PrivateKey, now: Date) => Promise<{ key: openpgp.PrivateKey; columns: Record<string, string | null>; audit: [string, string] }>,
): Promise<KeyInfo> {
  const key = parseKeyName(keyName);
  const { row, keyPass, by } = await openAsKeyAdmin(ctx, key, actor);
  let opened: openpgp.PrivateKey | null = null;
  let updated: openpgp.PrivateKey | null = null;
  try {
    opened = await unsealKey(row.secretArmored, keyPassText(keyPass), row.fingerprint);
    const result = await change(opened, ctx.now());
    updated = result.key;
    // Sealed under the same key passphrase: every grant stays valid.
    const sealed = await sealKey(updated, keyPassText(keyPass));
    const columns: Record<string, string | null> = { ...result.columns, public_armored: sealed.publicArmored, secret_armored: sealed.secretArmored };
    const names = Object.keys(columns);
    transaction(ctx.conn, () => {
      ctx.conn.prepare(`UPDATE keys SET ${names.map((n) => `${n} = ?`).join(', ')} WHERE id = ?`).run(...names.map((n) => columns[n] ?? null), row.keyRef);
      ctx.audit(by, row.fingerprint, result.audit[0], result.audit[1]);
    });
    return getKey(ctx, key);
  } catch (err) {
    throw asStoreError(err);
  } finally {
    zero(keyPass);
    clearSecrets(opened);
    clearSecrets(updated);
  }
}

/** Sets the key's expiry (null: never); see KeyStore.setExpiry. */
export async function setExpiry(ctx: StoreContext, keyName: string, expires: Date | null, actor: ActorOptions): Promise<KeyInfo> {
  if (expires !== null && (!(expires instanceof Date) || !Number.isFinite(expires.getTime()) || expires.getTime() <= ctx.now().getTime())) {
    throw new KeyStoreError('EXPIRY_INVALID', 'the new expiry must be a date in the future (or never)');
  }
  return recertify(ctx, keyName, actor, async (key, now) => {
    const updated = await setKeyExpiry(key, expires, now);
    // The result must still sign now, as unlock will check.
    (await probeKey(updated, now)).dispose();
    // What the new self-signatures say (key creation + whole seconds), not openpgp.js's pick
    // among self-signatures made within the same second.
    const iso = expires === null ? null : new Date(Math.floor(expires.getTime() / 1000) * 1000).toISOString();
    return { key: updated, columns: { expires: iso }, audit: ['key-expire', `${parseKeyName(keyName)} expires=${iso ?? 'never'}`] };
  });
}

/** Revokes the key and returns its revocation certificate; see KeyStore.revokeKey. */
export async function revokeKey(ctx: StoreContext, keyName: string, reason: RevocationReason, actor: ActorOptions): Promise<{ info: KeyInfo; certificate: string }> {
  if (!REVOCATION_REASONS.includes(reason)) throw new KeyStoreError('REASON_INVALID', `revocation reason must be one of ${REVOCATION_REASONS.join(', ')}`);
  let certificate = '';
  const info = await recertify(ctx, keyName, actor, async (key, now) => {
    const revocation = await revokePrivateKey(key, reason, now);
    certificate = revocation.certificate;
    return {
      key: revocation.key,
      columns: { revoked: now.toISOString(), revocation_reason: reason, revocation_armored: certificate },
      audit: ['key-revoke', `${parseKeyName(keyName)} reason=${reason}`],
    };
  });
  return { info, certificate };
}
