import { SignetError } from '@signet/protocol';

/**
 * Every failure signet-pki reports on purpose. Codes are stable; tests and scripts rely on
 * them, never on the message text.
 *
 * | code               | exit | meaning                                                          |
 * |--------------------|------|------------------------------------------------------------------|
 * | PKI_USAGE          | 2    | bad command line: unknown option, missing or malformed value     |
 * | PKI_BAD_NAME       | 2    | a user name, DNS name, IP address or CA name is not acceptable   |
 * | PKI_BAD_VALIDITY   | 2    | validity period is empty, reversed or out of bounds              |
 * | PKI_CA_EXISTS      | 1    | `init` into a directory that already holds a CA                  |
 * | PKI_NO_CA          | 1    | `issue`/`list` in a directory without a CA (run `init` first)    |
 * | PKI_BAD_CA         | 1    | the CA certificate or key is unreadable, not a CA, or mismatched |
 * | PKI_CA_EXPIRED     | 1    | the CA certificate is outside its validity period                |
 * | PKI_BAD_INDEX      | 1    | index.json does not match its schema                             |
 * | PKI_EXISTS         | 1    | the certificate or key file already exists (use --force)         |
 * | PKI_IO             | 1    | a file could not be read or written                              |
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
  | 'PKI_IO';

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
];

/** Codes that mean the caller's arguments were wrong; the CLI exits 2 for them. */
export const PKI_USAGE_CODES: ReadonlySet<PkiErrorCode> = new Set(['PKI_USAGE', 'PKI_BAD_NAME', 'PKI_BAD_VALIDITY']);

export class PkiError extends SignetError<PkiErrorCode> {}
