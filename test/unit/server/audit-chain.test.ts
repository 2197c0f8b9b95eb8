import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuditLog, ChainVerifier, KeyStore, genesisHash, rowHash, type AuditEntry, type AuditRecord,
} from '../../../packages/server/src/keystore/index.ts';
import { APPLICATION_ID, SCHEMA_SQL, SCHEMA_VERSION } from '../../../packages/server/src/keystore/schema.ts';
import { auditRows, recordAudit, removeDir, tempDir } from './helpers.ts';

let dir: string;
let store: KeyStore;

const FPR = 'A'.repeat(40);

function entry(i: number): AuditEntry {
  return {
    user: i % 2 === 0 ? 'alice' : 'bob',
    keyFingerprint: i % 3 === 0 ? 'B'.repeat(40) : FPR,
    kind: 'rpm-header',
    subject: `pkg${i}-0:1.0-${i}.x86_64`,
    sha256: (i % 256).toString(16).padStart(2, '0').repeat(32),
    requestId: `req-${i}`,
  };
}

/** A second connection, as an attacker with file access would have. */
function raw(): DatabaseSync {
  return new DatabaseSync(path.join(dir, 'signet.db'));
}

function tamper(sql: string, ...params: Array<string | number | null>): void {
  const db = raw();
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; DROP TRIGGER IF EXISTS audit_chained;');
    db.prepare(sql).run(...params);
    // Restore the triggers, so only the chain can tell.
    db.exec(`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
             CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
             CREATE TRIGGER audit_chained BEFORE INSERT ON audit WHEN NEW.hash IS NULL OR NEW.prev_hash IS NULL BEGIN SELECT RAISE(ABORT, 'audit rows must be hash-chained'); END;`);
  } finally {
    db.close();
  }
}

function verify(expectHead?: string): ReturnType<AuditLog['verify']> {
  const log = AuditLog.open(dir);
  try {
    return log.verify(expectHead === undefined ? {} : { expectHead });
  } finally {
    log.close();
  }
}

beforeEach(async () => {
  dir = tempDir();
  store = await KeyStore.init(dir, { argon2: 'min' });
  store.addUser('alice');
  store.addUser('bob');
  for (let i = 1; i <= 198; i++) recordAudit(store, entry(i));
});

afterEach(() => {
  store.close();
  removeDir(dir);
});

describe('audit hash chain', () => {
  it('chains every row (admin actions and signatures) and verifies a long intact chain', () => {
    const rows = auditRows(dir);
    expect(rows).toHaveLength(200);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(rows.slice(0, 2).map((r) => r.kind)).toEqual(['user-add', 'user-add']);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prevHash).toBe(rows[i - 1]?.hash);
    const v = verify();
    expect(v).toMatchObject({ ok: true, rows: 200, break: null, missingTriggers: [], head: { seq: 200, hash: rows[199]?.hash } });
    expect(rows[0]?.prevHash).toBe(genesisHash(v.chainId));
  });

  it('returns from recordAudits with the row committed and chained, visible to another connection', () => {
    const rec = recordAudit(store, entry(999));
    const db = raw();
    const row = db.prepare('SELECT prev_hash, hash FROM audit WHERE seq = ?').get(rec.seq);
    db.close();
    expect(row).toEqual({ prev_hash: rec.prevHash, hash: rec.hash });
    expect(rec.hash).toBe(rowHash(rec.seq, rec, rec.prevHash as string));
  });

  it('records entries without key, digest or request id (admin actions, failed unlocks)', () => {
    const rec = recordAudit(store, { user: 'alice', kind: 'unlock-failed', subject: 'k reason=bad-passphrase' });
    expect(rec).toMatchObject({ keyFingerprint: null, sha256: null, requestId: null });
    expect(verify().ok).toBe(true);
  });

  it('detects a row edited by someone who dropped the triggers, naming its seq', () => {
    tamper("UPDATE audit SET subject = 'evil-0:1.0-1.x86_64' WHERE seq = 137");
    expect(verify()).toMatchObject({ ok: false, rows: 136, break: { seq: 137, reason: 'edited' } });
  });

  it('detects an edit of any single column, including a null made empty', () => {
    for (const [col, value] of [['time', '2000-01-01T00:00:00.000Z'], ['user_name', 'mallory'], ['key_fingerprint', 'C'.repeat(40)], ['kind', 'data'], ['sha256', 'f'.repeat(64)], ['request_id', 'x']] as const) {
      const before = auditRows(dir).find((r) => r.seq === 50) as AuditRecord;
      const original = { time: before.time, user_name: before.user, key_fingerprint: before.keyFingerprint, kind: before.kind, sha256: before.sha256, request_id: before.requestId }[col];
      tamper(`UPDATE audit SET ${col} = ? WHERE seq = 50`, value);
      expect(verify().break, col).toMatchObject({ seq: 50, reason: 'edited' });
      tamper(`UPDATE audit SET ${col} = ? WHERE seq = 50`, original);
      expect(verify().ok).toBe(true);
    }
    tamper("UPDATE audit SET key_fingerprint = NULL WHERE seq = 1");
    expect(verify().ok).toBe(true); // user-add rows carry no key: NULL is what was hashed
    tamper("UPDATE audit SET sha256 = '' WHERE seq = 2");
    expect(verify().break).toMatchObject({ seq: 2, reason: 'edited' });
  });

  it('detects a deleted row', () => {
    tamper('DELETE FROM audit WHERE seq = 50');
    expect(verify()).toMatchObject({ ok: false, rows: 49, break: { seq: 51, reason: 'deleted' } });
    expect(verify().break?.detail).toContain('seq 50 missing');
  });

  it('detects deleted rows at the start', () => {
    tamper('DELETE FROM audit WHERE seq <= 3');
    expect(verify().break).toMatchObject({ seq: 4, reason: 'deleted' });
  });

  it('detects reordered rows (contents of two rows swapped), also when adjacent', () => {
    const cols = 'time, user_name, key_fingerprint, kind, subject, sha256, request_id, prev_hash, hash';
    const swap = (a: number, b: number): void => {
      const db = raw();
      const rows = db.prepare(`SELECT seq, ${cols} FROM audit WHERE seq IN (?, ?)`).all(a, b) as Array<Record<string, string | number | null>>;
      db.close();
      const set = `UPDATE audit SET ${cols.split(', ').map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`;
      const values = (r: Record<string, string | number | null> | undefined): Array<string | number | null> => cols.split(', ').map((c) => r?.[c] ?? null);
      tamper(set, ...values(rows[1]), a);
      tamper(set, ...values(rows[0]), b);
    };
    swap(10, 20);
    expect(verify()).toMatchObject({ ok: false, rows: 9, break: { seq: 10, reason: 'reordered' } });
    expect(verify().break?.detail).toContain('seq 20');
    swap(10, 20);
    expect(verify().ok).toBe(true);
    swap(30, 31);
    expect(verify().break).toMatchObject({ seq: 30, reason: 'reordered' });
  });

  it('detects a row inserted without a hash, and the trigger refuses one while it stands', () => {
    const db = raw();
    expect(() => db.exec("INSERT INTO audit (time, user_name, kind, subject) VALUES ('t', 'x', 'k', 's')")).toThrow(/hash-chained/);
    db.close();
    tamper("INSERT INTO audit (time, user_name, kind, subject) VALUES ('t', 'x', 'k', 's')");
    expect(verify().break).toMatchObject({ seq: 201, reason: 'unchained' });
  });

  it('reports missing triggers even when the rows are intact', () => {
    const db = raw();
    db.exec('DROP TRIGGER audit_no_update');
    db.close();
    expect(verify()).toMatchObject({ ok: false, break: null, missingTriggers: ['audit_no_update'] });
  });

  it('cannot see a truncated tail alone, but a checkpoint does; and new rows after it leave a gap', () => {
    const head = verify().head as { seq: number; hash: string };
    expect(verify(head.hash)).toMatchObject({ ok: true, checkpoint: { hash: head.hash, seq: 200 } });
    expect(verify(head.hash.toUpperCase()).ok).toBe(true);
    tamper('DELETE FROM audit WHERE seq > 197');
    expect(verify()).toMatchObject({ ok: true, rows: 197 });
    expect(verify(head.hash)).toMatchObject({ ok: false, break: null, checkpoint: { seq: null } });
    // The next row takes seq 201 (sqlite_sequence is not lowered): the gap shows.
    recordAudit(store, entry(1000));
    expect(verify().break).toMatchObject({ seq: 201, reason: 'deleted' });
  });

  it('refuses a chain grafted onto another genesis (rows spliced from another database)', () => {
    tamper("UPDATE meta SET value = ? WHERE name = 'audit_chain_id'", 'c'.repeat(64));
    expect(verify().break).toMatchObject({ seq: 1, reason: 'bad-genesis' });
  });

  it('keeps concurrent appends from two connections in one chain', async () => {
    const other = await KeyStore.open(dir, { argon2: 'min' });
    try {
      for (let i = 0; i < 20; i++) {
        recordAudit(store, entry(i));
        recordAudit(other, entry(i + 100));
      }
    } finally {
      other.close();
    }
    expect(verify()).toMatchObject({ ok: true, rows: 240 });
  });

  it('verifies with the pure verifier as the store does', () => {
    const rows = auditRows(dir);
    const v = new ChainVerifier(rows[0]?.prevHash as string);
    for (const r of rows) expect(v.push(r)).toBeNull();
    expect(v.push({ ...(rows[0] as AuditRecord), seq: 201 })).toMatchObject({ seq: 201, reason: 'reordered', detail: expect.stringContaining('seq 1') });
    const w = new ChainVerifier(rows[0]?.prevHash as string);
    expect(w.push({ ...(rows[0] as AuditRecord), subject: 'other' })).toMatchObject({ seq: 1, reason: 'edited' });
    expect(w.rows).toBe(0);
  });
});

describe('audit chain migration', () => {
  it('chains rows of a version 1 store late, and says so in the chain', async () => {
    const v1 = path.join(dir, 'v1');
    fs.mkdirSync(v1);
    const db = new DatabaseSync(path.join(v1, 'signet.db'));
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    db.exec(SCHEMA_SQL);
    db.exec("INSERT INTO meta (name, value) VALUES ('schema_version', '1'), ('created', '2025-01-01T00:00:00.000Z')");
    const ins = db.prepare('INSERT INTO audit (time, user_name, key_fingerprint, kind, subject, sha256, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
    ins.run('2025-01-02T00:00:00.000Z', 'alice', null, 'user-add', 'alice', null, null);
    ins.run('2025-01-03T00:00:00.000Z', 'alice', FPR, 'rpm-header', 'a-0:1-1.noarch', 'ab'.repeat(32), 'r1');
    ins.run('2025-01-04T00:00:00.000Z', 'alice', FPR, 'data', 'data:3 bytes', 'cd'.repeat(32), 'r2');
    db.close();

    const s = await KeyStore.open(v1, { argon2: 'min' });
    try {
      const rows = auditRows(v1);
      expect(rows.map((r) => r.kind)).toEqual(['user-add', 'rpm-header', 'data', 'audit-chain-start']);
      expect(rows[1]).toMatchObject({ subject: 'a-0:1-1.noarch', sha256: 'ab'.repeat(32), requestId: 'r1' });
      expect(rows[3]).toMatchObject({ user: '(signet)', subject: expect.stringContaining('3 rows (seq 1-3)') });
      expect(rows.every((r) => r.hash !== null && r.prevHash !== null)).toBe(true);
      recordAudit(s, entry(1));
    } finally {
      s.close();
    }
    const log = AuditLog.open(v1);
    try {
      expect(log.verify()).toMatchObject({ ok: true, rows: 5, lateThrough: 3, missingTriggers: [] });
    } finally {
      log.close();
    }
    const check = new DatabaseSync(path.join(v1, 'signet.db'));
    expect(check.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get()).toEqual({ value: String(SCHEMA_VERSION) });
    expect(() => check.exec("UPDATE audit SET kind = 'x'")).toThrow(/append-only/);
    check.close();
  });

  it('starts a new store with an empty chain and no late rows', async () => {
    const fresh = path.join(dir, 'fresh');
    const s = await KeyStore.init(fresh, { argon2: 'min' });
    s.close();
    const log = AuditLog.open(fresh);
    try {
      expect(log.verify()).toMatchObject({ ok: true, rows: 0, head: null, lateThrough: 0 });
      expect(log.chainId).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      log.close();
    }
  });
});
