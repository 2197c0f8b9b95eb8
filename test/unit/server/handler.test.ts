import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHandler, type Backend, type SignatureAudit } from '@signet/server';
import { readPackageHead, bytesToSign } from '@signet/rpm';
import { Request } from '@signet/protocol/e2e';

const SAMPLE = path.resolve(import.meta.dirname, '../../../samples/rpms/signet-demo-data-2.3-4.noarch.rpm');
const info = { name: 'demo', fingerprint: 'A'.repeat(40), keyId: 'B'.repeat(16), algorithm: 'rsa', created: '2026-01-01T00:00:00Z', expires: null };

function fakeBackend(audit: SignatureAudit[], opts: { failAudit?: boolean } = {}): Backend {
  return {
    serverName: 'test',
    listKeys: () => [info],
    publicKey: () => ({ info, armored: 'x' }),
    unlock: async (key, _user, passphrase) => {
      if (passphrase !== 'right') throw Object.assign(new Error('bad'), { code: 'BAD_PASSPHRASE' });
      return { info: { ...info, name: key }, sign: async () => Buffer.from('PACKET') };
    },
    changePassphrase: async () => undefined,
    recordSignature: async (e) => {
      if (opts.failAudit) throw new Error('disk full');
      audit.push(e);
    },
  };
}

/** A request as the server receives it: through the protocol schema. */
const req = (r: Record<string, unknown>): Request => Request.parse({ t: 'req', id: 1, ...r });
const limits = { maxHeaderBytes: 1 << 20, maxDataBytes: 1 << 20 };

describe('session request handler', () => {
  it('signs an RPM header only after unlock, and audits it with the package name and digest', async () => {
    const audit: SignatureAudit[] = [];
    const h = createHandler('alice', fakeBackend(audit), limits);
    const header = bytesToSign((await readPackageHead(SAMPLE)).layout);
    await expect(h(req({ op: 'sign-rpm-header', key: 'demo' }), header)).rejects.toMatchObject({ code: 'KEY_LOCKED' });
    await h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
    const out = await h(req({ op: 'sign-rpm-header', key: 'demo' }), header);
    expect(out.bin?.toString()).toBe('PACKET');
    expect(out.result).toMatchObject({ subject: 'signet-demo-data-1:2.3-4.noarch' });
    expect(audit).toEqual([expect.objectContaining({ user: 'alice', kind: 'rpm-header', subject: 'signet-demo-data-1:2.3-4.noarch' })]);
    expect(audit[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses bytes that are not an RPM main header, and audits nothing', async () => {
    const audit: SignatureAudit[] = [];
    const h = createHandler('alice', fakeBackend(audit), limits);
    await h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
    await expect(h(req({ op: 'sign-rpm-header', key: 'demo' }), Buffer.from('hello'))).rejects.toMatchObject({ code: 'NOT_AN_RPM_HEADER' });
    const lead = readFileSync(SAMPLE).subarray(0, 4096);
    await expect(h(req({ op: 'sign-rpm-header', key: 'demo' }), lead)).rejects.toMatchObject({ code: 'NOT_AN_RPM_HEADER' });
    expect(audit).toEqual([]);
  });

  it('returns no signature when its audit record cannot be written', async () => {
    const h = createHandler('alice', fakeBackend([], { failAudit: true }), limits);
    await h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
    await expect(h(req({ op: 'sign-data', key: 'demo' }), Buffer.from('data'))).rejects.toThrow('disk full');
  });

  it('enforces attachment limits', async () => {
    const h = createHandler('alice', fakeBackend([]), { maxHeaderBytes: 10, maxDataBytes: 10 });
    await h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
    await expect(h(req({ op: 'sign-data', key: 'demo' }), Buffer.alloc(11))).rejects.toMatchObject({ code: 'REQUEST_TOO_LARGE' });
  });

  it('whoami is the certificate user, fixed for the session', async () => {
    const h = createHandler('bob', fakeBackend([]), limits);
    expect((await h(req({ op: 'whoami' }), Buffer.alloc(0))).result).toEqual({ user: 'bob' });
  });
});
