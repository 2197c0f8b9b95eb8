/**
 * The key store's SQLite schema, version 1. STRICT tables: SQLite then refuses a value of
 * the wrong type instead of silently storing it.
 *
 * - keys: one OpenPGP key each; `secret_armored` is the whole transferable secret key,
 *   encrypted by openpgp.js under that key's random passphrase (32 random bytes, base64).
 * - users: identities (client certificate CN); they hold no secret themselves.
 * - grants: the key's passphrase wrapped under one user's access passphrase (see wrap.ts).
 * - audit: append-only; triggers refuse UPDATE and DELETE.
 */
export const SCHEMA_VERSION = 1;

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

export const REQUIRED_TABLES = ['meta', 'keys', 'users', 'grants', 'audit'] as const;
