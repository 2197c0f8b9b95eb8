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
 * | AUDIT_INVALID             | an audit entry field is missing or out of bounds                              |
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
  | 'AUDIT_INVALID'
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
  'AUDIT_INVALID',
  'SIGN_FAILED',
];

export class KeyStoreError extends SignetError<KeyStoreErrorCode> {}
