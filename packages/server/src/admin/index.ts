export { runAdmin } from './run.ts';
export type { AdminIO, AdminInput, AdminOutput } from './io.ts';
export { AdminError, ADMIN_ERROR_CODES, EXIT_OK, EXIT_FAILURE, EXIT_USAGE } from './errors.ts';
export type { AdminErrorCode } from './errors.ts';
export { parseAdminArgs, COMMANDS } from './args.ts';
export type { ParsedCommand, ParseResult } from './args.ts';
export { readPassphraseFile, promptHidden } from './passphrase.ts';
export { USAGE } from './usage.ts';
