import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AuditLog, MAX_AUDIT_LIMIT, verificationError, type AuditRecord, type AuditVerification } from '../keystore/index.ts';
import type { ParsedCommand } from './args.ts';
import { AdminError } from './errors.ts';
import { table } from './format.ts';
import type { AdminIO } from './io.ts';

/** `admin audit show|verify|export`: read-only views of the hash-chained audit log. */

const ISO_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$/;

export function parseSince(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const t = ISO_DATE.test(value) ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value) : NaN;
  if (!Number.isFinite(t)) throw new AdminError('USAGE', '--since must be an ISO 8601 date or time with a zone: 2030-01-31 (UTC midnight) or 2030-01-31T12:00:00Z');
  return new Date(t);
}

export function parseLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[0-9]{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_AUDIT_LIMIT)) throw new AdminError('USAGE', `--limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
  return n;
}

/** One exported row: every column, in a fixed key order. */
export function exportLine(r: AuditRecord): string {
  return JSON.stringify({
    seq: r.seq, time: r.time, user: r.user, keyFingerprint: r.keyFingerprint, kind: r.kind, subject: r.subject,
    sha256: r.sha256, requestId: r.requestId, prevHash: r.prevHash, hash: r.hash,
  });
}

function verifySummary(v: AuditVerification): string[] {
  const lines: string[] = [];
  if (v.break !== null) lines.push(`audit chain BROKEN at seq ${v.break.seq}: ${v.break.reason}: ${v.break.detail}`, `${v.rows} rows before it verify`);
  else lines.push(`audit chain ${v.ok ? 'intact' : 'rows intact'}: ${v.rows} rows`);
  if (v.head !== null) lines.push(`head: seq ${v.head.seq} hash ${v.head.hash}`);
  if (v.lateThrough > 0) lines.push(`rows up to seq ${v.lateThrough} were written before the hash chain existed and were chained late, at the upgrade`);
  if (v.missingTriggers.length > 0) lines.push(`append-only triggers missing: ${v.missingTriggers.join(', ')}`);
  if (v.checkpoint !== null) {
    lines.push(v.checkpoint.seq === null ? `checkpoint ${v.checkpoint.hash} NOT in the chain` : `checkpoint ${v.checkpoint.hash} found at seq ${v.checkpoint.seq}`);
  } else if (v.ok) {
    lines.push('rows removed from the end cannot be seen from the chain alone: record the head elsewhere and check it with --expect-head');
  }
  return lines;
}

/** Writes the export through a temp file and a rename; returns the rows written. */
function exportToFile(log: AuditLog, file: string, since: Date | undefined): number {
  const target = path.resolve(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  let rows = 0;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      let chunk = '';
      for (const r of log.rows(since === undefined ? {} : { since })) {
        chunk += `${exportLine(r)}\n`;
        rows += 1;
        if (chunk.length > 1 << 20) {
          fs.writeSync(fd, chunk);
          chunk = '';
        }
      }
      fs.writeSync(fd, chunk);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, target);
    return rows;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new AdminError('FILE_WRITE', `cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? 'error'}; nothing was written`, { cause: err });
  }
}

/** Runs the command if it is an audit command; false otherwise. */
export async function runAuditCommand(cmd: ParsedCommand, io: AdminIO): Promise<boolean> {
  if (!cmd.command.startsWith('audit ')) return false;
  const { values } = cmd;
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  const log = AuditLog.open(cmd.stateDir);
  try {
    switch (cmd.command) {
      case 'audit show': {
        const since = parseSince(values.since);
        const limit = parseLimit(values.limit);
        const rows = log.query({
          ...(since === undefined ? {} : { since }),
          ...(values.user === undefined ? {} : { user: values.user }),
          ...(values.key === undefined ? {} : { key: values.key }),
          ...(limit === undefined ? {} : { limit }),
        });
        const head = log.head();
        const late = log.lateThrough;
        if (values.json === true) {
          out(JSON.stringify({ chainId: log.chainId, head, lateThrough: late, entries: rows }, null, 2));
          return true;
        }
        io.stdout.write(table([
          ['SEQ', 'TIME', 'USER', 'KIND', 'KEY', 'SUBJECT'],
          ...rows.map((r) => [`${r.seq}${r.seq <= late ? '*' : ''}`, r.time, r.user, r.kind, r.keyFingerprint?.slice(-16) ?? '-', r.subject]),
        ]));
        if (rows.some((r) => r.seq <= late)) out('* chained late: written before the hash chain existed');
        out(head === null ? 'head: empty log' : `head: seq ${head.seq} hash ${head.hash}`);
        return true;
      }
      case 'audit verify': {
        const v = log.verify(values['expect-head'] === undefined ? {} : { expectHead: values['expect-head'] });
        if (values.json === true) out(JSON.stringify(v, null, 2));
        else for (const line of verifySummary(v)) out(line);
        if (!v.ok) throw verificationError(v);
        return true;
      }
      case 'audit export': {
        const since = parseSince(values.since);
        const file = values.output as string;
        if (file === '-') {
          for (const r of log.rows(since === undefined ? {} : { since })) out(exportLine(r));
          return true;
        }
        const rows = exportToFile(log, file, since);
        out(`wrote ${rows} audit rows to ${path.resolve(file)}`);
        return true;
      }
      default:
        throw new AdminError('USAGE', `unknown command '${cmd.command}'`);
    }
  } finally {
    log.close();
  }
}
