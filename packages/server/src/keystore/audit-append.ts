import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AuditFields, AuditRecord } from './audit.ts';
import { CHAIN_ID_PATTERN, genesisHash, rowHash } from './audit-chain.ts';
import { currentTransaction, onRollback, transaction } from './database.ts';
import { dbCorrupt, type Row } from './rows.ts';

/**
 * Appending rows to the audit hash chain. One appender per connection keeps its statements
 * prepared and the chain's tail (next seq, hash to chain to) and chain info in memory, so a
 * signature's row costs one INSERT instead of four SELECTs and four statement preparations.
 *
 * The cached tail can never diverge from the database:
 * - it is checked against `PRAGMA data_version` at the first row of each transaction and
 *   (re)loaded when the value differs from the one it was loaded at: that value changes when
 *   any *other* connection (the admin CLI, a restore, someone tampering with the file)
 *   commits. Further rows of the same `transaction()` skip the check: that transaction is
 *   IMMEDIATE, it holds the write lock, so no other connection can commit before it ends
 *   (database.ts currentTransaction). In a transaction begun any other way every row checks;
 * - it is dropped when a transaction on this connection rolls back (database.ts onRollback)
 *   and when an INSERT fails, so rows that never became durable are never chained to;
 * - it is only read and advanced inside a write transaction: no other writer can commit
 *   between the check and the INSERT.
 */

export const META_CHAIN_ID = 'audit_chain_id';
export const META_LATE_THROUGH = 'audit_chain_late_through';

export interface ChainInfo {
  /** Random, per database; fixes the genesis value. Kept by backup and restore. */
  readonly chainId: string;
  readonly genesis: string;
  /** Rows with seq ≤ this existed before the chain and were chained late, at the upgrade. */
  readonly lateThrough: number;
}

function readChainInfo(meta: StatementSync): ChainInfo {
  const value = (name: string): string | undefined => {
    const row = meta.get(name) as Row | undefined;
    return row === undefined ? undefined : (row['value'] as string);
  };
  const chainId = value(META_CHAIN_ID);
  if (chainId === undefined || !CHAIN_ID_PATTERN.test(chainId)) throw dbCorrupt('the audit chain id (meta audit_chain_id) is missing or malformed');
  const late = value(META_LATE_THROUGH) ?? '0';
  if (!/^[0-9]{1,15}$/.test(late)) throw dbCorrupt('meta audit_chain_late_through is malformed');
  return { chainId, genesis: genesisHash(chainId), lateThrough: Number(late) };
}

const META_SQL = 'SELECT value FROM meta WHERE name = ?';

/** The chain's id, genesis and late-chained prefix, read from the database now. */
export function chainInfo(db: DatabaseSync): ChainInfo {
  return readChainInfo(db.prepare(META_SQL));
}

interface Tail {
  readonly info: ChainInfo;
  readonly nextSeq: number;
  readonly prevHash: string;
  /** data_version at which this tail was known to match the database. */
  readonly version: number;
}

class ChainAppender {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #lastRow: StatementSync;
  readonly #sequence: StatementSync;
  readonly #meta: StatementSync;
  readonly #dataVersion: StatementSync;
  #tail: Tail | null = null;
  /** The transaction (database.ts currentTransaction) in which #tail was last checked. */
  #checkedIn: object | undefined;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO audit (seq, time, user_name, key_fingerprint, kind, subject, sha256, request_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#lastRow = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    this.#sequence = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit'");
    this.#meta = db.prepare(META_SQL);
    this.#dataVersion = db.prepare('PRAGMA data_version');
    onRollback(db, () => {
      this.#tail = null;
    });
  }

  /** The row to chain to and the next seq, read from the database. */
  #load(version: number): Tail {
    const info = readChainInfo(this.#meta);
    const last = this.#lastRow.get() as Row | undefined;
    // sqlite_sequence is not lowered by DELETE: after a truncated tail the next row leaves a
    // visible gap instead of reusing the deleted numbers.
    const sq = this.#sequence.get() as Row | undefined;
    const lastSeq = last === undefined ? 0 : (last['seq'] as number);
    const used = typeof sq?.['seq'] === 'number' ? Math.max(sq['seq'], lastSeq) : lastSeq;
    if (last === undefined) return { info, nextSeq: used + 1, prevHash: info.genesis, version };
    const prevHash = last['hash'];
    if (typeof prevHash !== 'string') throw dbCorrupt(`audit row ${lastSeq} has no hash`);
    return { info, nextSeq: used + 1, prevHash, version };
  }

  /** The tail to chain to, checked against the database once per transaction. */
  #current(): Tail {
    const tx = currentTransaction(this.#db);
    // Threat: chaining to a tail another connection has moved on from. Only the first row of
    // a transaction() can follow such a commit; inside it the write lock keeps others out.
    if (this.#tail !== null && tx !== undefined && tx === this.#checkedIn) return this.#tail;
    const version = (this.#dataVersion.get() as Row)['data_version'] as number;
    const tail = this.#tail !== null && this.#tail.version === version ? this.#tail : this.#load(version);
    this.#checkedIn = tx;
    return tail;
  }

  /** Appends one row; the caller holds the write transaction. */
  append(fields: AuditFields): AuditRecord {
    const tail = this.#current();
    const seq = tail.nextSeq;
    const prevHash = tail.prevHash;
    const hash = rowHash(seq, fields, prevHash);
    // Dropped first: if the INSERT fails, the next append reads the tail from the database.
    this.#tail = null;
    this.#insert.run(seq, fields.time, fields.user, fields.keyFingerprint, fields.kind, fields.subject, fields.sha256, fields.requestId, prevHash, hash);
    this.#tail = { info: tail.info, nextSeq: seq + 1, prevHash: hash, version: tail.version };
    return { seq, ...fields, prevHash, hash };
  }
}

const appenders = new WeakMap<DatabaseSync, ChainAppender>();

function appenderOf(db: DatabaseSync): ChainAppender {
  let appender = appenders.get(db);
  if (appender === undefined) {
    appender = new ChainAppender(db);
    appenders.set(db, appender);
  }
  return appender;
}

/**
 * Appends one chained row and returns it; durable when the transaction commits. Joins the
 * caller's transaction if one is open (so an admin change and its audit row commit
 * together), else runs in its own.
 */
export function appendAudit(db: DatabaseSync, fields: AuditFields): AuditRecord {
  const appender = appenderOf(db);
  return db.isTransaction ? appender.append(fields) : transaction(db, () => appender.append(fields));
}

/**
 * Appends rows in order, in one transaction (the caller's if one is open): one fsync for
 * all of them, and the tail checked against the database once. All or none.
 */
export function appendAudits(db: DatabaseSync, rows: readonly AuditFields[]): AuditRecord[] {
  const appender = appenderOf(db);
  const all = (): AuditRecord[] => rows.map((row) => appender.append(row));
  return db.isTransaction ? all() : transaction(db, all);
}
