import { SignetError } from '@signet/protocol';

/**
 * Every failure signet-pki reports on purpose. Codes are stable; tests and scripts rely on
 * them, never on the message text.
 *
 * | code                 | exit | meaning                                                          |
 * |----------------------|------|------------------------------------------------------------------|
 * | PKI_USAGE            | 2    | bad command line: unknown option, missing or malformed value     |
 * | PKI_BAD_NAME         | 2    | a user name, DNS name, IP address or CA name is not acceptable   |
 * | PKI_BAD_VALIDITY     | 2    | validity period is empty, reversed or out of bounds              |
 * | PKI_CA_EXISTS        | 1    | `init` into a directory that already holds a CA                  |
 * | PKI_NO_CA            | 1    | `issue`/`list` in a directory without a CA (run `init` first)    |
 * | PKI_BAD_CA           | 1    | the CA certificate or key is unreadable, not a CA, or mismatched |
 * | PKI_CA_EXPIRED       | 1    | the CA certificate is outside its validity period                |
 * | PKI_BAD_INDEX        | 1    | index.json does not match its schema                             |
 * | PKI_EXISTS           | 1    | the certificate or key file already exists (use --force)         |
 * | PKI_IO               | 1    | a file could not be read or written                              |
 * | PKI_UNKNOWN_SERIAL   | 1    | no certificate (or previous CA) in index.json has that serial    |
 * | PKI_UNKNOWN_NAME     | 1    | `renew`/`revoke --name`: no certificate was issued for the name  |
 * | PKI_AMBIGUOUS_NAME   | 1    | `revoke --name`: several current certificates carry the name     |
 * | PKI_ALREADY_REVOKED  | 1    | `revoke` of a certificate that is already revoked                |
 * | PKI_KEY_REVOKED      | 1    | `renew --reuse-key` of a revoked certificate                     |
 * | PKI_BAD_KEY          | 1    | `renew --reuse-key`: the key is missing or does not match        |
 * | PKI_ROLLOVER_PENDING | 1    | `rollover` while the previous CA is not yet retired              |
 * | PKI_CA_CURRENT       | 1    | `retire-ca` of the current CA                                    |
 * | PKI_CA_RETIRED       | 1    | `retire-ca` of a CA already retired                              |
 * | PKI_CA_IN_USE        | 1    | `retire-ca` while certificates it issued are still current       |
 */
export type PkiErrorCode =
  | 'PKI_USAGE'
  | 'PKI_BAD_NAME'
  | 'PKI_BAD_VALIDITY'
  | 'PKI_CA_EXISTS'
  | 'PKI_NO_CA'
  | 'PKI_BAD_CA'
  | 'PKI_CA_EXPIRED'
  | 'PKI_BAD_INDEX'
  | 'PKI_EXISTS'
  | 'PKI_IO'
  | 'PKI_UNKNOWN_SERIAL'
  | 'PKI_UNKNOWN_NAME'
  | 'PKI_AMBIGUOUS_NAME'
  | 'PKI_ALREADY_REVOKED'
  | 'PKI_KEY_REVOKED'
  | 'PKI_BAD_KEY'
  | 'PKI_ROLLOVER_PENDING'
  | 'PKI_CA_CURRENT'
  | 'PKI_CA_RETIRED'
  | 'PKI_CA_IN_USE';

export const PKI_ERROR_CODES: readonly PkiErrorCode[] = [
  'PKI_USAGE',
  'PKI_BAD_NAME',
  'PKI_BAD_VALIDITY',
  'PKI_CA_EXISTS',
  'PKI_NO_CA',
  'PKI_BAD_CA',
  'PKI_CA_EXPIRED',
  'PKI_BAD_INDEX',
  'PKI_EXISTS',
  'PKI_IO',
  'PKI_UNKNOWN_SERIAL',
  'PKI_UNKNOWN_NAME',
  'PKI_AMBIGUOUS_NAME',
  'PKI_ALREADY_REVOKED',
  'PKI_KEY_REVOKED',
  'PKI_BAD_KEY',
  'PKI_ROLLOVER_PENDING',
  'PKI_CA_CURRENT',
  'PKI_CA_RETIRED',
  'PKI_CA_IN_USE',
];

/** Codes that mean the caller's arguments were wrong; the CLI exits 2 for them. */
export const PKI_USAGE_CODES: ReadonlySet<PkiErrorCode> = new Set(['PKI_USAGE', 'PKI_BAD_NAME', 'PKI_BAD_VALIDITY']);

export class PkiError extends SignetError<PkiErrorCode> {}
