import { createBackup, restoreBackup } from '../keystore/index.ts';
import type { ParsedCommand } from './args.ts';
import type { AdminIO } from './io.ts';

/** `admin backup --to FILE` and `admin restore --from FILE [--force]`. */

/** Runs the command if it is backup or restore; false otherwise. */
export async function runBackupCommand(cmd: ParsedCommand, io: AdminIO): Promise<boolean> {
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  const { values } = cmd;
  if (cmd.command === 'backup') {
    const { file, manifest } = createBackup(cmd.stateDir, values.to as string);
    if (values.json === true) {
      out(JSON.stringify({ file, ...manifest }, null, 2));
    } else {
      out(`wrote backup ${file} (mode 0600): schema ${manifest.schemaVersion}, ${manifest.dbBytes} database bytes, sha256 ${manifest.dbSha256}`);
      out(manifest.auditHead === null ? 'audit head: empty log' : `audit head: seq ${manifest.auditHead.seq} hash ${manifest.auditHead.hash}`);
    }
    if (!manifest.auditIntact) {
      io.stderr.write("warning: the audit chain in this backup does not verify (run 'audit verify'); restore will refuse it\n");
    }
    return true;
  }
  if (cmd.command === 'restore') {
    const r = restoreBackup(values.from as string, cmd.stateDir, { force: values.force === true });
    if (values.json === true) {
      out(JSON.stringify(r, null, 2));
      return true;
    }
    out(`restored ${r.stateDir} from a backup made ${r.manifest.created} (schema ${r.manifest.schemaVersion}); audit chain verified`);
    if (r.head !== null) out(`audit head: seq ${r.head.seq} hash ${r.head.hash} (includes the restore row)`);
    if (r.replacedMovedTo !== null) out(`the previous state directory was moved to ${r.replacedMovedTo}`);
    return true;
  }
  return false;
}
