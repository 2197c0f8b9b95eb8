import type * as openpgp from 'openpgp';
import { transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { insertGrant } from './grants.ts';
import { getKey } from './key-info.ts';
import { parseKeyName, parseNewPassphrase, parsePassphrase, parseUserName } from './names.ts';
import {
  clearSecrets, describeKey, generatePrivateKey, KEY_TYPES, keyPassText, parseSecretKey, probeKey, sealKey,
  type KeyDescription, type KeyType,
} from './openpgp-keys.ts';
import { int, isUniqueViolation, text, type Row } from './rows.ts';
import type { StoreContext } from './store-context.ts';
import { CONSOLE_ACTOR, KEY_PASSPHRASE_BYTES, type ForceOptions, type GenerateOptions, type KeyInfo } from './types.ts';
import { grantAssociatedData, randomSecret, wrapSecret, zero } from './wrap.ts';

/**
 * A key's way into and out of the store: generating or importing it (sealed under a new
 * random passphrase, granted to its first user as key admin), renaming and deleting it.
 * Expiry and revocation are key-recertify.ts.
 */

export async function generateKey(ctx: StoreContext, name: string, type: KeyType, firstUser: string, accessPassphrase: string, options: GenerateOptions): Promise<KeyInfo> {
  const keyName = parseKeyName(name);
  const user = parseUserName(firstUser);
  const passphrase = parseNewPassphrase(accessPassphrase, 'access passphrase');
  if (!KEY_TYPES.includes(type)) throw new KeyStoreError('KEY_ALGORITHM_UNSUPPORTED', `key type must be one of ${KEY_TYPES.join(', ')}`);
  // Fail fast, before seconds of key generation.
  ctx.requireUser(user);
  ctx.bindingSecret();
  if (ctx.keyExists(keyName)) throw new KeyStoreError('KEY_EXISTS', `a key named '${keyName}' already exists`);
  const now = ctx.now();
  const key = await generatePrivateKey(type, options.userId ?? { name: `Signet key ${keyName}` }, now);
  return store(ctx, keyName, key, user, passphrase, 'key-generate');
}

export async function importKey(ctx: StoreContext, name: string, armoredSecret: string, firstUser: string, accessPassphrase: string, fileKeyPassphrase?: string): Promise<KeyInfo> {
  const keyName = parseKeyName(name);
  const user = parseUserName(firstUser);
  const passphrase = parseNewPassphrase(accessPassphrase, 'access passphrase');
  ctx.requireUser(user);
  ctx.bindingSecret();
  if (ctx.keyExists(keyName)) throw new KeyStoreError('KEY_EXISTS', `a key named '${keyName}' already exists`);
  const key = await parseSecretKey(armoredSecret, fileKeyPassphrase === undefined ? undefined : parsePassphrase(fileKeyPassphrase, 'key file passphrase'));
  return store(ctx, keyName, key, user, passphrase, 'key-import');
}

/** Refuses a key already stored (KEY_EXISTS) or one whose signing key ID collides (KEY_ID_COLLISION). */
function checkNew(ctx: StoreContext, desc: KeyDescription): void {
  const existing = ctx.conn.prepare('SELECT name FROM keys WHERE fingerprint = ?').get(desc.fingerprint) as Row | undefined;
  if (existing !== undefined) throw new KeyStoreError('KEY_EXISTS', `this key is already stored as '${text(existing, 'name')}'`);
  // Threat: rpm finds a key by its key ID and Koji files signatures by the last 8 hex digits
  // of it (the sigkey); two keys sharing either would be confused, and a crafted key could
  // pass off as the trusted one.
  const sigkey = desc.signingKeyId.slice(8);
  const clash = ctx.conn.prepare('SELECT name, signing_key_id FROM keys WHERE substr(signing_key_id, 9) = ?').get(sigkey) as Row | undefined;
  if (clash !== undefined) {
    const full = text(clash, 'signing_key_id') === desc.signingKeyId;
    throw new KeyStoreError('KEY_ID_COLLISION', `the signing key ID ${desc.signingKeyId} ${full ? 'equals' : `shares its last 8 digits (Koji sigkey ${sigkey.toLowerCase()}) with`} that of stored key '${text(clash, 'name')}'; rpm and Koji could not tell them apart: use another key`);
  }
}

/** Checks, seals and stores a decrypted key with its first user, a key admin. */
async function store(ctx: StoreContext, keyName: string, key: openpgp.PrivateKey, user: string, accessPassphrase: string, kind: string): Promise<KeyInfo> {
  let keyPass: Uint8Array | null = null;
  try {
    const now = ctx.now();
    // Refuses expired, revoked, unsupported and inconsistent keys (secret part not
    // matching the public part); the probe signature must verify.
    const probe = await probeKey(key, now);
    const desc = await describeKey(key, probe);
    checkNew(ctx, desc);
    keyPass = await randomSecret(KEY_PASSPHRASE_BYTES);
    const sealed = await sealKey(key, keyPassText(keyPass));
    const wrapped = await wrapSecret(keyPass, accessPassphrase, grantAssociatedData(desc.fingerprint, user, true), ctx.argon2, ctx.bindingSecret());
    const added = now.toISOString();
    try {
      transaction(ctx.conn, () => {
        const userRef = ctx.requireUser(user);
        checkNew(ctx, desc); // again inside the transaction: another process may have stored it meanwhile
        const res = ctx.conn
          .prepare(
            `INSERT INTO keys (name, fingerprint, signing_key_id, signing_fingerprint, algorithm, bits, created, expires, added, public_armored, secret_armored)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(keyName, desc.fingerprint, desc.signingKeyId, desc.signingFingerprint, desc.algorithm, desc.bits, desc.created, desc.expires, added, sealed.publicArmored, sealed.secretArmored);
        insertGrant(ctx, Number(res.lastInsertRowid), userRef, true, wrapped, null, added);
        ctx.audit(user, desc.fingerprint, kind, keyName);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new KeyStoreError('KEY_EXISTS', `a key named '${keyName}' or with fingerprint ${desc.fingerprint} already exists`);
      throw err;
    }
    return getKey(ctx, keyName);
  } finally {
    zero(keyPass);
    clearSecrets(key);
  }
}

/** Deletes a key, its grants and limiter rows, then checkpoints the WAL (see KeyStore.deleteKey). */
export function deleteKey(ctx: StoreContext, name: string, options: ForceOptions): { walTruncated: boolean } {
  const keyName = parseKeyName(name);
  transaction(ctx.conn, () => {
    const row = ctx.keyRow(keyName);
    const holders = int(ctx.conn.prepare('SELECT count(*) AS n FROM grants WHERE key_ref = ?').get(int(row, 'id')) as Row, 'n');
    if (holders > 0 && options.force !== true) {
      throw new KeyStoreError('GRANTS_EXIST', `${holders} user(s) still hold key '${keyName}'; revoke their access first, or use --force`);
    }
    ctx.conn.prepare('DELETE FROM keys WHERE id = ?').run(int(row, 'id'));
    ctx.audit(CONSOLE_ACTOR, text(row, 'fingerprint'), options.force === true ? 'key-delete-forced' : 'key-delete', keyName);
  });
  const res = ctx.conn.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as Row | undefined;
  return { walTruncated: res !== undefined && res['busy'] === 0 };
}

export function renameKey(ctx: StoreContext, oldName: string, newName: string): KeyInfo {
  const from = parseKeyName(oldName);
  const to = parseKeyName(newName);
  try {
    transaction(ctx.conn, () => {
      const row = ctx.keyRow(from);
      // The grants' associated data binds the fingerprint, not the name: renaming keeps them valid.
      ctx.conn.prepare('UPDATE keys SET name = ? WHERE id = ?').run(to, int(row, 'id'));
      ctx.audit(CONSOLE_ACTOR, text(row, 'fingerprint'), 'key-rename', `${from} -> ${to}`);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new KeyStoreError('KEY_EXISTS', `a key named '${to}' already exists`);
    throw err;
  }
  return getKey(ctx, to);
}
