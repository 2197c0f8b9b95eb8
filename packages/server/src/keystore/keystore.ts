import type { DatabaseSync } from 'node:sqlite';
import type * as openpgp from 'openpgp';
import type { Signer } from '../signing/index.ts';
import { createSigner } from '../signing/index.ts';
import { parseAuditEntry, type AuditEntry, type AuditRecord } from './audit.ts';
import { createDatabase, openDatabase, transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { parseKeyName, parseNewPassphrase, parsePassphrase, parseUserName } from './names.ts';
import {
  asStoreError, clearSecrets, describeKey, generatePrivateKey, KEY_TYPES, parseSecretKey, probeKey, sealKey, unsealKey,
  type KeyDescription, type KeyType,
} from './openpgp-keys.ts';
import {
  argon2Params, burnUnwrapTime, grantAssociatedData, randomSecret, sodiumReady, unwrapSecret, wrapSecret, zero,
  type Argon2Level, type Argon2Params, type WrappedSecret,
} from './wrap.ts';

export interface KeyStoreOptions {
  /** Argon2id cost for passphrases wrapped from now on (default 'moderate'). Unwrapping uses each grant's stored cost. */
  readonly argon2?: Argon2Level | Argon2Params;
  /** Clock (default: system clock). */
  readonly now?: () => Date;
}

export interface KeyInfo extends KeyDescription {
  readonly name: string;
  /** Signing key ID (16 hex upper); its last 8 digits, lower case, are Koji's sigkey. */
  readonly keyId: string;
  readonly added: string;
  readonly users: ReadonlyArray<{ readonly name: string; readonly keyAdmin: boolean }>;
}

export interface UserInfo {
  readonly name: string;
  readonly created: string;
  readonly keys: readonly string[];
}

export interface GrantOptions {
  /** A user holding the key with the key-admin flag. */
  readonly byUser: string;
  readonly byPassphrase: string;
  /** The access passphrase being set for the new holder. */
  readonly newPassphrase: string;
  readonly keyAdmin?: boolean;
}

export interface GenerateOptions {
  /** OpenPGP user ID of the new key (default: name "Signet key <name>"). */
  readonly userId?: openpgp.UserID;
}

/** Bytes of random key passphrase: 256 bits, base64-encoded for openpgp.js. */
export const KEY_PASSPHRASE_BYTES = 32;

type Row = Record<string, unknown>;

interface GrantRow extends WrappedSecret {
  readonly keyRef: number;
  readonly fingerprint: string;
  readonly secretArmored: string;
  readonly keyAdmin: boolean;
}

function text(row: Row, col: string): string {
  const v = row[col];
  if (typeof v !== 'string') throw new KeyStoreError('DB_CORRUPT', `column ${col} is not text; restore the database from a backup`);
  return v;
}

function int(row: Row, col: string): number {
  const v = row[col];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new KeyStoreError('DB_CORRUPT', `column ${col} is not an integer; restore the database from a backup`);
  return v;
}

function blob(row: Row, col: string): Uint8Array {
  const v = row[col];
  if (!(v instanceof Uint8Array)) throw new KeyStoreError('DB_CORRUPT', `column ${col} is not a blob; restore the database from a backup`);
  return v;
}

function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && /UNIQUE constraint failed/.test(err.message);
}

/**
 * The server's key custody: one SQLite file, `<stateDir>/signet.db`. Keys are stored
 * encrypted under random passphrases; each passphrase is wrapped per user under that
 * user's access passphrase. Nothing here opens a socket.
 */
export class KeyStore {
  readonly stateDir: string;
  #db: DatabaseSync | null;
  readonly #argon2: Argon2Params;
  readonly #now: () => Date;

  private constructor(stateDir: string, db: DatabaseSync, options: KeyStoreOptions) {
    this.stateDir = stateDir;
    this.#db = db;
    this.#argon2 = argon2Params(options.argon2 ?? 'moderate');
    this.#now = options.now ?? (() => new Date());
  }

  /** Creates `<stateDir>/signet.db`; refuses (STATE_EXISTS) if it exists. */
  static async init(stateDir: string, options: KeyStoreOptions = {}): Promise<KeyStore> {
    argon2Params(options.argon2 ?? 'moderate');
    await sodiumReady();
    return new KeyStore(stateDir, createDatabase(stateDir), options);
  }

  /** Opens an existing store: STATE_NOT_INITIALIZED, SCHEMA_TOO_NEW or DB_CORRUPT otherwise. */
  static async open(stateDir: string, options: KeyStoreOptions = {}): Promise<KeyStore> {
    argon2Params(options.argon2 ?? 'moderate');
    await sodiumReady();
    return new KeyStore(stateDir, openDatabase(stateDir), options);
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

  #audit(user: string, fingerprint: string | null, kind: string, subject: string): void {
    this.#conn
      .prepare('INSERT INTO audit (time, user_name, key_fingerprint, kind, subject, sha256, request_id) VALUES (?, ?, ?, ?, ?, NULL, NULL)')
      .run(this.#nowIso(), user, fingerprint, kind, subject);
  }

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

  async generateKey(name: string, type: KeyType, firstUser: string, accessPassphrase: string, options: GenerateOptions = {}): Promise<KeyInfo> {
    const keyName = parseKeyName(name);
    const user = parseUserName(firstUser);
    const passphrase = parseNewPassphrase(accessPassphrase, 'access passphrase');
    if (!KEY_TYPES.includes(type)) throw new KeyStoreError('KEY_ALGORITHM_UNSUPPORTED', `key type must be one of ${KEY_TYPES.join(', ')}`);
    // Fail fast, before seconds of key generation.
    this.#requireUser(user);
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
    if (this.#keyExists(keyName)) throw new KeyStoreError('KEY_EXISTS', `a key named '${keyName}' already exists`);
    const key = await parseSecretKey(armoredSecret, fileKeyPassphrase === undefined ? undefined : parsePassphrase(fileKeyPassphrase, 'key file passphrase'));
    return this.#store(keyName, key, user, passphrase, 'key-import');
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
      const existing = this.#conn.prepare('SELECT name FROM keys WHERE fingerprint = ?').get(desc.fingerprint) as Row | undefined;
      if (existing !== undefined) throw new KeyStoreError('KEY_EXISTS', `this key is already stored as '${text(existing, 'name')}'`);
      keyPass = await randomSecret(KEY_PASSPHRASE_BYTES);
      const sealed = await sealKey(key, Buffer.from(keyPass).toString('base64'));
      const wrapped = await wrapSecret(keyPass, accessPassphrase, grantAssociatedData(desc.fingerprint, user, true), this.#argon2);
      const added = now.toISOString();
      try {
        transaction(this.#conn, () => {
          const userRef = this.#requireUser(user);
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
    const keyName = parseKeyName(name);
    const row = this.#conn.prepare('SELECT * FROM keys WHERE name = ?').get(keyName) as Row | undefined;
    if (row === undefined) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${keyName}'; see 'admin key list'`);
    const users = this.#conn
      .prepare('SELECT u.name AS name, g.key_admin AS key_admin FROM grants g JOIN users u ON u.id = g.user_ref WHERE g.key_ref = ? ORDER BY u.name')
      .all(int(row, 'id')) as Row[];
    const algorithm = text(row, 'algorithm');
    if (algorithm !== 'rsa' && algorithm !== 'eddsa') throw new KeyStoreError('DB_CORRUPT', 'unknown algorithm in keys table');
    return {
      name: text(row, 'name'),
      fingerprint: text(row, 'fingerprint'),
      keyId: text(row, 'signing_key_id'),
      signingKeyId: text(row, 'signing_key_id'),
      signingFingerprint: text(row, 'signing_fingerprint'),
      algorithm,
      bits: int(row, 'bits'),
      created: text(row, 'created'),
      expires: row['expires'] === null ? null : text(row, 'expires'),
      added: text(row, 'added'),
      users: users.map((u) => ({ name: text(u, 'name'), keyAdmin: int(u, 'key_admin') === 1 })),
    };
  }

  publicKeyArmored(name: string): string {
    const keyName = parseKeyName(name);
    const row = this.#conn.prepare('SELECT public_armored FROM keys WHERE name = ?').get(keyName) as Row | undefined;
    if (row === undefined) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${keyName}'; see 'admin key list'`);
    return text(row, 'public_armored');
  }

  #grantRow(keyName: string, userName: string): GrantRow | undefined {
    const row = this.#conn
      .prepare(
        `SELECT k.id AS key_ref, k.fingerprint, k.secret_armored, g.key_admin, g.wrapped, g.salt, g.nonce, g.opslimit, g.memlimit
         FROM grants g JOIN keys k ON k.id = g.key_ref JOIN users u ON u.id = g.user_ref
         WHERE k.name = ? AND u.name = ?`,
      )
      .get(keyName, userName) as Row | undefined;
    if (row === undefined) return undefined;
    return {
      keyRef: int(row, 'key_ref'),
      fingerprint: text(row, 'fingerprint'),
      secretArmored: text(row, 'secret_armored'),
      keyAdmin: int(row, 'key_admin') === 1,
      wrapped: blob(row, 'wrapped'),
      salt: blob(row, 'salt'),
      nonce: blob(row, 'nonce'),
      opslimit: int(row, 'opslimit'),
      memlimit: int(row, 'memlimit'),
    };
  }

  /**
   * Opens `userName`'s grant with the access passphrase. ACCESS_DENIED when the key does not
   * exist *or* the user holds no grant, after the same Argon2id work as a real attempt, so
   * neither the code nor the timing says whether a key exists. BAD_PASSPHRASE tells the
   * caller only that they hold a grant — which a grant holder may know.
   */
  async #openGrant(keyName: string, userName: string, passphrase: string): Promise<{ row: GrantRow; keyPass: Uint8Array }> {
    const row = this.#grantRow(keyName, userName);
    if (row === undefined) {
      await burnUnwrapTime(passphrase, this.#argon2);
      throw new KeyStoreError('ACCESS_DENIED', `user '${userName}' holds no key named '${keyName}'`);
    }
    let keyPass: Uint8Array | null;
    try {
      keyPass = await unwrapSecret(row, passphrase, grantAssociatedData(row.fingerprint, userName, row.keyAdmin));
    } catch (err) {
      if (err instanceof KeyStoreError && err.code === 'ARGON2_PARAMS_INVALID') {
        throw new KeyStoreError('DB_CORRUPT', 'a grant row holds Argon2id limits out of range; restore the database from a backup', { cause: err });
      }
      throw err;
    }
    if (keyPass === null) {
      throw new KeyStoreError('BAD_PASSPHRASE', `the access passphrase does not open '${userName}''s grant for key '${keyName}' (wrong passphrase, or the grant row was altered)`);
    }
    return { row, keyPass };
  }

  async grant(keyName: string, userName: string, options: GrantOptions): Promise<void> {
    const key = parseKeyName(keyName);
    const user = parseUserName(userName);
    const by = parseUserName(options.byUser);
    const byPassphrase = parsePassphrase(options.byPassphrase, "granter's access passphrase");
    const newPassphrase = parseNewPassphrase(options.newPassphrase, 'new access passphrase');
    const keyAdmin = options.keyAdmin === true;
    if (!this.#keyExists(key)) throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${key}'; see 'admin key list'`);
    const userRef = this.#requireUser(user);
    if (this.#grantRow(key, user) !== undefined) throw new KeyStoreError('GRANT_EXISTS', `user '${user}' already holds key '${key}'`);
    const { row, keyPass } = await this.#openGrant(key, by, byPassphrase);
    try {
      // Only a key admin may hand a key on; the flag counts only because the AEAD bound it.
      if (!row.keyAdmin) throw new KeyStoreError('KEY_ADMIN_REQUIRED', `user '${by}' holds key '${key}' but is not its key admin`);
      const wrapped = await wrapSecret(keyPass, newPassphrase, grantAssociatedData(row.fingerprint, user, keyAdmin), this.#argon2);
      try {
        transaction(this.#conn, () => {
          this.#insertGrant(row.keyRef, userRef, keyAdmin, wrapped, by, this.#nowIso());
          this.#audit(by, row.fingerprint, keyAdmin ? 'grant-key-admin' : 'grant', user);
        });
      } catch (err) {
        if (err instanceof Error && /(UNIQUE|PRIMARY KEY) constraint failed/.test(err.message)) {
          throw new KeyStoreError('GRANT_EXISTS', `user '${user}' already holds key '${key}'`);
        }
        throw err;
      }
    } finally {
      zero(keyPass);
    }
  }

  /** Opens the key for `userName` and returns a signer holding it in memory only. */
  async unlock(keyName: string, userName: string, accessPassphrase: string): Promise<Signer> {
    // Syntax checks first: they depend on nothing stored, so they reveal nothing.
    let key: string;
    let user: string;
    try {
      key = parseKeyName(keyName);
      user = parseUserName(userName);
    } catch {
      throw new KeyStoreError('ACCESS_DENIED', 'no such key, or the user holds no grant for it');
    }
    const passphrase = parsePassphrase(accessPassphrase, 'access passphrase');
    const { row, keyPass } = await this.#openGrant(key, user, passphrase);
    let opened: openpgp.PrivateKey | null = null;
    try {
      opened = await unsealKey(row.secretArmored, Buffer.from(keyPass).toString('base64'), row.fingerprint);
      return await createSigner(opened, { now: this.#now });
    } catch (err) {
      throw asStoreError(err);
    } finally {
      zero(keyPass);
      clearSecrets(opened);
    }
  }

  /** Appends one audit row; it is on disk (WAL, synchronous=FULL) when this returns. */
  recordAudit(entry: AuditEntry): AuditRecord {
    const parsed = parseAuditEntry(entry, this.#now());
    const res = this.#conn
      .prepare('INSERT INTO audit (time, user_name, key_fingerprint, kind, subject, sha256, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(parsed.time, parsed.user, parsed.keyFingerprint, parsed.kind, parsed.subject, parsed.sha256, parsed.requestId);
    return { seq: Number(res.lastInsertRowid), ...parsed };
  }

  /** Audit rows in order, after `afterSeq` (default 0), at most `limit` (default 1000). */
  readAudit(options: { afterSeq?: number; limit?: number } = {}): AuditRecord[] {
    const after = options.afterSeq ?? 0;
    const limit = Math.min(Math.max(options.limit ?? 1000, 1), 100_000);
    const rows = this.#conn.prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as Row[];
    const optional = (r: Row, c: string): string | null => (r[c] === null ? null : text(r, c));
    return rows.map((r) => ({
      seq: int(r, 'seq'),
      time: text(r, 'time'),
      user: text(r, 'user_name'),
      keyFingerprint: optional(r, 'key_fingerprint'),
      kind: text(r, 'kind'),
      subject: text(r, 'subject'),
      sha256: optional(r, 'sha256'),
      requestId: optional(r, 'request_id'),
    }));
  }
}
