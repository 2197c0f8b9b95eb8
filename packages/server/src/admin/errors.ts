import { SignetError } from '@signet/protocol';

/**
 * Codes of the console admin CLI (key store failures keep their KeyStoreError codes).
 *
 * | code               | exit | meaning                                                          |
 * |--------------------|------|------------------------------------------------------------------|
 * | USAGE              | 2    | unknown command or option, missing argument                      |
 * | PASSPHRASE_SOURCE  | 2    | no --passphrase-file (or similar) and stdin is not a terminal    |
 * | PASSPHRASE_FILE    | 1    | passphrase file unreadable, empty first line, or too long        |
 * | PASSPHRASE_MISMATCH| 1    | the confirmation typed differs                                   |
 * | PROMPT_ABORTED     | 1    | Ctrl-C / Ctrl-D at a passphrase prompt                            |
 * | FILE_READ          | 1    | the key file cannot be read or is too large                      |
 * | FILE_WRITE         | 1    | the output file cannot be written                                |
 * | CONFIRM_REQUIRED   | 2    | a destructive command without a terminal and without --yes       |
 * | CONFIRM_DECLINED   | 1    | the name typed at the confirmation prompt differs                |
 */
export type AdminErrorCode =
  | 'USAGE'
  | 'PASSPHRASE_SOURCE'
  | 'PASSPHRASE_FILE'
  | 'PASSPHRASE_MISMATCH'
  | 'PROMPT_ABORTED'
  | 'FILE_READ'
  | 'FILE_WRITE'
  | 'CONFIRM_REQUIRED'
  | 'CONFIRM_DECLINED';

export const ADMIN_ERROR_CODES: readonly AdminErrorCode[] = [
  'USAGE',
  'PASSPHRASE_SOURCE',
  'PASSPHRASE_FILE',
  'PASSPHRASE_MISMATCH',
  'PROMPT_ABORTED',
  'FILE_READ',
  'FILE_WRITE',
  'CONFIRM_REQUIRED',
  'CONFIRM_DECLINED',
];

export class AdminError extends SignetError<AdminErrorCode> {}

/** Exit codes: 0 success, 1 failure, 2 usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(err: unknown): number {
  if (err instanceof AdminError && (err.code === 'USAGE' || err.code === 'PASSPHRASE_SOURCE' || err.code === 'CONFIRM_REQUIRED')) return EXIT_USAGE;
  return EXIT_FAILURE;
}
