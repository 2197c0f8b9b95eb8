import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { KeyStoreError } from './errors.ts';
import { APPLICATION_ID, DB_FILE, REQUIRED_TABLES, SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';

/**
 * Opening and creating the SQLite file. All I/O of the key store's database lives here
 * and in keystore.ts; nothing here touches the network.
 */

export function dbPath(stateDir: string): string {
  return path.join(path.resolve(stateDir), DB_FILE);
}

function configure(db: DatabaseSync): void {
  // WAL + synchronous=FULL: a committed grant or audit row survives a power cut.
  const mode = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode?: string } | undefined;
  if (mode?.journal_mode !== 'wal') throw new Error('could not switch the database to WAL mode');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA secure_delete = ON'); // overwrite freed pages (old wrapped passphrases)
}

/** Wraps every SQLite failure on open as DB_CORRUPT, keeping our own coded errors. */
function corrupt(err: unknown): KeyStoreError {
  if (err instanceof KeyStoreError) return err;
  return new KeyStoreError('DB_CORRUPT', 'signet.db cannot be read as a Signet key store (damaged or not a Signet database); restore it from a backup', { cause: err });
}

/** Creates a new, empty store. Refuses when signet.db already exists. */
export function createDatabase(stateDir: string): DatabaseSync {
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
    configure(db);
    db.exec('BEGIN IMMEDIATE');
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec(SCHEMA_SQL);
    const put = db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)');
    put.run('schema_version', String(SCHEMA_VERSION));
    put.run('created', new Date().toISOString());
    db.exec('COMMIT');
    return db;
  } catch (err) {
    db.close();
    fs.rmSync(file, { force: true });
    throw err;
  }
}

/** Opens an existing store, checking it is intact, Signet's, and of a schema we know. */
export function openDatabase(stateDir: string): DatabaseSync {
  const file = dbPath(stateDir);
  if (!fs.existsSync(file)) {
    throw new KeyStoreError('STATE_NOT_INITIALIZED', `${file} does not exist; run 'signet-server admin --state ${path.resolve(stateDir)} init' first`);
  }
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { timeout: 5000 });
    configure(db);
    const check = db.prepare('PRAGMA quick_check').all() as Array<Record<string, unknown>>;
    if (check.length !== 1 || Object.values(check[0] ?? {})[0] !== 'ok') throw new Error('quick_check failed');
    const app = db.prepare('PRAGMA application_id').get() as { application_id?: number } | undefined;
    if (app?.application_id !== APPLICATION_ID) throw new Error('application_id is not Signet');
    const tables = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    for (const t of REQUIRED_TABLES) if (!tables.has(t)) throw new Error(`table ${t} missing`);
    const row = db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get() as { value?: unknown } | undefined;
    const version = typeof row?.value === 'string' && /^[0-9]{1,9}$/.test(row.value) ? Number(row.value) : NaN;
    if (!Number.isInteger(version) || version < 1) throw new Error('schema_version missing or invalid');
    // Threat: an older binary writing rows a newer schema gives a different meaning.
    if (version > SCHEMA_VERSION) {
      throw new KeyStoreError('SCHEMA_TOO_NEW', `signet.db has schema version ${version}; this Signet knows up to ${SCHEMA_VERSION}: upgrade Signet`);
    }
    return db;
  } catch (err) {
    db?.close();
    throw corrupt(err);
  }
}

/** Runs `fn` in one IMMEDIATE transaction: every multi-row change is all or nothing. */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
