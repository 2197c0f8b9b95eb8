import { KeyStoreError } from './errors.ts';
import { REVOCATION_REASONS, type RevocationReason } from './key-certs.ts';
import { parseKeyName } from './names.ts';
import { int, optionalText, text, type Row } from './rows.ts';
import type { StoreContext } from './store-context.ts';
import type { KeyInfo, KeyStatus } from './types.ts';

/** Reading stored keys: their description, status and holders, public key and revocation certificate. */

export function listKeys(ctx: StoreContext): KeyInfo[] {
  const rows = ctx.conn.prepare('SELECT name FROM keys ORDER BY name').all() as Row[];
  return rows.map((r) => getKey(ctx, text(r, 'name')));
}

export function getKey(ctx: StoreContext, name: string): KeyInfo {
  const row = ctx.keyRow(parseKeyName(name));
  const users = ctx.conn
    .prepare('SELECT u.name AS name, g.key_admin AS key_admin FROM grants g JOIN users u ON u.id = g.user_ref WHERE g.key_ref = ? ORDER BY u.name')
    .all(int(row, 'id')) as Row[];
  const algorithm = text(row, 'algorithm');
  if (algorithm !== 'rsa' && algorithm !== 'eddsa') throw new KeyStoreError('DB_CORRUPT', 'unknown algorithm in keys table');
  const expires = optionalText(row, 'expires');
  const revoked = optionalText(row, 'revoked');
  const reason = optionalText(row, 'revocation_reason');
  if (reason !== null && !(REVOCATION_REASONS as readonly string[]).includes(reason)) throw new KeyStoreError('DB_CORRUPT', 'unknown revocation reason in keys table');
  const status: KeyStatus = revoked !== null ? 'revoked' : expires !== null && Date.parse(expires) <= ctx.now().getTime() ? 'expired' : 'active';
  return {
    name: text(row, 'name'),
    fingerprint: text(row, 'fingerprint'),
    keyId: text(row, 'signing_key_id'),
    signingKeyId: text(row, 'signing_key_id'),
    signingFingerprint: text(row, 'signing_fingerprint'),
    algorithm,
    bits: int(row, 'bits'),
    created: text(row, 'created'),
    expires,
    added: text(row, 'added'),
    status,
    revoked,
    revocationReason: reason as RevocationReason | null,
    users: users.map((u) => ({ name: text(u, 'name'), keyAdmin: int(u, 'key_admin') === 1 })),
  };
}

/** The armored public key; after `revokeKey`, with its revocation signature. */
export function publicKeyArmored(ctx: StoreContext, name: string): string {
  return text(ctx.keyRow(parseKeyName(name)), 'public_armored');
}

/** The armored revocation certificate made by `revokeKey` (null: not revoked). */
export function revocationCertificate(ctx: StoreContext, name: string): string | null {
  return optionalText(ctx.keyRow(parseKeyName(name)), 'revocation_armored');
}
