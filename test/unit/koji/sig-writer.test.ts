import { describe, expect, it } from 'vitest';
import { SignatureWriter } from '../../../packages/client/src/koji/sig-writer.ts';
import { KojiError, KojiFault } from '../../../packages/client/src/koji/errors.ts';
import type { KojiSession } from '../../../packages/client/src/koji/session.ts';
import type { KojiCall, MultiCallResult } from '../../../packages/client/src/koji/xmlrpc.ts';
import type { KojiInput, KojiValue } from '../../../packages/client/src/koji/values.ts';

const SIGKEY = '12c944d0';
const blob = (n: number): Buffer => Buffer.from(`signature header ${n}`);

/** A session double that records calls; `answer` decides each multiCall's results. */
function fakeSession(answer: (calls: readonly KojiCall[]) => MultiCallResult[] | Error, stored: Set<number> = new Set()) {
  const log: string[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const session = {
    async multiCall(calls: readonly KojiCall[]): Promise<MultiCallResult[]> {
      log.push(`multiCall ${calls.map((c) => `${c.method}(${String(c.args?.[0])})`).join(' ')}`);
      if (gate !== undefined) await gate;
      const r = answer(calls);
      if (r instanceof Error) throw r;
      return r;
    },
    async call(method: string, args: KojiInput[], kwargs?: Record<string, KojiInput>): Promise<KojiValue> {
      log.push(`call ${method}`);
      const id = kwargs?.['rpm_id'] as number;
      return stored.has(id) ? [{ rpm_id: id, sigkey: SIGKEY, sighash: 'x' }] : [];
    },
    async writeSignedRPM(rpm: number): Promise<KojiValue> {
      log.push(`writeSignedRPM(${rpm}) alone`);
      return null;
    },
  };
  return {
    session: session as unknown as KojiSession,
    log,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release() {
      gate = undefined;
      release?.();
    },
  };
}

const allOk = (calls: readonly KojiCall[]): MultiCallResult[] => calls.map(() => ({ ok: true, value: null }));

describe('SignatureWriter', () => {
  it('sends a lone rpm at once, then everything that became ready meanwhile in one multiCall', async () => {
    const f = fakeSession(allOk);
    const w = new SignatureWriter(f.session, SIGKEY);
    f.hold();
    const first = w.write({ rpmId: 1, region: blob(1) });
    const rest = [2, 3, 4].map((id) => w.write({ rpmId: id, region: blob(id) }));
    const copyOnly = w.write({ rpmId: 5, region: undefined });
    f.release();
    await Promise.all([first, ...rest, copyOnly]);
    expect(f.log).toEqual([
      'multiCall addRPMSig(1) writeSignedRPM(1)',
      'multiCall addRPMSig(2) writeSignedRPM(2) addRPMSig(3) writeSignedRPM(3) addRPMSig(4) writeSignedRPM(4) writeSignedRPM(5)',
    ]);
    expect(w.batches).toBe(2);
  });

  it('sends the signature as base64 text and asks for the copy with force', async () => {
    let seen: readonly KojiCall[] = [];
    const f = fakeSession((calls) => {
      seen = calls;
      return allOk(calls);
    });
    await new SignatureWriter(f.session, SIGKEY).write({ rpmId: 9, region: blob(9) });
    expect(seen).toEqual([
      { method: 'addRPMSig', args: [9, blob(9).toString('base64')] },
      { method: 'writeSignedRPM', args: [9, SIGKEY], kwargs: { force: true } },
    ]);
  });

  it('takes "Signature already exists" as stored; another fault fails only its rpm', async () => {
    const f = fakeSession((calls) =>
      calls.map((c): MultiCallResult => {
        const id = c.args?.[0];
        if (c.method === 'addRPMSig' && id === 1) return { ok: false, fault: new KojiFault(1000, 'Signature already exists for package foo-1.0-1.noarch, key 12c944d0') };
        if (c.method === 'addRPMSig' && id === 2) return { ok: false, fault: new KojiFault(1000, 'wrong md5 for 2: abc') };
        if (c.method === 'writeSignedRPM' && id === 2) return { ok: false, fault: new KojiFault(1000, 'No cached signature for package foo, key 12c944d0') };
        if (c.method === 'writeSignedRPM' && id === 3) return { ok: false, fault: new KojiFault(1014, 'server offline') };
        return { ok: true, value: null };
      }),
    );
    const w = new SignatureWriter(f.session, SIGKEY);
    const results = await Promise.allSettled([1, 2, 3, 4].map((id) => w.write({ rpmId: id, region: blob(id) })));
    expect(results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as KojiError).code))).toEqual(['ok', 'KOJI_WRONG_MD5', 'KOJI_SERVER_OFFLINE', 'ok']);
  });

  it('never resends writes whose answer was lost: asks the hub, writes the copy of what is stored, fails the rest', async () => {
    const lost = new KojiError('KOJI_TIMEOUT', 'no answer in time');
    const f = fakeSession(() => lost, new Set([1]));
    const w = new SignatureWriter(f.session, SIGKEY);
    const results = await Promise.allSettled([w.write({ rpmId: 1, region: blob(1) }), w.write({ rpmId: 2, region: blob(2) })]);
    expect(results[0]?.status).toBe('fulfilled');
    expect(results[1]).toEqual({ status: 'rejected', reason: lost });
    // Each rpm's addRPMSig went out exactly once (rpm 1 alone, rpm 2 in the next batch).
    expect(f.log.filter((l) => l.startsWith('multiCall'))).toEqual(['multiCall addRPMSig(1) writeSignedRPM(1)', 'multiCall addRPMSig(2) writeSignedRPM(2)']);
    expect(f.log).toContain('writeSignedRPM(1) alone');
    expect(f.log).not.toContain('writeSignedRPM(2) alone');
  });

  it('any other failure of the batch fails each of its rpms with it', async () => {
    const bad = new KojiError('KOJI_XML_MALFORMED', 'not XML');
    const f = fakeSession(() => bad);
    const w = new SignatureWriter(f.session, SIGKEY);
    const results = await Promise.allSettled([w.write({ rpmId: 1, region: blob(1) })]);
    expect(results).toEqual([{ status: 'rejected', reason: bad }]);
    expect(f.log.filter((l) => l.startsWith('call'))).toEqual([]);
  });

  it('splits a large backlog into batches of at most maxBatch rpms', async () => {
    const f = fakeSession(allOk);
    const w = new SignatureWriter(f.session, SIGKEY, 3);
    f.hold();
    const all = Array.from({ length: 8 }, (_, i) => w.write({ rpmId: i + 1, region: blob(i + 1) }));
    f.release();
    await Promise.all(all);
    expect(f.log.map((l) => l.split(' ').length - 1)).toEqual([2, 6, 6, 2]);
  });
});
