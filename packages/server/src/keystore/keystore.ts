import fs from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import type * as openpgp from 'openpgp';
import type { Signer } from '../signing/index.ts';
import { createSigner } from '../signing/index.ts';
import { isCheckedAuditRow, parseAuditEntry, type AuditEntry, type AuditFields, type AuditRecord } from './audit.ts';
import { appendAudit, appendAudits } from './audit-append.ts';
import { BINDING_META, bindingFingerprint, bindingMatches, createBindingFile, readBindingFile } from './binding.ts';
import { createDatabase, dbPath, mapFull, openDatabase, transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { REVOCATION_REASONS, revokePrivateKey, setKeyExpiry, type RevocationReason } from './key-certs.ts';
import { decide, refusal, unlockLimits, type UnlockLimits } from './limiter.ts';
import { sharedLockout } from './lockout-meta.ts';
import { CONSOLE_ACTOR, KEY_PASSPHRASE_BYTES, type ActorOptions, type ForceOptions, type GenerateOptions, type GrantOptions, type KeyInfo, type KeyStatus, type KeyStoreOptions, type UserDetail, type UserGrantInfo, type UserInfo } from './types.ts';
import { parseKeyName, parseNewPassphrase, parsePassphrase, parseUserName } from './names.ts';
import {
  asStoreError, clearSecrets, describeKey, generatePrivateKey, KEY_TYPES, parseSecretKey, probeKey, sealKey, unsealKey,
  type KeyDescription, type KeyType,
} from './openpgp-keys.ts';
import { blob, int, isUniqueViolation, optionalText, text, type Row } from './rows.ts';
import {
  argon2Params, burnUnwrapTime, grantAssociatedData, randomSecret, sodiumReady, unwrapSecret, wrapSecret, zero,
  type Argon2Level, type Argon2Params, type WrappedSecret,
} from './wrap.ts';

interface GrantRow extends WrappedSecret {
  readonly keyRef: number;
  readonly userRef: number;
  readonly fingerprint: string;
  readonly secretArmored: string;
  readonly revoked: boolean;
  readonly keyAdmin: boolean;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/**
 * The server's key custody: one SQLite file, `<stateDir>/signet.db`. Keys are stored
 * encrypted under random passphrases; each passphrase is wrapped per user under that
 * user's access passphrase (and, when the store is bound, a binding file). Nothing here
 * opens a socket.
 */
export class KeyStore {
  readonly stateDir: string;
  #db: DatabaseSync | null;
  readonly #argon2: Argon2Params;
  readonly #now: () => Date;
  readonly #limits: UnlockLimits;
  /** True when the store is bound to a binding file. */
  readonly #bound: boolean;
  /** The binding secret (null: store not bound, or bound and no file given). */
  readonly #binding: Uint8Array | null;
  /** One unwrap at a time per grant, so concurrent guesses are counted one by one. */
  readonly #gates = new Map<string, Promise<void>>();

  private constructor(stateDir: string, db: DatabaseSync, options: KeyStoreOptions, binding: { bound: boolean; secret: Uint8Array | null }) {
    this.stateDir = stateDir;
    this.#db = db;
    this.#argon2 = argon2Params(options.argon2 ?? 'moderate');
    this.#now = options.now ?? (() => new Date());
    this.#limits = unlockLimits(options.unlockLimits);
    this.#bound = binding.bound;
    this.#binding = binding.secret;
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
    return this.#bound;
  }

  close(): void {
    this.#db?.close();
    this.#db = null;
  }

  get #conn(): DatabaseSync {
    if (this.#db === null) throw new KeyStoreError('STORE_CLOSED', 'the key store is closed');
    return this.#db;
  }

  #nowIso(): string {
    return this.#now().toISOString();
  }

  /** The binding secret for wrapping/unwrapping; BINDING_REQUIRED when bound and not given. */
  #bindingSecret(): Uint8Array | null {
    if (!this.#bound) return null;
    if (this.#binding === null) {
      throw new KeyStoreError('BINDING_REQUIRED', 'this store is bound to a binding file: give it (admin --binding-file FILE; daemon binding.file)');
    }
    return this.#binding;
  }

  #userId(name: string): number | undefined {
    const row = this.#conn.prepare('SELECT id FROM users WHERE name = ?').get(name) as Row | undefined;
    return row === undefined ? undefined : int(row, 'id');
  }

  #requireUser(name: string): number {
    const id = this.#userId(name);
    if (id === undefined) throw new KeyStoreError('USER_NOT_FOUND', `no user '${name}'; add it with 'admin user add ${name}'`);
    return id;
  }

  #keyExists(name: string): boolean {
    return this.#conn.prepare('SELECT 1 AS one FROM keys WHERE name = ?').get(name) !== undefined;
  }

  #keyRow(name: string): Row {
    const row = this.#conn.prepare('SELECT * FROM keys WHERE name = ?').get(name) as Row | undefined;
    if (row === undefined) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${name}'; see 'admin key list'`);
    return row;
  }

  /**
   * The one place administrative rows enter the audit table (recordAudits writes the
   * signatures'). On disk (WAL, synchronous=FULL) when this returns.
   */
  #appendAudit(record: AuditFields): AuditRecord {
    // Hash-chained (audit-append.ts): joins the caller's transaction, else runs in its own.
    return appendAudit(this.#conn, record);
  }

  /** An administrative (or failed-unlock) audit row: no signed bytes, no request id. */
  #audit(user: string, fingerprint: string | null, kind: string, subject: string): void {
    this.#appendAudit({ time: this.#nowIso(), user, keyFingerprint: fingerprint, kind, subject, sha256: null, requestId: null });
  }

  // ------------------------------------------------------------------ users

  addUser(name: string): UserInfo {
    const user = parseUserName(name);
    const created = this.#nowIso();
    try {
      transaction(this.#conn, () => {
        this.#conn.prepare('INSERT INTO users (name, created) VALUES (?, ?)').run(user, created);
        this.#audit(user, null, 'user-add', user);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new KeyStoreError('USER_EXISTS', `user '${user}' already exists`);
      throw err;
    }
    return { name: user, created, keys: [] };
  }

  listUsers(): UserInfo[] {
    const users = this.#conn.prepare('SELECT id, name, created FROM users ORDER BY name').all() as Row[];
    const held = this.#conn.prepare('SELECT k.name AS key FROM grants g JOIN keys k ON k.id = g.key_ref WHERE g.user_ref = ? ORDER BY k.name');
    return users.map((u) => ({
      name: text(u, 'name'),
      created: text(u, 'created'),
      keys: (held.all(int(u, 'id')) as Row[]).map((r) => text(r, 'key')),
    }));
  }

  getUser(name: string): UserDetail {
    const user = parseUserName(name);
    const row = this.#conn.prepare('SELECT id, name, created FROM users WHERE name = ?').get(user) as Row | undefined;
    if (row === undefined) throw new KeyStoreError('USER_NOT_FOUND', `no user '${user}'; see 'admin user list'`);
    const grants = this.#conn
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
      locked: int(g, 'failures') >= this.#limits.lockoutAfter,
    }));
    return { name: text(row, 'name'), created: text(row, 'created'), keys: list.map((g) => g.key), grants: list };
  }

  /**
   * Refuses (LAST_GRANT / LAST_KEY_ADMIN) removing `users` from key `keyRef` when that would
   * leave no holder, or holders without a key admin. Threat: a key nobody can unlock or
   * hand on any more — a slip that costs a rotation.
   */
  #checkStrand(keyRef: number, keyName: string, removed: ReadonlySet<number>, force: boolean): void {
    if (force) return;
    const holders = this.#conn.prepare('SELECT user_ref, key_admin FROM grants WHERE key_ref = ?').all(keyRef) as Row[];
    const left = holders.filter((h) => !removed.has(int(h, 'user_ref')));
    if (left.length === 0) {
      throw new KeyStoreError('LAST_GRANT', `no user could unlock key '${keyName}' afterwards; grant it to someone else first, or use --force`);
    }
    if (!left.some((h) => int(h, 'key_admin') === 1)) {
      throw new KeyStoreError('LAST_KEY_ADMIN', `key '${keyName}' would have no key admin left (nobody could grant it); grant --key-admin to someone else first, or use --force`);
    }
  }

  /** Deletes a user and their grants; refuses if a key would be stranded, unless `force`. */
  deleteUser(name: string, options: ForceOptions = {}): void {
    const user = parseUserName(name);
    const userRef = this.#requireUser(user);
    transaction(this.#conn, () => {
      const held = this.#conn.prepare('SELECT g.key_ref, k.name FROM grants g JOIN keys k ON k.id = g.key_ref WHERE g.user_ref = ?').all(userRef) as Row[];
      for (const g of held) this.#checkStrand(int(g, 'key_ref'), text(g, 'name'), new Set([userRef]), options.force === true);
      this.#conn.prepare('DELETE FROM users WHERE id = ?').run(userRef);
      this.#audit(user, null, options.force === true ? 'user-delete-forced' : 'user-delete', user);
    });
  }

  /** Clears failed-unlock counts (and a lockout) of `user`, for one key or all. Returns how many grants were cleared. */
  clearUnlockFailures(userName: string, keyName?: string): number {
    const user = parseUserName(userName);
    const userRef = this.#requireUser(user);
    let keyRef: number | null = null;
    let fingerprint: string | null = null;
    if (keyName !== undefined) {
      const row = this.#keyRow(parseKeyName(keyName));
      keyRef = int(row, 'id');
      fingerprint = text(row, 'fingerprint');
    }
    return transaction(this.#conn, () => {
      const res = keyRef === null
        ? this.#conn.prepare('DELETE FROM unlock_limits WHERE user_ref = ?').run(userRef)
        : this.#conn.prepare('DELETE FROM unlock_limits WHERE user_ref = ? AND key_ref = ?').run(userRef, keyRef);
      this.#audit(user, fingerprint, 'unlock-clear', keyName ?? '*');
      return Number(res.changes);
    });
  }

  // ------------------------------------------------------------------ keys

  async generateKey(name: string, type: KeyType, firstUser: string, accessPassphrase: string, options: GenerateOptions = {}): Promise<KeyInfo> {
    const keyName = parseKeyName(name);
    const user = parseUserName(firstUser);
    const passphrase = parseNewPassphrase(accessPassphrase, 'access passphrase');
    if (!KEY_TYPES.includes(type)) throw new KeyStoreError('KEY_ALGORITHM_UNSUPPORTED', `key type must be one of ${KEY_TYPES.join(', ')}`);
    // Fail fast, before seconds of key generation.
    this.#requireUser(user);
    this.#bindingSecret();
    if (this.#keyExists(keyName)) throw new KeyStoreError('KEY_EXISTS', `a key named '${keyName}' already exists`);
    const now = this.#now();
    const key = await generatePrivateKey(type, options.userId ?? { name: `Signet key ${keyName}` }, now);
    return this.#store(keyName, key, user, passphrase, 'key-generate');
  }

  async importKey(name: string, armoredSecret: string, firstUser: string, accessPassphrase: string, fileKeyPassphrase?: string): Promise<KeyInfo> {
    const keyName = parseKeyName(name);
    const user = parseUserName(firstUser);
    const passphrase = parseNewPassphrase(accessPassphrase, 'access passphrase');
    this.#requireUser(user);
    this.#bindingSecret();
    if (this.#keyExists(keyName)) throw new KeyStoreError('KEY_EXISTS', `a key named '${keyName}' already exists`);
    const key = await parseSecretKey(armoredSecret, fileKeyPassphrase === undefined ? undefined : parsePassphrase(fileKeyPassphrase, 'key file passphrase'));
    return this.#store(keyName, key, user, passphrase, 'key-import');
  }

  /** Refuses a key already stored (KEY_EXISTS) or one whose signing key ID collides (KEY_ID_COLLISION). */
  #checkNew(desc: KeyDescription): void {
    const existing = this.#conn.prepare('SELECT name FROM keys WHERE fingerprint = ?').get(desc.fingerprint) as Row | undefined;
    if (existing !== undefined) throw new KeyStoreError('KEY_EXISTS', `this key is already stored as '${text(existing, 'name')}'`);
    // Threat: rpm finds a key by its key ID and Koji files signatures by the last 8 hex digits
    // of it (the sigkey); two keys sharing either would be confused, and a crafted key could
    // pass off as the trusted one.
    const sigkey = desc.signingKeyId.slice(8);
    const clash = this.#conn.prepare('SELECT name, signing_key_id FROM keys WHERE substr(signing_key_id, 9) = ?').get(sigkey) as Row | undefined;
    if (clash !== undefined) {
      const full = text(clash, 'signing_key_id') === desc.signingKeyId;
      throw new KeyStoreError('KEY_ID_COLLISION', `the signing key ID ${desc.signingKeyId} ${full ? 'equals' : `shares its last 8 digits (Koji sigkey ${sigkey.toLowerCase()}) with`} that of stored key '${text(clash, 'name')}'; rpm and Koji could not tell them apart: use another key`);
    }
  }

  /** Checks, seals and stores a decrypted key with its first user, a key admin. */
  async #store(keyName: string, key: openpgp.PrivateKey, user: string, accessPassphrase: string, kind: string): Promise<KeyInfo> {
    let keyPass: Uint8Array | null = null;
    try {
      const now = this.#now();
      // Refuses expired, revoked, unsupported and inconsistent keys (secret part not
      // matching the public part); the probe signature must verify.
      const probe = await probeKey(key, now);
      const desc = await describeKey(key, probe);
      this.#checkNew(desc);
      keyPass = await randomSecret(KEY_PASSPHRASE_BYTES);
      const sealed = await sealKey(key, b64(keyPass));
      const wrapped = await wrapSecret(keyPass, accessPassphrase, grantAssociatedData(desc.fingerprint, user, true), this.#argon2, this.#bindingSecret());
      const added = now.toISOString();
      try {
        transaction(this.#conn, () => {
          const userRef = this.#requireUser(user);
          this.#checkNew(desc); // again inside the transaction: another process may have stored it meanwhile
          const res = this.#conn
            .prepare(
              `INSERT INTO keys (name, fingerprint, signing_key_id, signing_fingerprint, algorithm, bits, created, expires, added, public_armored, secret_armored)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(keyName, desc.fingerprint, desc.signingKeyId, desc.signingFingerprint, desc.algorithm, desc.bits, desc.created, desc.expires, added, sealed.publicArmored, sealed.secretArmored);
          this.#insertGrant(Number(res.lastInsertRowid), userRef, true, wrapped, null, added);
          this.#audit(user, desc.fingerprint, kind, keyName);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new KeyStoreError('KEY_EXISTS', `a key named '${keyName}' or with fingerprint ${desc.fingerprint} already exists`);
        throw err;
      }
      return this.getKey(keyName);
    } finally {
      zero(keyPass);
      clearSecrets(key);
    }
  }

  #insertGrant(keyRef: number, userRef: number, keyAdmin: boolean, w: WrappedSecret, grantedBy: string | null, created: string): void {
    this.#conn
      .prepare('INSERT INTO grants (key_ref, user_ref, key_admin, wrapped, salt, nonce, opslimit, memlimit, granted_by, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(keyRef, userRef, keyAdmin ? 1 : 0, w.wrapped, w.salt, w.nonce, w.opslimit, w.memlimit, grantedBy, created);
  }

  listKeys(): KeyInfo[] {
    const rows = this.#conn.prepare('SELECT name FROM keys ORDER BY name').all() as Row[];
    return rows.map((r) => this.getKey(text(r, 'name')));
  }

  getKey(name: string): KeyInfo {
    const row = this.#keyRow(parseKeyName(name));
    const users = this.#conn
      .prepare('SELECT u.name AS name, g.key_admin AS key_admin FROM grants g JOIN users u ON u.id = g.user_ref WHERE g.key_ref = ? ORDER BY u.name')
      .all(int(row, 'id')) as Row[];
    const algorithm = text(row, 'algorithm');
    if (algorithm !== 'rsa' && algorithm !== 'eddsa') throw new KeyStoreError('DB_CORRUPT', 'unknown algorithm in keys table');
    const expires = optionalText(row, 'expires');
    const revoked = optionalText(row, 'revoked');
    const reason = optionalText(row, 'revocation_reason');
    if (reason !== null && !(REVOCATION_REASONS as readonly string[]).includes(reason)) throw new KeyStoreError('DB_CORRUPT', 'unknown revocation reason in keys table');
    const status: KeyStatus = revoked !== null ? 'revoked' : expires !== null && Date.parse(expires) <= this.#now().getTime() ? 'expired' : 'active';
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
  publicKeyArmored(name: string): string {
    return text(this.#keyRow(parseKeyName(name)), 'public_armored');
  }

  /** The armored revocation certificate made by `revokeKey` (null: not revoked). */
  revocationCertificate(name: string): string | null {
    return optionalText(this.#keyRow(parseKeyName(name)), 'revocation_armored');
  }

  /**
   * Deletes a key, its grants and limiter rows. Refuses (GRANTS_EXIST) while users hold it,
   * unless `force`. Freed pages are overwritten (secure_delete) and the WAL is checkpointed
   * and truncated, so the sealed key is gone from the files. Returns whether the WAL could be
   * truncated (false while another connection, such as the daemon, is reading).
   */
  deleteKey(name: string, options: ForceOptions = {}): { walTruncated: boolean } {
    const keyName = parseKeyName(name);
    transaction(this.#conn, () => {
      const row = this.#keyRow(keyName);
      const holders = int(this.#conn.prepare('SELECT count(*) AS n FROM grants WHERE key_ref = ?').get(int(row, 'id')) as Row, 'n');
      if (holders > 0 && options.force !== true) {
        throw new KeyStoreError('GRANTS_EXIST', `${holders} user(s) still hold key '${keyName}'; revoke their access first, or use --force`);
      }
      this.#conn.prepare('DELETE FROM keys WHERE id = ?').run(int(row, 'id'));
      this.#audit(CONSOLE_ACTOR, text(row, 'fingerprint'), options.force === true ? 'key-delete-forced' : 'key-delete', keyName);
    });
    const res = this.#conn.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as Row | undefined;
    return { walTruncated: res !== undefined && res['busy'] === 0 };
  }

  renameKey(oldName: string, newName: string): KeyInfo {
    const from = parseKeyName(oldName);
    const to = parseKeyName(newName);
    try {
      transaction(this.#conn, () => {
        const row = this.#keyRow(from);
        // The grants' associated data binds the fingerprint, not the name: renaming keeps them valid.
        this.#conn.prepare('UPDATE keys SET name = ? WHERE id = ?').run(to, int(row, 'id'));
        this.#audit(CONSOLE_ACTOR, text(row, 'fingerprint'), 'key-rename', `${from} -> ${to}`);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new KeyStoreError('KEY_EXISTS', `a key named '${to}' already exists`);
      throw err;
    }
    return this.getKey(to);
  }

  // ------------------------------------------------------------------ grants and unlocking

  #grantRow(keyName: string, userName: string): GrantRow | undefined {
    const row = this.#conn
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

  /** Runs `fn` after every earlier call for the same grant has finished. */
  async #serialized<T>(gate: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#gates.get(gate) ?? Promise.resolve();
    let release = (): void => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#gates.set(gate, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#gates.get(gate) === tail) this.#gates.delete(gate);
    }
  }

  #failures(row: GrantRow): { failures: number; lastFailure: number | null } {
    const r = this.#conn.prepare('SELECT failures, last_failure FROM unlock_limits WHERE key_ref = ? AND user_ref = ?').get(row.keyRef, row.userRef) as Row | undefined;
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
  async #openGrant(keyName: string, userName: string, passphrase: string): Promise<{ row: GrantRow; keyPass: Uint8Array }> {
    const row = this.#grantRow(keyName, userName);
    if (row === undefined) {
      await burnUnwrapTime(passphrase, this.#argon2);
      this.#audit(userName, null, 'unlock-failed', `${keyName} reason=no-grant`);
      throw new KeyStoreError('ACCESS_DENIED', `user '${userName}' holds no key named '${keyName}'`);
    }
    if (row.revoked) throw new KeyStoreError('KEY_REVOKED', `key '${keyName}' is revoked and never unlocks again`);
    const binding = this.#bindingSecret();
    // Threat: parallel guesses racing past the counter; attempts on one grant run one by one.
    return this.#serialized(`${row.keyRef}:${row.userRef}`, async () => {
      const decision = decide(this.#failures(row), this.#now(), this.#limits);
      if (!decision.allowed) {
        this.#audit(userName, row.fingerprint, 'unlock-failed', `${keyName} reason=${decision.code === 'UNLOCK_LOCKED' ? 'locked' : 'throttled'} failures=${decision.failures}`);
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
        const failures = transaction(this.#conn, () => {
          const r = this.#conn
            .prepare(
              `INSERT INTO unlock_limits (key_ref, user_ref, failures, last_failure) VALUES (?, ?, 1, ?)
               ON CONFLICT (key_ref, user_ref) DO UPDATE SET failures = failures + 1, last_failure = excluded.last_failure
               RETURNING failures`,
            )
            .get(row.keyRef, row.userRef, this.#nowIso()) as Row;
          const n = int(r, 'failures');
          this.#audit(userName, row.fingerprint, 'unlock-failed', `${keyName} reason=bad-passphrase failures=${n}`);
          return n;
        });
        const locked = failures >= this.#limits.lockoutAfter ? '; the grant is now locked until an administrator runs admin user unlock' : '';
        throw new KeyStoreError('BAD_PASSPHRASE', `the access passphrase does not open '${userName}''s grant for key '${keyName}' (wrong passphrase, or the grant row was altered)${locked}`);
      }
      this.#conn.prepare('DELETE FROM unlock_limits WHERE key_ref = ? AND user_ref = ?').run(row.keyRef, row.userRef);
      return { row, keyPass };
    });
  }

  /** Opens the grant of a key admin acting on `key`; KEY_ADMIN_REQUIRED for a plain holder. */
  async #openAsKeyAdmin(key: string, actor: ActorOptions): Promise<{ row: GrantRow; keyPass: Uint8Array; by: string }> {
    const by = parseUserName(actor.byUser);
    const byPassphrase = parsePassphrase(actor.byPassphrase, "key admin's access passphrase");
    if (!this.#keyExists(key)) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${key}'; see 'admin key list'`);
    const { row, keyPass } = await this.#openGrant(key, by, byPassphrase);
    // The flag counts only because the AEAD bound it to the wrapped passphrase.
    if (!row.keyAdmin) {
      zero(keyPass);
      throw new KeyStoreError('KEY_ADMIN_REQUIRED', `user '${by}' holds key '${key}' but is not its key admin`);
    }
    return { row, keyPass, by };
  }

  async grant(keyName: string, userName: string, options: GrantOptions): Promise<void> {
    const key = parseKeyName(keyName);
    const user = parseUserName(userName);
    parseUserName(options.byUser);
    parsePassphrase(options.byPassphrase, "granter's access passphrase");
    const newPassphrase = parseNewPassphrase(options.newPassphrase, 'new access passphrase');
    const keyAdmin = options.keyAdmin === true;
    if (!this.#keyExists(key)) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${key}'; see 'admin key list'`);
    const userRef = this.#requireUser(user);
    if (this.#grantRow(key, user) !== undefined) throw new KeyStoreError('GRANT_EXISTS', `user '${user}' already holds key '${key}'`);
    const { row, keyPass, by } = await this.#openAsKeyAdmin(key, options);
    try {
      const wrapped = await wrapSecret(keyPass, newPassphrase, grantAssociatedData(row.fingerprint, user, keyAdmin), this.#argon2, this.#bindingSecret());
      try {
        transaction(this.#conn, () => {
          this.#insertGrant(row.keyRef, userRef, keyAdmin, wrapped, by, this.#nowIso());
          this.#audit(by, row.fingerprint, keyAdmin ? 'grant-key-admin' : 'grant', user);
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
  revokeGrant(keyName: string, userName: string, options: ForceOptions = {}): void {
    const key = parseKeyName(keyName);
    const user = parseUserName(userName);
    const keyRow = this.#keyRow(key);
    const userRef = this.#requireUser(user);
    transaction(this.#conn, () => {
      const keyRef = int(keyRow, 'id');
      if (this.#conn.prepare('SELECT 1 AS one FROM grants WHERE key_ref = ? AND user_ref = ?').get(keyRef, userRef) === undefined) {
        throw new KeyStoreError('GRANT_NOT_FOUND', `user '${user}' does not hold key '${key}'`);
      }
      this.#checkStrand(keyRef, key, new Set([userRef]), options.force === true);
      this.#conn.prepare('DELETE FROM grants WHERE key_ref = ? AND user_ref = ?').run(keyRef, userRef);
      this.#audit(user, text(keyRow, 'fingerprint'), options.force === true ? 'revoke-grant-forced' : 'revoke-grant', key);
    });
  }

  /** Re-wraps `user`'s own access to `key` under a new passphrase; needs the current one. */
  async changePassphrase(keyName: string, userName: string, oldPassphrase: string, newPassphrase: string): Promise<void> {
    const { key, user } = grantNames(keyName, userName);
    const current = parsePassphrase(oldPassphrase, 'access passphrase');
    const next = parseNewPassphrase(newPassphrase, 'new access passphrase');
    const { row, keyPass } = await this.#openGrant(key, user, current);
    try {
      const wrapped = await wrapSecret(keyPass, next, grantAssociatedData(row.fingerprint, user, row.keyAdmin), this.#argon2, this.#bindingSecret());
      transaction(this.#conn, () => {
        this.#conn
          .prepare('UPDATE grants SET wrapped = ?, salt = ?, nonce = ?, opslimit = ?, memlimit = ? WHERE key_ref = ? AND user_ref = ?')
          .run(wrapped.wrapped, wrapped.salt, wrapped.nonce, wrapped.opslimit, wrapped.memlimit, row.keyRef, row.userRef);
        this.#audit(user, row.fingerprint, 'change-passphrase', key);
      });
    } finally {
      zero(keyPass);
    }
  }

  /** Opens the key for `userName` and returns a signer holding it in memory only. */
  async unlock(keyName: string, userName: string, accessPassphrase: string): Promise<Signer> {
    const { key, user } = grantNames(keyName, userName);
    const passphrase = parsePassphrase(accessPassphrase, 'access passphrase');
    const { row, keyPass } = await this.#openGrant(key, user, passphrase);
    let opened: openpgp.PrivateKey | null = null;
    try {
      opened = await unsealKey(row.secretArmored, b64(keyPass), row.fingerprint);
      return this.#guarded(await createSigner(opened, { now: this.#now }), row.fingerprint, user);
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
  #guarded(signer: Signer, fingerprint: string, user: string): Signer {
    // One prepared statement, one step per signature (measured: about half the cost of the
    // two lookups it replaces). Always read, never cached: the admin CLI changes these rows
    // from another process, and the very next signature must see that change.
    const current = this.#conn.prepare(
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
        if (!(expiresAt > this.#now().getTime())) throw new KeyStoreError('KEY_EXPIRED', `key '${text(row, 'name')}' expired on ${expires}`);
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

  // ------------------------------------------------------------------ expiry and revocation

  /** Opens the key as a key admin, changes its certificate with `change`, and stores the result. */
  async #recertify(
    keyName: string,
    actor: ActorOptions,
    change: (key: openpgp.PrivateKey, now: Date) => Promise<{ key: openpgp.PrivateKey; columns: Record<string, string | null>; audit: [string, string] }>,
  ): Promise<KeyInfo> {
    const key = parseKeyName(keyName);
    const { row, keyPass, by } = await this.#openAsKeyAdmin(key, actor);
    let opened: openpgp.PrivateKey | null = null;
    let updated: openpgp.PrivateKey | null = null;
    try {
      opened = await unsealKey(row.secretArmored, b64(keyPass), row.fingerprint);
      const result = await change(opened, this.#now());
      updated = result.key;
      // Sealed under the same key passphrase: every grant stays valid.
      const sealed = await sealKey(updated, b64(keyPass));
      const columns: Record<string, string | null> = { ...result.columns, public_armored: sealed.publicArmored, secret_armored: sealed.secretArmored };
      const names = Object.keys(columns);
      transaction(this.#conn, () => {
        this.#conn.prepare(`UPDATE keys SET ${names.map((n) => `${n} = ?`).join(', ')} WHERE id = ?`).run(...names.map((n) => columns[n] ?? null), row.keyRef);
        this.#audit(by, row.fingerprint, result.audit[0], result.audit[1]);
      });
      return this.getKey(key);
    } catch (err) {
      throw asStoreError(err);
    } finally {
      zero(keyPass);
      clearSecrets(opened);
      clearSecrets(updated);
    }
  }

  /**
   * Sets the key's expiry (null: never) with new self-signatures made by the key itself.
   * Needs a key admin's passphrase. The date must lie in the future.
   */
  async setExpiry(keyName: string, expires: Date | null, actor: ActorOptions): Promise<KeyInfo> {
    if (expires !== null && (!(expires instanceof Date) || !Number.isFinite(expires.getTime()) || expires.getTime() <= this.#now().getTime())) {
      throw new KeyStoreError('EXPIRY_INVALID', 'the new expiry must be a date in the future (or never)');
    }
    return this.#recertify(keyName, actor, async (key, now) => {
      const updated = await setKeyExpiry(key, expires, now);
      // The result must still sign now, as unlock will check.
      (await probeKey(updated, now)).dispose();
      // What the new self-signatures say (key creation + whole seconds), not openpgp.js's pick
      // among self-signatures made within the same second.
      const iso = expires === null ? null : new Date(Math.floor(expires.getTime() / 1000) * 1000).toISOString();
      return { key: updated, columns: { expires: iso }, audit: ['key-expire', `${parseKeyName(keyName)} expires=${iso ?? 'never'}`] };
    });
  }

  /**
   * Revokes the key: stores a revocation signature in its public and secret key and the
   * revocation certificate. A revoked key never unlocks again. Needs a key admin's passphrase.
   */
  async revokeKey(keyName: string, reason: RevocationReason, actor: ActorOptions): Promise<{ info: KeyInfo; certificate: string }> {
    if (!REVOCATION_REASONS.includes(reason)) throw new KeyStoreError('REASON_INVALID', `revocation reason must be one of ${REVOCATION_REASONS.join(', ')}`);
    let certificate = '';
    const info = await this.#recertify(keyName, actor, async (key, now) => {
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

  // ------------------------------------------------------------------ audit

  /**
   * Checks an audit entry (AUDIT_INVALID otherwise), timed by the store's clock unless it
   * carries a time, and returns the row recordAudits accepts without checking it again.
   */
  checkAudit(entry: AuditEntry): AuditFields {
    return parseAuditEntry(entry, this.#now());
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
    const rows = entries.map((e) => (isCheckedAuditRow(e) ? e : parseAuditEntry(e, this.#now())));
    try {
      return appendAudits(this.#conn, rows);
    } catch (err) {
      throw mapFull(err);
    }
  }
}

/**
 * Key and user names of a grant request. Syntax is checked first: it depends on nothing
 * stored, so it reveals nothing; a bad name gets the same answer as a missing grant.
 */
function grantNames(keyName: string, userName: string): { key: string; user: string } {
  try {
    return { key: parseKeyName(keyName), user: parseUserName(userName) };
  } catch {
    throw new KeyStoreError('ACCESS_DENIED', 'no such key, or the user holds no grant for it');
  }
}
