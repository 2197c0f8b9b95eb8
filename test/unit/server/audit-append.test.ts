import { createHash } from 'node:crypto';
import path from 'node:path';
import { DatabaseSync, StatementSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditFields } from '../../../packages/server/src/keystore/audit.ts';
import { appendAudit, appendAudits } from '../../../packages/server/src/keystore/audit-append.ts';
import { openDatabase, transaction } from '../../../packages/server/src/keystore/database.ts';
import { AuditLog, KeyStore, canonicalRow, rowHash, verifyAuditChain } from '../../../packages/server/src/keystore/index.ts';
import { auditRows, recordAudit, removeDir, tempDir } from './helpers.ts';

let dir: string;

const fields = (i: number): AuditFields => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  user: 'alice',
  keyFingerprint: 'A'.repeat(40),
  kind: 'rpm-header',
  subject: `pkg${i}-0:1.0-1.x86_64`,
  sha256: createHash('sha256').update(String(i)).digest('hex'),
  requestId: `req-${i}`,
});

function verify(): ReturnType<AuditLog['verify']> {
  const log = AuditLog.open(dir);
  try {
    return log.verify();
  } finally {
    log.close();
  }
}

beforeEach(async () => {
  dir = tempDir();
  (await KeyStore.init(dir, { argon2: 'min' })).close();
});

afterEach(() => {
  removeDir(dir);
});

describe('the audit chain written with its tail kept in memory', () => {
  it('encodes rows exactly as the documented canonical form', () => {
    // An independent encoding of the spec in audit-chain.ts, field by field.
    const field = (v: string | null): Buffer => {
      if (v === null) return Buffer.from([0]);
      const bytes = Buffer.from(v, 'utf8');
      const head = Buffer.alloc(5);
      head[0] = 1;
      head.writeUInt32BE(bytes.length, 1);
      return Buffer.concat([head, bytes]);
    };
    const rows: AuditFields[] = [
      fields(1),
      { ...fields(2), keyFingerprint: null, sha256: null, requestId: null },
      { ...fields(3), subject: 'ünïcødé ✓ – more than one byte per character', user: '' },
    ];
    for (const [i, row] of rows.entries()) {
      const prev = createHash('sha256').update(`prev${i}`).digest('hex');
      const expected = Buffer.concat([
        Buffer.from('signet-audit-v1\0', 'utf8'),
        ...[String(1000 + i), row.time, row.user, row.keyFingerprint, row.kind, row.subject, row.sha256, row.requestId, prev].map(field),
      ]);
      expect(canonicalRow(1000 + i, row, prev)).toEqual(expected);
      expect(rowHash(1000 + i, row, prev)).toBe(createHash('sha256').update(expected).digest('hex'));
    }
  });

  it('forgets rows of a rolled-back transaction: the next row chains to the last committed one', () => {
    const db = openDatabase(dir);
    try {
      appendAudit(db, fields(1));
      expect(() =>
        transaction(db, () => {
          appendAudit(db, fields(2));
          appendAudit(db, fields(3));
          throw new Error('the admin change after the audit row failed');
        }),
      ).toThrow(/admin change/);
      const row = appendAudit(db, fields(4));
      expect(row.seq).toBe(2);
      expect(verifyAuditChain(db)).toMatchObject({ ok: true, rows: 2 });
    } finally {
      db.close();
    }
    expect(verify()).toMatchObject({ ok: true, rows: 2 });
  });

  it('forgets a row whose INSERT failed, and the connection goes on chaining', () => {
    const db = openDatabase(dir);
    const other = new DatabaseSync(path.join(dir, 'signet.db'));
    try {
      appendAudit(db, fields(1));
      // A rule that makes the next INSERT fail inside the appender (as a full disk would).
      other.exec("CREATE TRIGGER refuse BEFORE INSERT ON audit WHEN NEW.subject = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); END");
      expect(() => appendAudit(db, { ...fields(2), subject: 'refused' })).toThrow(/refused/);
      expect(() => transaction(db, () => [appendAudit(db, fields(3)), appendAudit(db, { ...fields(4), subject: 'refused' })])).toThrow(/refused/);
      other.exec('DROP TRIGGER refuse');
      expect(appendAudit(db, fields(5)).seq).toBe(2);
    } finally {
      other.close();
      db.close();
    }
    expect(verify()).toMatchObject({ ok: true, rows: 2 });
  });

  it('follows rows another connection (the admin CLI) appended since its last write', async () => {
    const daemon = await KeyStore.open(dir, { argon2: 'min' });
    const admin = await KeyStore.open(dir, { argon2: 'min' });
    try {
      daemon.recordAudits([fields(1), fields(2)].map(toEntry));
      admin.addUser('bob'); // its own audit row, written by the other connection
      recordAudit(admin, toEntry(fields(3)));
      const rows = daemon.recordAudits([toEntry(fields(4)), toEntry(fields(5))]);
      expect(rows.map((r) => r.seq)).toEqual([5, 6]);
      recordAudit(admin, toEntry(fields(6)));
      expect(recordAudit(daemon, toEntry(fields(7))).seq).toBe(8);
    } finally {
      daemon.close();
      admin.close();
    }
    expect(verify()).toMatchObject({ ok: true, rows: 8 });
  });

  it('notices a commit by another connection between two batches, each batch checking once', () => {
    const daemon = openDatabase(dir);
    const admin = openDatabase(dir);
    const reads = countDataVersionReads();
    try {
      const first = appendAudits(daemon, [1, 2, 3].map(fields));
      expect(reads.count).toBe(1);
      appendAudit(admin, fields(4)); // the daemon's cached tail is now behind
      const second = appendAudits(daemon, [5, 6, 7].map(fields));
      expect(reads.count).toBe(3);
      expect(first.map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(second.map((r) => r.seq)).toEqual([5, 6, 7]);
      expect(second[0]?.prevHash).toBe(auditRows(dir).find((r) => r.seq === 4)?.hash);
      expect(verifyAuditChain(daemon)).toMatchObject({ ok: true, rows: 7 });
    } finally {
      reads.restore();
      admin.close();
      daemon.close();
    }
    expect(verify()).toMatchObject({ ok: true, rows: 7 });
  });

  it('reads data_version once per transaction, however many rows it appends', async () => {
    const store = await KeyStore.open(dir, { argon2: 'min' });
    const db = openDatabase(dir);
    const reads = countDataVersionReads();
    try {
      store.recordAudits(Array.from({ length: 50 }, (_, i) => toEntry(fields(i + 1))));
      expect(reads.count).toBe(1);
      store.recordAudits([toEntry(fields(51))]);
      expect(reads.count).toBe(2);
      // An administrative transaction appending several rows checks once too.
      transaction(db, () => [appendAudit(db, fields(52)), appendAudit(db, fields(53))]);
      expect(reads.count).toBe(3);
      // A transaction not begun by transaction() (so not known to hold the write lock from
      // its start) checks at every row.
      db.exec('BEGIN');
      appendAudit(db, fields(54));
      appendAudit(db, fields(55));
      db.exec('COMMIT');
      expect(reads.count).toBe(5);
    } finally {
      reads.restore();
      db.close();
      store.close();
    }
    expect(verify()).toMatchObject({ ok: true, rows: 55 });
  });

  it('drops the tail checked in a batch transaction that rolls back: the next batch chains to the last commit', () => {
    const db = openDatabase(dir);
    const reads = countDataVersionReads();
    try {
      appendAudits(db, [fields(1), fields(2)]);
      expect(() =>
        transaction(db, () => {
          appendAudits(db, [fields(3), fields(4)]);
          throw new Error('rolled back');
        }),
      ).toThrow(/rolled back/);
      // No other connection committed, so data_version alone would not tell: the drop does.
      const rows = appendAudits(db, [fields(5), fields(6)]);
      expect(reads.count).toBe(3);
      expect(rows.map((r) => r.seq)).toEqual([3, 4]);
      expect(verifyAuditChain(db)).toMatchObject({ ok: true, rows: 4 });
    } finally {
      reads.restore();
      db.close();
    }
    expect(verify()).toMatchObject({ ok: true, rows: 4 });
  });

  it('still exposes a row edited by another connection after the tail was cached', () => {
    const db = openDatabase(dir);
    try {
      for (let i = 1; i <= 5; i++) appendAudit(db, fields(i));
      const raw = new DatabaseSync(path.join(dir, 'signet.db'));
      raw.exec("DROP TRIGGER audit_no_update; UPDATE audit SET subject = 'evil-0:1-1.noarch' WHERE seq = 5;");
      raw.close();
      appendAudit(db, fields(6));
    } finally {
      db.close();
    }
    expect(verify()).toMatchObject({ ok: false, break: { seq: 5, reason: 'edited' } });
  });
});

function toEntry(f: AuditFields): { user: string; keyFingerprint: string | null; kind: string; subject: string; sha256: string | null; requestId: string | null } {
  return { user: f.user, keyFingerprint: f.keyFingerprint, kind: f.kind, subject: f.subject, sha256: f.sha256, requestId: f.requestId };
}

/** Counts `PRAGMA data_version` reads on every connection until restore(). */
function countDataVersionReads(): { readonly count: number; restore(): void } {
  let count = 0;
  const original = StatementSync.prototype.get;
  const spy = vi.spyOn(StatementSync.prototype, 'get').mockImplementation(function (this: StatementSync, ...params: Parameters<StatementSync['get']>) {
    if (this.sourceSQL === 'PRAGMA data_version') count++;
    return original.apply(this, params);
  });
  return {
    get count() {
      return count;
    },
    restore: () => spy.mockRestore(),
  };
}
