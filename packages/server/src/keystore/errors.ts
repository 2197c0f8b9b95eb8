import { SignetError } from '@signet/protocol';

/**
 * Codes raised by the key store. Tests, the admin CLI and the server rely on the code,
 * never on the message. Messages never contain passphrases or key material.
 *
 * | code                      | meaning / what to do                                                        |
 * |---------------------------|-----------------------------------------------------------------------------|
 * | STATE_NOT_INITIALIZED     | no signet.db in the state directory: run `admin init`                         |
 * | STATE_EXISTS              | `init` on a directory that already holds a signet.db                         |
 * | SCHEMA_TOO_NEW            | the database was written by a newer Signet: upgrade this one                  |
 * | DB_CORRUPT                | not a Signet database, damaged, or altered outside Signet                     |
 * | STORE_CLOSED              | the KeyStore was closed                                                       |
 * | NAME_INVALID              | key or user name outside the allowed pattern                                  |
 * | PASSPHRASE_INVALID        | passphrase empty, too long, or (when set) too short                           |
 * | ARGON2_PARAMS_INVALID     | Argon2id limits outside the accepted range                                    |
 * | KEY_NOT_FOUND             | no key of that name (admin operations)                                        |
 * | KEY_EXISTS                | a key of that name or fingerprint is already stored                           |
 * | USER_NOT_FOUND / USER_EXISTS | user lookups and creation                                                  |
 * | GRANT_EXISTS              | the user already holds the key                                                |
 * | ACCESS_DENIED             | no such key, or the user holds no grant for it (deliberately one code)       |
 * | KEY_ADMIN_REQUIRED        | granting needs a grant with the key-admin flag                                |
 * | BAD_PASSPHRASE            | the access passphrase does not open the user's grant                          |
 * | KEY_PUBLIC_ONLY           | import of a public key, or the signing key has no secret material             |
 * | KEY_MALFORMED             | import text is not exactly one parsable OpenPGP key                           |
 * | KEY_ALGORITHM_UNSUPPORTED | not RSA ≥ 2048 or EdDSA legacy (algorithm 22)                                  |
 * | KEY_VERSION_UNSUPPORTED   | not a v4 key                                                                  |
 * | KEY_EXPIRED / KEY_REVOKED | the key cannot sign any more                                                  |
 * | KEY_NO_SIGNING_KEY        | no valid signing-capable (sub)key                                             |
 * | KEY_INCONSISTENT          | secret and public key material do not belong together                        |
 * | KEY_PASSPHRASE_REQUIRED   | the imported key is encrypted: give its passphrase                            |
 * | KEY_PASSPHRASE_WRONG      | the imported key's passphrase is wrong                                        |
 * | KEY_ID_COLLISION          | the key's signing key ID (or its last 8 hex digits, Koji's sigkey) equals a stored key's |
 * | EXPIRY_INVALID            | a new expiry not after now / the key's creation, or past 2106                |
 * | REASON_INVALID            | revocation reason not compromised, superseded or retired                      |
 * | GRANT_NOT_FOUND           | revoking access the user does not hold                                        |
 * | LAST_GRANT                | the change would leave a key no user can unlock (use force)                   |
 * | LAST_KEY_ADMIN            | the change would leave a key without key admin (use force)                    |
 * | GRANTS_EXIST              | deleting a key that users still hold (use force)                              |
 * | UNLOCK_THROTTLED          | too many wrong passphrases for this grant: retry after the time given         |
 * | UNLOCK_LOCKED             | the grant is locked after too many wrong passphrases: admin `user unlock`     |
 * | UNLOCK_LIMITS_INVALID     | unlock limiter settings out of range                                          |
 * | BINDING_REQUIRED          | the store is bound to a binding file and none was given                       |
 * | BINDING_MISMATCH          | the binding file given is not this store's (or the store is not bound)        |
 * | BINDING_FILE_INVALID      | the binding file cannot be created or read, or is not 32 bytes                |
 * | DB_FULL                   | the disk (or maxDatabaseBytes) is full; the write was rolled back             |
 * | AUDIT_INVALID             | an audit entry field is missing or out of bounds                              |
 * | AUDIT_CHAIN_BROKEN        | audit verify: a row edited, deleted, reordered or unchained; triggers missing |
 * | AUDIT_HEAD_MISMATCH       | audit verify --expect-head: that hash is not in the chain (truncated/rewritten) |
 * | BACKUP_CORRUPT            | restore: not a Signet backup, damaged, or manifest and database disagree      |
 * | BACKUP_EXISTS             | backup --to FILE: FILE already exists                                         |
 * | BACKUP_FAILED             | backup: the snapshot or the file could not be written (nothing left behind)   |
 * | RESTORE_EXISTS            | restore: the state directory already holds a store (use --force)             |
 * | RESTORE_FAILED            | restore: the new state could not be written or put in place                   |
 * | SIGN_FAILED               | the probe signature made at import/generate failed                            |
 */
export type KeyStoreErrorCode =
  | 'STATE_NOT_INITIALIZED'
  | 'STATE_EXISTS'
  | 'SCHEMA_TOO_NEW'
  | 'DB_CORRUPT'
  | 'STORE_CLOSED'
  | 'NAME_INVALID'
  | 'PASSPHRASE_INVALID'
  | 'ARGON2_PARAMS_INVALID'
  | 'KEY_NOT_FOUND'
  | 'KEY_EXISTS'
  | 'USER_NOT_FOUND'
  | 'USER_EXISTS'
  | 'GRANT_EXISTS'
  | 'ACCESS_DENIED'
  | 'KEY_ADMIN_REQUIRED'
  | 'BAD_PASSPHRASE'
  | 'KEY_PUBLIC_ONLY'
  | 'KEY_MALFORMED'
  | 'KEY_ALGORITHM_UNSUPPORTED'
  | 'KEY_VERSION_UNSUPPORTED'
  | 'KEY_EXPIRED'
  | 'KEY_REVOKED'
  | 'KEY_NO_SIGNING_KEY'
  | 'KEY_INCONSISTENT'
  | 'KEY_PASSPHRASE_REQUIRED'
  | 'KEY_PASSPHRASE_WRONG'
  | 'KEY_ID_COLLISION'
  | 'EXPIRY_INVALID'
  | 'REASON_INVALID'
  | 'GRANT_NOT_FOUND'
  | 'LAST_GRANT'
  | 'LAST_KEY_ADMIN'
  | 'GRANTS_EXIST'
  | 'UNLOCK_THROTTLED'
  | 'UNLOCK_LOCKED'
  | 'UNLOCK_LIMITS_INVALID'
  | 'BINDING_REQUIRED'
  | 'BINDING_MISMATCH'
  | 'BINDING_FILE_INVALID'
  | 'DB_FULL'
  | 'AUDIT_INVALID'
  | 'AUDIT_CHAIN_BROKEN'
  | 'AUDIT_HEAD_MISMATCH'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_EXISTS'
  | 'BACKUP_FAILED'
  | 'RESTORE_EXISTS'
  | 'RESTORE_FAILED'
  | 'SIGN_FAILED';

export const KEYSTORE_ERROR_CODES: readonly KeyStoreErrorCode[] = [
  'STATE_NOT_INITIALIZED',
  'STATE_EXISTS',
  'SCHEMA_TOO_NEW',
  'DB_CORRUPT',
  'STORE_CLOSED',
  'NAME_INVALID',
  'PASSPHRASE_INVALID',
  'ARGON2_PARAMS_INVALID',
  'KEY_NOT_FOUND',
  'KEY_EXISTS',
  'USER_NOT_FOUND',
  'USER_EXISTS',
  'GRANT_EXISTS',
  'ACCESS_DENIED',
  'KEY_ADMIN_REQUIRED',
  'BAD_PASSPHRASE',
  'KEY_PUBLIC_ONLY',
  'KEY_MALFORMED',
  'KEY_ALGORITHM_UNSUPPORTED',
  'KEY_VERSION_UNSUPPORTED',
  'KEY_EXPIRED',
  'KEY_REVOKED',
  'KEY_NO_SIGNING_KEY',
  'KEY_INCONSISTENT',
  'KEY_PASSPHRASE_REQUIRED',
  'KEY_PASSPHRASE_WRONG',
  'KEY_ID_COLLISION',
  'EXPIRY_INVALID',
  'REASON_INVALID',
  'GRANT_NOT_FOUND',
  'LAST_GRANT',
  'LAST_KEY_ADMIN',
  'GRANTS_EXIST',
  'UNLOCK_THROTTLED',
  'UNLOCK_LOCKED',
  'UNLOCK_LIMITS_INVALID',
  'BINDING_REQUIRED',
  'BINDING_MISMATCH',
  'BINDING_FILE_INVALID',
  'DB_FULL',
  'AUDIT_INVALID',
  'AUDIT_CHAIN_BROKEN',
  'AUDIT_HEAD_MISMATCH',
  'BACKUP_CORRUPT',
  'BACKUP_EXISTS',
  'BACKUP_FAILED',
  'RESTORE_EXISTS',
  'RESTORE_FAILED',
  'SIGN_FAILED',
];

export class KeyStoreError extends SignetError<KeyStoreErrorCode> {}
