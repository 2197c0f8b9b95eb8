import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditBatcher, keyStoreBackend } from '../../../packages/server/src/keystore-backend.ts';
import { parseAuditEntry, type AuditFields } from '../../../packages/server/src/keystore/audit.ts';
import { KeyStore } from '../../../packages/server/src/keystore/index.ts';
import type { SignatureAudit } from '@signet/server';
import { auditRows, removeDir, tempDir } from './helpers.ts';

const entry = (n: number): SignatureAudit => ({ user: 'alice', keyFingerprint: 'A'.repeat(40), kind: 'rpm-header', subject: `p${n}`, sha256: '0'.repeat(64), requestId: `r${n}` });
const check = (e: SignatureAudit): AuditFields => parseAuditEntry(e, new Date());

describe('audit group commit', () => {
  it('writes rows that arrive in one turn of the event loop together, in order, before anyone is answered', async () => {
    const writes: string[][] = [];
    const record = auditBatcher(check, (rows) => void writes.push(rows.map((e) => e.subject)));
    const done: number[] = [];
    const all = [0, 1, 2].map((n) => record(entry(n)).then(() => done.push(n)));
    expect(writes).toEqual([]); // nothing durable yet, nobody answered
    expect(done).toEqual([]);
    await Promise.all(all);
    expect(writes).toEqual([['p0', 'p1', 'p2']]);
    await record(entry(3));
    expect(writes).toEqual([['p0', 'p1', 'p2'], ['p3']]);
  });

  it('fails every caller of a batch whose write fails', async () => {
    const record = auditBatcher(check, () => {
      throw new Error('disk full');
    });
    const results = await Promise.allSettled([record(entry(0)), record(entry(1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('splits a large backlog into bounded batches, keeping the order', async () => {
    const sizes: number[] = [];
    const order: string[] = [];
    const record = auditBatcher(check, (rows) => {
      sizes.push(rows.length);
      order.push(...rows.map((e) => e.subject));
    });
    await Promise.all(Array.from({ length: 2500 }, (_, n) => record(entry(n))));
    expect(sizes).toEqual([1024, 1024, 452]);
    expect(order).toEqual(Array.from({ length: 2500 }, (_, n) => `p${n}`));
  });

  it('rejects an invalid row at once, alone: the other callers of the batch are written', async () => {
    const writes: string[][] = [];
    const record = auditBatcher(check, (rows) => void writes.push(rows.map((e) => e.subject)));
    const bad = { ...entry(1), subject: 'x'.repeat(600) };
    const results = await Promise.allSettled([record(entry(0)), record(bad), record({ ...entry(2), subject: 'caf\u00e9' }), record(entry(3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'AUDIT_INVALID' });
    expect(writes).toEqual([['p0', 'p3']]);
  });
});

describe('group commit into the key store (the daemon\'s wiring)', () => {
  let dir: string;
  let store: KeyStore;
  const clock = new Date(Date.UTC(2026, 2, 1, 12, 0, 0));

  beforeEach(async () => {
    dir = tempDir();
    store = await KeyStore.init(dir, { argon2: 'min', now: () => clock });
  });

  afterEach(() => {
    store.close();
    removeDir(dir);
  });

  it('writes the valid rows of a batch, durable and chained, and refuses an invalid one alone', async () => {
    const { recordSignature } = keyStoreBackend(store, 'test');
    const results = await Promise.allSettled([
      recordSignature(entry(0)),
      recordSignature({ ...entry(1), subject: 'line\nbreak' }),
      recordSignature(entry(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'AUDIT_INVALID' });
    const rows = auditRows(dir);
    expect(rows.map((r) => [r.seq, r.subject])).toEqual([[1, 'p0'], [2, 'p2']]);
    // Timed by the store's clock, as every other row of the store.
    expect(rows.every((r) => r.time === clock.toISOString())).toBe(true);
    expect(rows[1]?.prevHash).toBe(rows[0]?.hash);
  });

  it('takes the rows checkAudit returned as checked, and checks anything else itself', () => {
    const checked = store.checkAudit(entry(0));
    expect(Object.isFrozen(checked)).toBe(true);
    expect(() => {
      (checked as { subject: string }).subject = 'line\nbreak';
    }).toThrow(TypeError);
    expect(store.recordAudits([checked]).map((r) => r.subject)).toEqual(['p0']);
    // The same fields built by hand are not taken as checked: they are checked, and refused.
    const forged: AuditFields = { ...checked, subject: 'line\nbreak' };
    expect(() => store.recordAudits([forged])).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID' }));
    expect(() => store.recordAudits([entry(1), { ...entry(2), kind: 'Bad' }])).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID' }));
    expect(auditRows(dir).map((r) => r.subject)).toEqual(['p0']); // all or none
  });
});
