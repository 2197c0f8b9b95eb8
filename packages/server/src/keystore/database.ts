import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { KeyStoreError } from './errors.ts';
import { APPLICATION_ID, DB_FILE, MIGRATIONS, REQUIRED_TABLES, SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';

/**
 * Opening and creating the SQLite file. All I/O of the key store's database lives here
 * and in keystore.ts; nothing here touches the network.
 */

export interface DatabaseOptions {
  /**
   * Upper bound on the database size in bytes (PRAGMA max_page_count); a write past it fails
   * with DB_FULL exactly as a full disk does. Default: no bound beyond the disk.
   */
  readonly maxDatabaseBytes?: number;
}

export function dbPath(stateDir: string): string {
  return path.join(path.resolve(stateDir), DB_FILE);
}

function configure(db: DatabaseSync, options: DatabaseOptions = {}): void {
  // WAL + synchronous=FULL: a committed grant or audit row survives a power cut.
  const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: string } | undefined;
  if (mode?.journal_mode !== 'wal') throw new Error('could not switch the database to WAL mode');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA secure_delete = ON'); // overwrite freed pages (old wrapped passphrases, deleted keys)
  if (options.maxDatabaseBytes !== undefined) {
    const pageSize = Number((db.prepare('PRAGMA page_size').get() as { page_size?: number } | undefined)?.page_size ?? 4096);
    const pages = Math.max(1, Math.floor(options.maxDatabaseBytes / pageSize));
    db.exec(`PRAGMA max_page_count = ${pages}`);
  }
}

/** SQLITE_FULL (13): the disk, or maxDatabaseBytes, is full. */
export function isFull(err: unknown): boolean {
  const e = err as { errcode?: unknown; message?: unknown } | null;
  return (typeof e?.errcode === 'number' && (e.errcode & 0xff) === 13) || (typeof e?.message === 'string' && /database or disk is full/.test(e.message));
}

function fullError(err: unknown): KeyStoreError {
  return new KeyStoreError('DB_FULL', 'the disk holding signet.db (or its maxDatabaseBytes bound) is full; nothing was changed: free space and run the command again', { cause: err });
}

/** Rewrites SQLITE_FULL as DB_FULL; every other error passes unchanged. */
export function mapFull(err: unknown): unknown {
  return isFull(err) ? fullError(err) : err;
}

function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get() as { value?: unknown } | undefined;
  const version = typeof row?.value === 'string' && /^[0-9]{1,9}$/.test(row.value) ? Number(row.value) : NaN;
  if (!Number.isInteger(version) || version < 1) throw new Error('schema_version missing or invalid');
  return version;
}

/** Brings a store from `from` up to SCHEMA_VERSION, one transaction per step. */
function migrate(db: DatabaseSync, from: number): void {
  for (let version = from; version < SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version - 1];
    if (step === undefined) throw new Error(`no migration from schema version ${version}`);
    transaction(db, () => {
      step(db);
      db.prepare("UPDATE meta SET value = ? WHERE name = 'schema_version'").run(String(version + 1));
    });
  }
}

/** Wraps every SQLite failure on open as DB_CORRUPT, keeping our own coded errors. */
function corrupt(err: unknown): KeyStoreError {
  if (err instanceof KeyStoreError) return err;
  return new KeyStoreError('DB_CORRUPT', 'signet.db cannot be read as a Signet key store (damaged or not a Signet database); restore it from a backup', { cause: err });
}

/** Creates a new, empty store. Refuses when signet.db already exists. */
export function createDatabase(stateDir: string, options: DatabaseOptions = {}): DatabaseSync {
  const dir = path.resolve(stateDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = dbPath(dir);
  // Threat: re-initialising over a live store would orphan every key. 'wx' fails if present.
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KeyStoreError('STATE_EXISTS', `${file} already exists; use it, or move it away before running init again`);
    }
    throw err;
  }
  fs.closeSync(fd);
  const db = new DatabaseSync(file, { timeout: 5000 });
  try {
    configure(db, options);
    transaction(db, () => {
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      db.exec(SCHEMA_SQL);
      const put = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)');
      put.run('schema_version', '1');
      put.run('created', new Date().toISOString());
    });
    migrate(db, 1);
    return db;
  } catch (err) {
    db.close();
    // A half-made store is worth nothing: remove it (and its WAL) so init can run again.
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    throw mapFull(err);
  }
}

/** Opens an existing store, checking it is intact, Signet's, and of a schema we know. */
export function openDatabase(stateDir: string, options: DatabaseOptions = {}): DatabaseSync {
  const file = dbPath(stateDir);
  if (!fs.existsSync(file)) {
    throw new KeyStoreError('STATE_NOT_INITIALIZED', `${file} does not exist; run 'signet-server admin --state ${path.resolve(stateDir)} init' first`);
  }
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { timeout: 5000 });
    configure(db, options);
    const check = db.prepare('PRAGMA quick_check').all() as Array<Record<string, unknown>>;
    if (check.length !== 1 || Object.values(check[0] ?? {})[0] !== 'ok') throw new Error('quick_check failed');
    const app = db.prepare('PRAGMA application_id').get() as { application_id?: number } | undefined;
    if (app?.application_id !== APPLICATION_ID) throw new Error('application_id is not Signet');
    const version = schemaVersion(db);
    // Threat: an older binary writing rows a newer schema gives a different meaning.
    if (version > SCHEMA_VERSION) {
      throw new KeyStoreError('SCHEMA_TOO_NEW', `signet.db has schema version ${version}; this Signet knows up to ${SCHEMA_VERSION}: upgrade Signet`);
    }
    try {
      migrate(db, version);
    } catch (err) {
      if (isFull(err)) throw fullError(err);
      throw err;
    }
    const tables = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    for (const t of REQUIRED_TABLES) if (!tables.has(t)) throw new Error(`table ${t} missing`);
    return db;
  } catch (err) {
    db?.close();
    throw corrupt(err);
  }
}

/**
 * Callbacks run after a transaction on a connection was rolled back, so state cached in
 * memory from that connection's writes (the audit chain's tail) is dropped with the rows.
 */
const rollbackListeners = new WeakMap<DatabaseSync, Array<() => void>>();

export function onRollback(db: DatabaseSync, listener: () => void): void {
  const list = rollbackListeners.get(db);
  if (list === undefined) rollbackListeners.set(db, [listener]);
  else list.push(listener);
}

/** The transaction `transaction()` has open on a connection: a new object for each one. */
const openTransactions = new WeakMap<DatabaseSync, object>();

/**
 * Identifies the IMMEDIATE transaction `transaction()` has open on `db`, if any. While it is
 * open this connection holds the write lock, so no other connection can commit: what was
 * checked against the database once in it stays true until it ends. Undefined outside one,
 * and inside a transaction begun any other way.
 */
export function currentTransaction(db: DatabaseSync): object | undefined {
  return openTransactions.get(db);
}

/** Runs `fn` in one IMMEDIATE transaction: every multi-row change is all or nothing. */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    throw mapFull(err);
  }
  openTransactions.set(db, {});
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    // SQLite may already have rolled back on SQLITE_FULL; a second ROLLBACK then fails.
    try {
      if (db.isTransaction) db.exec('ROLLBACK');
    } finally {
      for (const listener of rollbackListeners.get(db) ?? []) listener();
    }
    throw mapFull(err);
  } finally {
    openTransactions.delete(db);
  }
}
