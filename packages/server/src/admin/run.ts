import { SignetError } from '@signet/protocol';
import { parseAdminArgs } from './args.ts';
import { runCommand } from './commands.ts';
import { runAuditCommand } from './commands-audit.ts';
import { runBackupCommand } from './commands-backup.ts';
import { AdminError, EXIT_OK, EXIT_USAGE, exitCodeFor } from './errors.ts';
import type { AdminIO } from './io.ts';
import { USAGE } from './usage.ts';

/**
 * `signet-server admin ...`: `argv` is everything after "admin". Returns the exit status:
 * 0 success, 1 failure, 2 usage. Errors are printed as one line with their code; messages
 * never hold secrets, and stack traces are not printed.
 */
export async function runAdmin(argv: readonly string[], io: AdminIO): Promise<number> {
  try {
    const parsed = parseAdminArgs(argv, io.env);
    if (parsed.help) {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (!(await runAuditCommand(parsed, io)) && !(await runBackupCommand(parsed, io))) await runCommand(parsed, io);
    return EXIT_OK;
  } catch (err) {
    const code = exitCodeFor(err);
    if (err instanceof SignetError) {
      io.stderr.write(`signet-server admin: ${err.message} [${err.code}]\n`);
    } else {
      io.stderr.write(`signet-server admin: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    if (code === EXIT_USAGE && err instanceof AdminError && err.code === 'USAGE') {
      io.stderr.write("run 'signet-server admin --help' for usage\n");
    }
    return code;
  }
}
