import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { ChainHead } from './audit-chain.ts';
import { appendAudit, chainInfo } from './audit-append.ts';
import { verificationError, verifyAuditChain } from './audit-log.ts';
import { encodeBackupHeader, MAX_HEADER_BYTES, parseBackupHeader, type BackupManifest } from './backup-format.ts';
import { dbPath, openDatabase } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { CONSOLE_ACTOR } from './types.ts';
import { DB_FILE, SCHEMA_VERSION } from './schema.ts';

/**
 * `admin backup` and `admin restore`. A backup is a VACUUM INTO snapshot — one read
 * transaction, so consistent while the daemon keeps writing (WAL lets writers go on) —
 * wrapped with a manifest (backup-format.ts) and written atomically, mode 0600. Secrets stay
 * as encrypted as in signet.db; the optional binding file is not part of it.
 */

const CHUNK = 1 << 20;

export interface BackupResult {
  readonly file: string;
  readonly manifest: BackupManifest;
}

export interface RestoreResult {
  readonly stateDir: string;
  readonly manifest: BackupManifest;
  /** Where the state directory that was replaced (--force) now is. */
  readonly replacedMovedTo: string | null;
  readonly head: ChainHead | null;
}

/** A path as an audit subject: printable ASCII, bounded (Threat: log injection via file names). */
function subjectPath(p: string): string {
  const clean = p.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 400 ? `…${clean.slice(-400)}` : clean;
}

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.message : 'error');
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function sha256File(file: string): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(CHUNK);
  let bytes = 0;
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, CHUNK, null)) > 0; bytes += n) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Copies `length` bytes of `fromFd` at `from` to the end of `toFd`, hashing them. */
function copyRange(fromFd: number, from: number, length: number, toFd: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.alloc(CHUNK);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fromFd, buf, 0, Math.min(CHUNK, length - done), from + done);
    if (n === 0) throw new KeyStoreError('BACKUP_CORRUPT', 'not a usable Signet backup: the file ends early (truncated copy?)');
    hash.update(buf.subarray(0, n));
    fs.writeSync(toFd, buf, 0, n);
    done += n;
  }
  return hash.digest('hex');
}

const SNAPSHOT_ATTEMPTS = 5;

/** Snapshot of `db` into a new file; returns facts read back from the snapshot itself. */
function snapshot(db: DatabaseSync, file: string): Omit<BackupManifest, 'format' | 'created' | 'dbBytes' | 'dbSha256'> {
  fs.closeSync(fs.openSync(file, 'wx', 0o600)); // VACUUM INTO accepts an empty file; ours is 0600 from birth
  // Under a busy writer the snapshot's read transaction can lose a race with a WAL reset
  // (seen in tests as a bare SQLITE_ERROR); a few quick retries make it dependable.
  for (let attempt = 1; ; attempt++) {
    try {
      db.prepare('VACUUM INTO ?').run(file);
      break;
    } catch (err) {
      if (attempt >= SNAPSHOT_ATTEMPTS) throw err;
      fs.truncateSync(file, 0);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * attempt);
    }
  }
  const snap = new DatabaseSync(file);
  try {
    // Self-contained bytes: no WAL beside them, whatever mode the source was in.
    snap.exec('PRAGMA journal_mode = DELETE');
    const version = Number((snap.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get() as { value: string }).value);
    const v = verifyAuditChain(snap);
    return { schemaVersion: version, chainId: chainInfo(snap).chainId, auditRows: v.rows, auditHead: v.head, auditIntact: v.ok };
  } finally {
    snap.close();
  }
}

/**
 * Writes a backup of the store in `stateDir` to `file`, which must not exist. The backup's
 * own audit row ("backup") is in the snapshot.
 */
export function createBackup(stateDir: string, file: string, options: { now?: () => Date } = {}): BackupResult {
  const now = options.now ?? (() => new Date());
  const target = path.resolve(file);
  const dir = path.dirname(target);
  if (fs.existsSync(target)) throw new KeyStoreError('BACKUP_EXISTS', `${target} already exists; choose a new name (backups are never overwritten)`);
  const tag = randomBytes(6).toString('hex');
  const snapFile = path.join(dir, `.${path.basename(target)}.snapshot-${tag}`);
  const tmpFile = path.join(dir, `.${path.basename(target)}.tmp-${tag}`);
  const db = openDatabase(stateDir);
  try {
    appendAudit(db, { time: now().toISOString(), user: CONSOLE_ACTOR, keyFingerprint: null, kind: 'backup', subject: `to ${subjectPath(target)}`, sha256: null, requestId: null });
    const facts = snapshot(db, snapFile);
    const { bytes, sha256 } = sha256File(snapFile);
    const manifest: BackupManifest = { format: 1, created: now().toISOString(), ...facts, dbBytes: bytes, dbSha256: sha256 };
    const out = fs.openSync(tmpFile, 'wx', 0o600);
    try {
      fs.writeSync(out, encodeBackupHeader(manifest));
      const src = fs.openSync(snapFile, 'r');
      try {
        if (copyRange(src, 0, bytes, out) !== sha256) throw new KeyStoreError('BACKUP_FAILED', 'the snapshot changed while it was copied; run backup again');
      } finally {
        fs.closeSync(src);
      }
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    // link, not rename: fails if someone created `target` meanwhile, instead of replacing it.
    fs.linkSync(tmpFile, target);
    fsyncDir(dir);
    return { file: target, manifest };
  } catch (err) {
    if (err instanceof KeyStoreError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new KeyStoreError('BACKUP_EXISTS', `${target} already exists; choose a new name`, { cause: err });
    throw new KeyStoreError('BACKUP_FAILED', `cannot write the backup ${target} (${errno(err)}: ${String((err as Error).message).slice(0, 200)}); nothing was left behind`, { cause: err });
  } finally {
    db.close();
    for (const f of [snapFile, tmpFile]) fs.rmSync(f, { force: true });
  }
}

function stateInUse(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length > 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Reads and checks the backup, and writes its database (digest-checked) into `dbFile`. */
function unpack(file: string, dbFile: string): BackupManifest {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new KeyStoreError('BACKUP_CORRUPT', `cannot open ${file} (${errno(err)})`, { cause: err });
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(MAX_HEADER_BYTES, size));
    fs.readSync(fd, head, 0, head.length, 0);
    const { manifest, offset } = parseBackupHeader(head);
    // Threat: a truncated or appended-to copy passing as whole.
    if (size !== offset + manifest.dbBytes) {
      throw new KeyStoreError('BACKUP_CORRUPT', `not a usable Signet backup: ${size - offset} database bytes where the manifest says ${manifest.dbBytes} (truncated or altered copy)`);
    }
    // Threat: an older Signet restoring a store whose rows it would misread.
    if (manifest.schemaVersion > SCHEMA_VERSION) {
      throw new KeyStoreError('SCHEMA_TOO_NEW', `the backup holds schema version ${manifest.schemaVersion}; this Signet knows up to ${SCHEMA_VERSION}: restore with a newer Signet`);
    }
    const out = fs.openSync(dbFile, 'wx', 0o600);
    try {
      const digest = copyRange(fd, offset, manifest.dbBytes, out);
      if (digest !== manifest.dbSha256) throw new KeyStoreError('BACKUP_CORRUPT', 'not a usable Signet backup: the database bytes do not match the SHA-256 in the manifest (damaged copy)');
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    return manifest;
  } finally {
    fs.closeSync(fd);
  }
}

/** Cross-checks the unpacked database against its manifest, before any migration. */
function checkAgainstManifest(dbFile: string, manifest: BackupManifest): void {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(dbFile, { readOnly: true });
    const version = (db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get() as { value?: unknown } | undefined)?.value;
    const chainId = (db.prepare("SELECT value FROM meta WHERE name = 'audit_chain_id'").get() as { value?: unknown } | undefined)?.value;
    if (version !== String(manifest.schemaVersion) || chainId !== manifest.chainId) throw new Error('manifest and database disagree');
  } catch (err) {
    throw new KeyStoreError('BACKUP_CORRUPT', 'not a usable Signet backup: its manifest does not describe its database (schema version or chain id differ)', { cause: err });
  } finally {
    db?.close();
  }
}

/**
 * Restores `file` as the store in `stateDir`: unpack into a temporary directory beside it,
 * check digest, schema, database and audit chain there, then rename it into place. With
 * `force`, an existing state directory is first renamed to `<stateDir>.replaced-<time>`
 * (kept, never deleted).
 */
export function restoreBackup(file: string, stateDir: string, options: { force?: boolean; now?: () => Date } = {}): RestoreResult {
  const now = options.now ?? (() => new Date());
  const dir = path.resolve(stateDir);
  // Threat: wiping the live store by a mistyped --state. Checked before and after the work.
  if (stateInUse(dir) && options.force !== true) {
    throw new KeyStoreError('RESTORE_EXISTS', `${dir} is not empty${fs.existsSync(dbPath(dir)) ? ' (it holds a signet.db)' : ''}; stop the daemon and give --force to replace it (the old directory is kept beside it)`);
  }
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  let tmp: string;
  try {
    tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.restore-`));
  } catch (err) {
    throw new KeyStoreError('RESTORE_FAILED', `cannot create a directory in ${parent} (${errno(err)})`, { cause: err });
  }
  try {
    const manifest = unpack(path.resolve(file), path.join(tmp, DB_FILE));
    checkAgainstManifest(path.join(tmp, DB_FILE), manifest);
    let db: DatabaseSync;
    try {
      db = openDatabase(tmp); // quick_check, application id, migrations up to this Signet's schema
    } catch (err) {
      if (err instanceof KeyStoreError && err.code === 'DB_CORRUPT') throw new KeyStoreError('BACKUP_CORRUPT', 'not a usable Signet backup: the database in it does not open as a Signet store', { cause: err });
      throw err;
    }
    let head: ChainHead | null;
    try {
      const v = verifyAuditChain(db, manifest.auditHead === null ? {} : { expectHead: manifest.auditHead.hash });
      if (!v.ok) throw verificationError(v);
      const restored = appendAudit(db, {
        time: now().toISOString(), user: CONSOLE_ACTOR, keyFingerprint: null, kind: 'restore',
        subject: `from ${subjectPath(path.resolve(file))} (backup made ${manifest.created}, audit head seq ${manifest.auditHead?.seq ?? 0})`,
        sha256: null, requestId: null,
      });
      head = { seq: restored.seq, hash: restored.hash as string };
    } finally {
      db.close();
    }
    for (const f of fs.readdirSync(tmp)) if (f !== DB_FILE) fs.rmSync(path.join(tmp, f), { force: true });
    fsyncDir(tmp);
    let replacedMovedTo: string | null = null;
    try {
      if (stateInUse(dir)) {
        if (options.force !== true) throw new KeyStoreError('RESTORE_EXISTS', `${dir} was filled while restoring; nothing was changed`);
        replacedMovedTo = `${dir}.replaced-${now().toISOString().replace(/[:.]/g, '-')}`;
        fs.renameSync(dir, replacedMovedTo);
      } else if (fs.existsSync(dir)) {
        fs.rmdirSync(dir);
      }
      fs.renameSync(tmp, dir);
      fsyncDir(parent);
    } catch (err) {
      // Put the old state back if it was moved aside and the new one did not land.
      if (replacedMovedTo !== null && !fs.existsSync(dir)) {
        try {
          fs.renameSync(replacedMovedTo, dir);
          replacedMovedTo = null;
        } catch {
          // reported below: the message names where the old state is
        }
      }
      if (err instanceof KeyStoreError) throw err;
      throw new KeyStoreError('RESTORE_FAILED', `cannot put the restored store in place at ${dir} (${errno(err)})${replacedMovedTo === null ? '' : `; the previous state is in ${replacedMovedTo}`}`, { cause: err });
    }
    return { stateDir: dir, manifest, replacedMovedTo, head };
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (err instanceof KeyStoreError) throw err;
    throw new KeyStoreError('RESTORE_FAILED', `cannot restore into ${dir} (${errno(err)}); nothing was changed`, { cause: err });
  }
}
