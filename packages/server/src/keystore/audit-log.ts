import type { DatabaseSync } from 'node:sqlite';
import type { AuditRecord } from './audit.ts';
import { FINGERPRINT_PATTERN } from './audit.ts';
import { chainInfo } from './audit-append.ts';
import { ChainVerifier, HASH_PATTERN, type ChainBreak, type ChainHead } from './audit-chain.ts';
import { chainLookup, missingTriggers, toAuditRecord } from './audit-store.ts';
import { openDatabase } from './database.ts';
import { KeyStoreError } from './errors.ts';
import { parseKeyName, parseUserName } from './names.ts';

/**
 * Reading and verifying the audit log of a state directory, for `admin audit ...`.
 * Read-only: nothing here writes a row.
 */

export interface AuditFilter {
  /** Rows whose time is at or after this instant. */
  readonly since?: Date;
  readonly user?: string;
  /** A key name (looked up now) or a 40-hex fingerprint (also for deleted keys). */
  readonly key?: string;
  /** The most recent N matching rows, 1..100000 (default 100); returned oldest first. */
  readonly limit?: number;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly chainId: string;
  /** Rows that verified (all of them when ok). */
  readonly rows: number;
  /** The last row that verified: the head, when ok. */
  readonly head: ChainHead | null;
  readonly lateThrough: number;
  readonly break: ChainBreak | null;
  /** Append-only triggers that are gone (someone altered the schema). */
  readonly missingTriggers: readonly string[];
  /** With expectHead: the seq where that hash was found, or null when it is not in the chain. */
  readonly checkpoint: { readonly hash: string; readonly seq: number | null } | null;
}

export const MAX_AUDIT_LIMIT = 100_000;

/** Walks the whole chain of an open database. */
export function verifyAuditChain(db: DatabaseSync, options: { expectHead?: string } = {}): AuditVerification {
  const info = chainInfo(db);
  const expect = options.expectHead?.toLowerCase();
  if (expect !== undefined && !HASH_PATTERN.test(expect)) throw new KeyStoreError('AUDIT_HEAD_MISMATCH', '--expect-head must be the 64 hex digits `audit show` or `audit verify` printed as the head hash');
  const verifier = new ChainVerifier(info.genesis, { lookup: chainLookup(db), lateThrough: info.lateThrough });
  let checkpointSeq: number | null = null;
  for (const row of db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as Iterable<Record<string, unknown>>) {
    const rec = toAuditRecord(row);
    if (verifier.push(rec) !== null) break;
    if (expect !== undefined && rec.hash === expect) checkpointSeq = rec.seq;
  }
  const missing = missingTriggers(db);
  const checkpoint = expect === undefined ? null : { hash: expect, seq: checkpointSeq };
  return {
    ok: verifier.broken === null && missing.length === 0 && (checkpoint === null || checkpoint.seq !== null),
    chainId: info.chainId,
    rows: verifier.rows,
    head: verifier.head,
    lateThrough: info.lateThrough,
    break: verifier.broken,
    missingTriggers: missing,
    checkpoint,
  };
}

/** The error a failed verification raises, naming the first problem. */
export function verificationError(v: AuditVerification): KeyStoreError {
  if (v.break !== null) {
    return new KeyStoreError('AUDIT_CHAIN_BROKEN', `audit chain broken at seq ${v.break.seq} (${v.break.reason}): ${v.break.detail}; ${v.rows} rows before it verify`);
  }
  if (v.missingTriggers.length > 0) {
    return new KeyStoreError('AUDIT_CHAIN_BROKEN', `the audit table's append-only triggers ${v.missingTriggers.join(', ')} are missing: the schema was altered outside Signet`);
  }
  return new KeyStoreError('AUDIT_HEAD_MISMATCH', `the checkpoint ${v.checkpoint?.hash} is not in the audit chain (head now seq ${v.head?.seq ?? 0}): the tail was truncated or the chain rewritten`);
}

export class AuditLog {
  readonly #db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  static open(stateDir: string): AuditLog {
    const db = openDatabase(stateDir);
    try {
      chainInfo(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return new AuditLog(db);
  }

  close(): void {
    this.#db.close();
  }

  get chainId(): string {
    return chainInfo(this.#db).chainId;
  }

  get lateThrough(): number {
    return chainInfo(this.#db).lateThrough;
  }

  /** The last row, as stored (verify to know it is genuine); null for an empty log. */
  head(): ChainHead | null {
    const row = this.#db.prepare('SELECT * FROM audit ORDER BY seq DESC LIMIT 1').get() as Record<string, unknown> | undefined;
    if (row === undefined) return null;
    const rec = toAuditRecord(row);
    return { seq: rec.seq, hash: rec.hash ?? '' };
  }

  #fingerprint(key: string): string {
    if (FINGERPRINT_PATTERN.test(key)) return key;
    const name = parseKeyName(key);
    const row = this.#db.prepare('SELECT fingerprint FROM keys WHERE name = ?').get(name) as { fingerprint?: unknown } | undefined;
    if (typeof row?.fingerprint !== 'string') throw new KeyStoreError('KEY_NOT_FOUND', `no key named '${name}'; give the fingerprint (40 hex digits, upper case) of a deleted key`);
    return row.fingerprint;
  }

  query(filter: AuditFilter = {}): AuditRecord[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (filter.since !== undefined) {
      where.push('time >= ?');
      params.push(filter.since.toISOString());
    }
    if (filter.user !== undefined) {
      where.push('user_name = ?');
      params.push(filter.user.startsWith('(') ? filter.user : parseUserName(filter.user));
    }
    if (filter.key !== undefined) {
      where.push('key_fingerprint = ?');
      params.push(this.#fingerprint(filter.key));
    }
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), MAX_AUDIT_LIMIT);
    const sql = `SELECT * FROM audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...params, limit) as Array<Record<string, unknown>>;
    return rows.map(toAuditRecord).reverse();
  }

  /** Every row (from `since`, by time) in seq order, streamed. */
  *rows(options: { since?: Date } = {}): Generator<AuditRecord> {
    const stmt = options.since === undefined
      ? this.#db.prepare('SELECT * FROM audit ORDER BY seq')
      : this.#db.prepare('SELECT * FROM audit WHERE time >= ? ORDER BY seq');
    const it = (options.since === undefined ? stmt.iterate() : stmt.iterate(options.since.toISOString())) as Iterable<Record<string, unknown>>;
    for (const row of it) yield toAuditRecord(row);
  }

  verify(options: { expectHead?: string } = {}): AuditVerification {
    return verifyAuditChain(this.#db, options);
  }
}
