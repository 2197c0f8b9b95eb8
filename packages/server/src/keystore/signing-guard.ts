import type * as openpgp from 'openpgp';
import type { Signer } from '../signing/index.ts';
import { createSigner } from '../signing/index.ts';
import { KeyStoreError } from './errors.ts';
import { grantNames, openGrant } from './grant-open.ts';
import { parsePassphrase } from './names.ts';
import { asStoreError, clearSecrets, keyPassText, unsealKey } from './openpgp-keys.ts';
import { optionalText, text, type Row } from './rows.ts';
import type { StoreContext } from './store-context.ts';
import { zero } from './wrap.ts';

/** Unlocking a key for signing, and the guard that re-checks key and grant before every signature. */

/** Opens the key for `userName` and returns a signer holding it in memory only. */
export async function unlock(ctx: StoreContext, keyName: string, userName: string, accessPassphrase: string): Promise<Signer> {
  const { key, user } = grantNames(keyName, userName);
  const passphrase = parsePassphrase(accessPassphrase, 'access passphrase');
  const { row, keyPass } = await openGrant(ctx, key, user, passphrase);
  let opened: openpgp.PrivateKey | null = null;
  try {
    opened = await unsealKey(row.secretArmored, keyPassText(keyPass), row.fingerprint);
    return guarded(ctx, await createSigner(opened, { now: ctx.now }), row.fingerprint, user);
  } catch (err) {
    throw asStoreError(err);
  } finally {
    zero(keyPass);
    clearSecrets(opened);
  }
}

/**
 * A signer that re-checks the key's row and the user's grant before every signature.
 * Threat: a session that unlocked a key before it was revoked, expired or deleted — or
 * before the user's grant was revoked or the user deleted — going on signing with it.
 */
function guarded(ctx: StoreContext, signer: Signer, fingerprint: string, user: string): Signer {
  // One prepared statement, one step per signature (measured: about half the cost of the
  // two lookups it replaces). Always read, never cached: the admin CLI changes these rows
  // from another process, and the very next signature must see that change.
  const current = ctx.conn.prepare(
    `SELECT k.name, k.revoked, k.expires,
            EXISTS (SELECT 1 FROM grants g JOIN users u ON u.id = g.user_ref WHERE g.key_ref = k.id AND u.name = ?) AS granted
     FROM keys k WHERE k.fingerprint = ?`,
  );
  let expiresText: string | null = null;
  let expiresAt = Number.NaN;
  const check = (): void => {
    const row = current.get(user, fingerprint) as Row | undefined;
    if (row === undefined) throw new KeyStoreError('KEY_NOT_FOUND', 'the key was deleted from the key store; it signs no more');
    if (row['granted'] !== 1) {
      throw new KeyStoreError('ACCESS_DENIED', `user ${user} no longer holds a grant for key '${text(row, 'name')}'; it signs no more for them`);
    }
    if (row['revoked'] !== null) throw new KeyStoreError('KEY_REVOKED', `key '${text(row, 'name')}' was revoked; it signs no more`);
    const expires = optionalText(row, 'expires');
    if (expires !== null) {
      if (expires !== expiresText) {
        expiresText = expires;
        expiresAt = Date.parse(expires);
      }
      // NaN (an unparseable date) compares false with everything: refused like a past date.
      if (!(expiresAt > ctx.now().getTime())) throw new KeyStoreError('KEY_EXPIRED', `key '${text(row, 'name')}' expired on ${expires}`);
    }
  };
  return {
    keyId: signer.keyId,
    fingerprint: signer.fingerprint,
    primaryFingerprint: signer.primaryFingerprint,
    algorithm: signer.algorithm,
    pubkeyAlgorithm: signer.pubkeyAlgorithm,
    bits: signer.bits,
    async sign(data: Buffer): Promise<Buffer> {
      check();
      return signer.sign(data);
    },
    dispose: () => signer.dispose(),
  };
}
