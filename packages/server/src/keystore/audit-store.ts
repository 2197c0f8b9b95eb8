import { randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { AuditRecord } from './audit.ts';
import { appendAudit, chainInfo, META_CHAIN_ID, META_LATE_THROUGH } from './audit-append.ts';
import { rowHash, type ChainLookup } from './audit-chain.ts';
import { int, optionalText, text, type Row } from './rows.ts';

/**
 * The audit table's I/O besides appending (audit-append.ts): reading rows back, the
 * append-only triggers, and the schema step that introduced the chain.
 */

/** The `user` of rows Signet writes about itself (schema upgrades); not a valid user name. */
export const SYSTEM_ACTOR = '(signet)';

/** The triggers that keep the table append-only; `audit verify` reports any that is missing. */
export const AUDIT_TRIGGERS: Readonly<Record<string, string>> = {
  audit_no_update: "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
  audit_no_delete: "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
  // Threat: a writer that does not know the chain (an older binary, a hand-made INSERT).
  audit_chained: "CREATE TRIGGER audit_chained BEFORE INSERT ON audit WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL BEGIN SELECT RAISE(ABORT, 'audit rows must be hash-chained'); END",
};

/** A row of the audit table, typed; DB_CORRUPT when a column holds what Signet never writes. */
export function toAuditRecord(row: Row): AuditRecord {
  return {
    seq: int(row, 'seq'),
    time: text(row, 'time'),
    user: text(row, 'user_name'),
    keyFingerprint: optionalText(row, 'key_fingerprint'),
    kind: text(row, 'kind'),
    subject: text(row, 'subject'),
    sha256: optionalText(row, 'sha256'),
    requestId: optionalText(row, 'request_id'),
    prevHash: optionalText(row, 'prev_hash'),
    hash: optionalText(row, 'hash'),
  };
}

/** Lookups by hash over the whole table, for explaining a break (full scans: failures only). */
export function chainLookup(db: DatabaseSync): ChainLookup {
  const byHash = db.prepare('SELECT seq FROM audit WHERE hash = ? ORDER BY seq LIMIT 1');
  const byPrev = db.prepare('SELECT seq FROM audit WHERE prev_hash = ? ORDER BY seq LIMIT 1');
  const seq = (row: unknown): number | undefined => (row === undefined ? undefined : ((row as Row)['seq'] as number));
  return { seqOfHash: (h) => seq(byHash.get(h)), seqOfPrev: (h) => seq(byPrev.get(h)) };
}

export function missingTriggers(db: DatabaseSync): string[] {
  const present = new Set((db.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'audit'").all() as Row[]).map((r) => r['name']));
  return Object.keys(AUDIT_TRIGGERS).filter((t) => !present.has(t));
}

function hasColumn(db: DatabaseSync, column: string): boolean {
  return (db.prepare('SELECT name FROM pragma_table_info(?)').all('audit') as Row[]).some((r) => r['name'] === column);
}

/**
 * Schema step "audit hash chain": adds prev_hash and hash, draws the chain id, and chains
 * the rows already present — late, which the chain itself records with an
 * `audit-chain-start` row (they are only as trustworthy as the database was before the
 * upgrade). Runs inside the caller's migration transaction. Idempotent.
 */
export function migrateAuditChain(db: DatabaseSync, now: Date = new Date()): void {
  if (hasColumn(db, 'hash')) return;
  db.exec('ALTER TABLE audit ADD COLUMN prev_hash TEXT CHECK (prev_hash IS NULL OR length(prev_hash) = 64)');
  db.exec('ALTER TABLE audit ADD COLUMN hash TEXT CHECK (hash IS NULL OR length(hash) = 64)');
  db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run(META_CHAIN_ID, randomBytes(32).toString('hex'));
  const info = chainInfo(db);
  const rows = (db.prepare('SELECT * FROM audit ORDER BY seq').all() as Row[]).map(toAuditRecord);
  db.exec('DROP TRIGGER IF EXISTS audit_no_update');
  let prevHash = info.genesis;
  const set = db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?');
  for (const r of rows) {
    const hash = rowHash(r.seq, r, prevHash);
    set.run(prevHash, hash, r.seq);
    prevHash = hash;
  }
  for (const [name, sql] of Object.entries(AUDIT_TRIGGERS)) {
    db.exec(`DROP TRIGGER IF EXISTS ${name}`);
    db.exec(sql);
  }
  const lastLate = rows.at(-1)?.seq ?? 0;
  db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run(META_LATE_THROUGH, String(lastLate));
  if (rows.length > 0) {
    appendAudit(db, {
      time: now.toISOString(),
      user: SYSTEM_ACTOR,
      keyFingerprint: null,
      kind: 'audit-chain-start',
      subject: `${rows.length} rows (seq ${rows[0]?.seq}-${lastLate}) written before the hash chain existed were chained late, at this upgrade`,
      sha256: null,
      requestId: null,
    });
  }
}
