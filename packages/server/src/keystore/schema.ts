import type { DatabaseSync } from 'node:sqlite';
import { migrateAuditChain } from './audit-store.ts';

/**
 * The key store's SQLite schema. A new store is created at version 1 (SCHEMA_SQL) and then
 * brought to SCHEMA_VERSION by the same MIGRATIONS an old store runs when opened, so both
 * paths always produce the same tables. STRICT tables: SQLite then refuses a value of the
 * wrong type instead of silently storing it.
 *
 * - keys: one OpenPGP key each; `secret_armored` is the whole transferable secret key,
 *   encrypted by openpgp.js under that key's random passphrase (32 random bytes, base64).
 * - users: identities (client certificate CN); they hold no secret themselves.
 * - grants: the key's passphrase wrapped under one user's access passphrase (see wrap.ts).
 * - audit: append-only; triggers refuse UPDATE and DELETE.
 */

/** PRAGMA application_id marking the file as Signet's ("SGNT"). */
export const APPLICATION_ID = 0x53474e54;

export const DB_FILE = 'signet.db';

export const SCHEMA_SQL = `
CREATE TABLE meta (
  name  TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE keys (
  id                  INTEGER PRIMARY KEY,
  name                TEXT NOT NULL UNIQUE,
  fingerprint         TEXT NOT NULL UNIQUE CHECK (length(fingerprint) = 40),
  signing_key_id      TEXT NOT NULL CHECK (length(signing_key_id) = 16),
  signing_fingerprint TEXT NOT NULL CHECK (length(signing_fingerprint) = 40),
  algorithm           TEXT NOT NULL CHECK (algorithm IN ('rsa', 'eddsa')),
  bits                INTEGER NOT NULL,
  created             TEXT NOT NULL,
  expires             TEXT,
  added               TEXT NOT NULL,
  public_armored      TEXT NOT NULL,
  secret_armored      TEXT NOT NULL
) STRICT;

CREATE TABLE users (
  id      INTEGER PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL
) STRICT;

CREATE TABLE grants (
  key_ref    INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
  user_ref   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key_admin  INTEGER NOT NULL CHECK (key_admin IN (0, 1)),
  wrapped    BLOB NOT NULL,
  salt       BLOB NOT NULL,
  nonce      BLOB NOT NULL,
  opslimit   INTEGER NOT NULL,
  memlimit   INTEGER NOT NULL,
  granted_by TEXT,
  created    TEXT NOT NULL,
  PRIMARY KEY (key_ref, user_ref)
) STRICT;

CREATE TABLE audit (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  time            TEXT NOT NULL,
  user_name       TEXT NOT NULL,
  key_fingerprint TEXT,
  kind            TEXT NOT NULL,
  subject         TEXT NOT NULL,
  sha256          TEXT,
  request_id      TEXT
) STRICT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;

/** Tables every store has once migrated to SCHEMA_VERSION. */
export const REQUIRED_TABLES = ['meta', 'keys', 'users', 'grants', 'audit', 'unlock_limits'] as const;

/**
 * Version 1 → 2 (issue 4, key custody):
 * - keys.revoked / revocation_reason / revocation_armored: the revocation certificate made by
 *   `key revoke`; a revoked key never unlocks again.
 * - unlock_limits: failed-unlock counts per grant (limiter.ts), kept across restarts.
 */
function v1ToV2(db: DatabaseSync): void {
  db.exec(`
ALTER TABLE keys ADD COLUMN revoked TEXT;
ALTER TABLE keys ADD COLUMN revocation_reason TEXT CHECK (revocation_reason IS NULL OR revocation_reason IN ('compromised', 'superseded', 'retired'));
ALTER TABLE keys ADD COLUMN revocation_armored TEXT;

CREATE TABLE unlock_limits (
  key_ref      INTEGER NOT NULL,
  user_ref     INTEGER NOT NULL,
  failures     INTEGER NOT NULL CHECK (failures >= 0),
  last_failure TEXT NOT NULL,
  PRIMARY KEY (key_ref, user_ref),
  FOREIGN KEY (key_ref, user_ref) REFERENCES grants(key_ref, user_ref) ON DELETE CASCADE
) STRICT;
`);
}

/** Version 2 → 3 (issue 4, part B): the audit hash chain (audit-store.ts). */
function v2ToV3(db: DatabaseSync): void {
  migrateAuditChain(db);
}

/**
 * Ordered migrations: MIGRATIONS[i] takes a store from version i + 1 to i + 2. Each runs in
 * its own transaction together with the schema_version update, so a failure (a full disk)
 * leaves the store at the previous version, intact.
 *
 * Part B (audit hash chain, backup/restore) appends its step after v1ToV2 here; append
 * only, never edit a published step.
 */
export const MIGRATIONS: ReadonlyArray<(db: DatabaseSync) => void> = [v1ToV2, v2ToV3];

export const SCHEMA_VERSION = 1 + MIGRATIONS.length;
