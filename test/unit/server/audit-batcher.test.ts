import { describe, expect, it } from 'vitest';
import { auditBatcher } from '../../../packages/server/src/keystore-backend.ts';
import type { SignatureAudit } from '@signet/server';

const entry = (n: number): SignatureAudit => ({ user: 'alice', keyFingerprint: 'A'.repeat(40), kind: 'rpm-header', subject: `p${n}`, sha256: '0'.repeat(64), requestId: `r${n}` });

describe('audit group commit', () => {
  it('writes rows that arrive in one turn of the event loop together, in order, before anyone is answered', async () => {
    const writes: string[][] = [];
    const record = auditBatcher((entries) => void writes.push(entries.map((e) => e.subject)));
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
    const record = auditBatcher(() => {
      throw new Error('disk full');
    });
    const results = await Promise.allSettled([record(entry(0)), record(entry(1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('splits a large backlog into bounded batches, keeping the order', async () => {
    const sizes: number[] = [];
    const order: string[] = [];
    const record = auditBatcher((entries) => {
      sizes.push(entries.length);
      order.push(...entries.map((e) => e.subject));
    });
    await Promise.all(Array.from({ length: 2500 }, (_, n) => record(entry(n))));
    expect(sizes).toEqual([1024, 1024, 452]);
    expect(order).toEqual(Array.from({ length: 2500 }, (_, n) => `p${n}`));
  });

  it('rejects an invalid row at once, alone: the other callers of the batch are written', async () => {
    const writes: string[][] = [];
    const record = auditBatcher((entries) => void writes.push(entries.map((e) => e.subject)));
    const bad = { ...entry(1), subject: 'x'.repeat(600) };
    const results = await Promise.allSettled([record(entry(0)), record(bad), record({ ...entry(2), subject: 'caf\u00e9' }), record(entry(3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'AUDIT_INVALID' });
    expect(writes).toEqual([['p0', 'p3']]);
  });
});
