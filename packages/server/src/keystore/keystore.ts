import fs from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import type { Signer } from '../signing/index.ts';
import { isCheckedAuditRow, parseAuditEntry, type AuditEntry, type AuditFields, type AuditRecord } from './audit.ts';
import { appendAudits } from './audit-append.ts';
import { BINDING_META, bindingFingerprint, bindingMatches, createBindingFile, readBindingFile } from './binding.ts';
import { createDatabase, dbPath, mapFull, openDatabase, transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import * as grants from './grants.ts';
import type { RevocationReason } from './key-certs.ts';
import * as keyInfo from './key-info.ts';
import * as keyLifecycle from './key-lifecycle.ts';
import * as keyRecertify from './key-recertify.ts';
import { unlockLimits } from './limiter.ts';
import { sharedLockout } from './lockout-meta.ts';
import type { KeyType } from './openpgp-keys.ts';
import { text, type Row } from './rows.ts';
import * as signingGuard from './signing-guard.ts';
import { StoreContext } from './store-context.ts';
import type { ActorOptions, ForceOptions, GenerateOptions, GrantOptions, KeyInfo, KeyStoreOptions, UserDetail, UserInfo } from './types.ts';
import * as users from './users.ts';
import { argon2Params, sodiumReady } from './wrap.ts';

/**
 * The server's key custody: one SQLite file, `<stateDir>/signet.db`. Keys are stored
 * encrypted under random passphrases; each passphrase is wrapped per user under that
 * user's access passphrase (and, when the store is bound, a binding file). Nothing here
 * opens a socket.
 *
 * This class is the facade: opening and closing the store, and one delegation per
 * operation to the file of its area — users.ts; key-info.ts (reading keys);
 * key-lifecycle.ts (generate, import, rename, delete); grants.ts (grant, revoke, change
 * passphrase); grant-open.ts (unwrapping a grant, throttling and lockout);
 * signing-guard.ts (unlock, per-signature re-check); key-recertify.ts (expiry,
 * revocation). What they share is store-context.ts.
 */
export class KeyStore {
  readonly stateDir: string;
  readonly #ctx: StoreContext;

  private constructor(stateDir: string, db: DatabaseSync, options: KeyStoreOptions, binding: { bound: boolean; secret: Uint8Array | null }) {
    this.stateDir = stateDir;
    this.#ctx = new StoreContext(db, options, binding);
  }

  /** Creates `<stateDir>/signet.db`; refuses (STATE_EXISTS) if it exists. With `bindingFile`, also creates that file. */
  static async init(stateDir: string, options: KeyStoreOptions = {}): Promise<KeyStore> {
    argon2Params(options.argon2 ?? 'moderate');
    unlockLimits(options.unlockLimits);
    await sodiumReady();
    const db = createDatabase(stateDir, options);
    let secret: Uint8Array | null = null;
    if (options.bindingFile !== undefined) {
      try {
        secret = createBindingFile(options.bindingFile);
        const fingerprint = bindingFingerprint(secret);
        transaction(db, () => db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run(BINDING_META, fingerprint));
      } catch (err) {
        db.close();
        const file = dbPath(stateDir);
        for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
        throw err;
      }
    }
    return new KeyStore(stateDir, db, options, { bound: secret !== null, secret });
  }

  /**
   * Opens an existing store: STATE_NOT_INITIALIZED, SCHEMA_TOO_NEW or DB_CORRUPT otherwise.
   * A wrong binding file, or one given for a store that is not bound, is BINDING_MISMATCH.
   */
  static async open(stateDir: string, options: KeyStoreOptions = {}): Promise<KeyStore> {
    argon2Params(options.argon2 ?? 'moderate');
    unlockLimits(options.unlockLimits);
    await sodiumReady();
    const secret = options.bindingFile === undefined ? null : readBindingFile(options.bindingFile);
    const db = openDatabase(stateDir, options);
    try {
      const row = db.prepare('SELECT value FROM meta WHERE name = ?').get(BINDING_META) as Row | undefined;
      const recorded = row === undefined ? null : text(row, 'value');
      if (recorded !== null && !/^[0-9a-f]{64}$/.test(recorded)) throw new KeyStoreError('DB_CORRUPT', 'the recorded binding fingerprint is malformed; restore the database from a backup');
      if (secret !== null && recorded === null) {
        throw new KeyStoreError('BINDING_MISMATCH', 'a binding file was given but this store is not bound to one; remove the binding file setting');
      }
      // Threat: a wrong file would make every unlock fail as BAD_PASSPHRASE and count against the limiter.
      if (secret !== null && recorded !== null && !bindingMatches(secret, recorded)) {
        throw new KeyStoreError('BINDING_MISMATCH', `${options.bindingFile} is not the binding file of this store (its fingerprint differs); mount the right medium`);
      }
      return new KeyStore(stateDir, db, { ...options, unlockLimits: sharedLockout(db, options.unlockLimits) }, { bound: recorded !== null, secret });
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** True when the store is bound to a binding file (wrap and unwrap need it). */
  get bound(): boolean {
    return this.#ctx.bound;
  }

  close(): void {
    this.#ctx.close();
  }

  // ------------------------------------------------------------------ users (users.ts)

  addUser(name: string): UserInfo {
    return users.addUser(this.#ctx, name);
  }

  listUsers(): UserInfo[] {
    return users.listUsers(this.#ctx);
  }

  getUser(name: string): UserDetail {
    return users.getUser(this.#ctx, name);
  }

  /** Deletes a user and their grants; refuses if a key would be stranded (LAST_GRANT, LAST_KEY_ADMIN), unless `force`. */
  deleteUser(name: string, options: ForceOptions = {}): void {
    users.deleteUser(this.#ctx, name, options);
  }

  /** Clears failed-unlock counts (and a lockout) of `user`, for one key or all. Returns how many grants were cleared. */
  clearUnlockFailures(userName: string, keyName?: string): number {
    return users.clearUnlockFailures(this.#ctx, userName, keyName);
  }

  // ------------------------------------------------------------------ keys (key-lifecycle.ts, key-info.ts)

  generateKey(name: string, type: KeyType, firstUser: string, accessPassphrase: string, options: GenerateOptions = {}): Promise<KeyInfo> {
    return keyLifecycle.generateKey(this.#ctx, name, type, firstUser, accessPassphrase, options);
  }

  importKey(name: string, armoredSecret: string, firstUser: string, accessPassphrase: string, fileKeyPassphrase?: string): Promise<KeyInfo> {
    return keyLifecycle.importKey(this.#ctx, name, armoredSecret, firstUser, accessPassphrase, fileKeyPassphrase);
  }

  listKeys(): KeyInfo[] {
    return keyInfo.listKeys(this.#ctx);
  }

  getKey(name: string): KeyInfo {
    return keyInfo.getKey(this.#ctx, name);
  }

  /** The armored public key; after `revokeKey`, with its revocation signature. */
  publicKeyArmored(name: string): string {
    return keyInfo.publicKeyArmored(this.#ctx, name);
  }

  /** The armored revocation certificate made by `revokeKey` (null: not revoked). */
  revocationCertificate(name: string): string | null {
    return keyInfo.revocationCertificate(this.#ctx, name);
  }

  /**
   * Deletes a key, its grants and limiter rows. Refuses (GRANTS_EXIST) while users hold it,
   * unless `force`. Freed pages are overwritten (secure_delete) and the WAL is checkpointed
   * and truncated, so the sealed key is gone from the files. Returns whether the WAL could be
   * truncated (false while another connection, such as the daemon, is reading).
   */
  deleteKey(name: string, options: ForceOptions = {}): { walTruncated: boolean } {
    return keyLifecycle.deleteKey(this.#ctx, name, options);
  }

  renameKey(oldName: string, newName: string): KeyInfo {
    return keyLifecycle.renameKey(this.#ctx, oldName, newName);
  }

  // ------------------------------------------------------------------ grants and unlocking (grants.ts, signing-guard.ts)

  /** Gives `userName` access to the key, wrapped under a new passphrase; needs a key admin's passphrase. */
  grant(keyName: string, userName: string, options: GrantOptions): Promise<void> {
    return grants.grant(this.#ctx, keyName, userName, options);
  }

  /** Removes `user`'s access to `key`; refuses to strand the key (LAST_GRANT, LAST_KEY_ADMIN) unless `force`. */
  revokeGrant(keyName: string, userName: string, options: ForceOptions = {}): void {
    grants.revokeGrant(this.#ctx, keyName, userName, options);
  }

  /** Re-wraps `user`'s own access to `key` under a new passphrase; needs the current one. */
  changePassphrase(keyName: string, userName: string, oldPassphrase: string, newPassphrase: string): Promise<void> {
    return grants.changePassphrase(this.#ctx, keyName, userName, oldPassphrase, newPassphrase);
  }

  /**
   * Opens the key for `userName` and returns a signer holding it in memory only, which
   * re-checks the key's row and the user's grant before every signature.
   */
  unlock(keyName: string, userName: string, accessPassphrase: string): Promise<Signer> {
    return signingGuard.unlock(this.#ctx, keyName, userName, accessPassphrase);
  }

  // ------------------------------------------------------------------ expiry and revocation (key-recertify.ts)

  /**
   * Sets the key's expiry (null: never) with new self-signatures made by the key itself.
   * Needs a key admin's passphrase. The date must lie in the future.
   */
  setExpiry(keyName: string, expires: Date | null, actor: ActorOptions): Promise<KeyInfo> {
    return keyRecertify.setExpiry(this.#ctx, keyName, expires, actor);
  }

  /**
   * Revokes the key: stores a revocation signature in its public and secret key and the
   * revocation certificate. A revoked key never unlocks again. Needs a key admin's passphrase.
   */
  revokeKey(keyName: string, reason: RevocationReason, actor: ActorOptions): Promise<{ info: KeyInfo; certificate: string }> {
    return keyRecertify.revokeKey(this.#ctx, keyName, reason, actor);
  }

  // ------------------------------------------------------------------ audit

  /**
   * Checks an audit entry (AUDIT_INVALID otherwise), timed by the store's clock unless it
   * carries a time, and returns the row recordAudits accepts without checking it again.
   */
  checkAudit(entry: AuditEntry): AuditFields {
    return parseAuditEntry(entry, this.#ctx.now());
  }

  /**
   * Appends several audit rows in one transaction: one fsync for all of them, on disk when
   * this returns. All or none: if any entry is invalid (AUDIT_INVALID) or the write fails,
   * no row of the batch exists.
   */
  recordAudits(entries: readonly (AuditEntry | AuditFields)[]): AuditRecord[] {
    // One check per row: rows parseAuditEntry produced (checkAudit's, which the
    // group-commit batcher takes as each joins, so one bad row fails only its own caller)
    // are recognised and not checked twice; anything else is checked here.
    const rows = entries.map((e) => (isCheckedAuditRow(e) ? e : parseAuditEntry(e, this.#ctx.now())));
    try {
      return appendAudits(this.#ctx.conn, rows);
    } catch (err) {
      throw mapFull(err);
    }
  }
}
