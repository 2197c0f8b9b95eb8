import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHandler, keyStoreBackend, type Backend, type SignatureAudit } from '@signet/server';
import { readPackageHead, bytesToSign } from '@signet/rpm';
import { Request } from '@signet/protocol/e2e';
import { buildHeader, e, T } from '../rpm/builder.ts';
import { makeMain } from '../rpm/fixtures.ts';
import type { KeyStore } from '../../../packages/server/src/keystore/index.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../../samples/rpms/signet-demo-data-2.3-4.noarch.rpm');
const info = { name: 'demo', fingerprint: 'A'.repeat(40), keyId: 'B'.repeat(16), algorithm: 'rsa', created: '2026-01-01T00:00:00Z', expires: null };

/** What the fake keys did: signatures made, keys disposed. */
interface KeyEvents {
  signed: number;
  disposed: number;
}

function fakeBackend(audit: SignatureAudit[], opts: { failAudit?: boolean; events?: KeyEvents } = {}): Backend {
  const events = opts.events ?? { signed: 0, disposed: 0 };
  return {
    serverName: 'test',
    listKeys: () => [info],
    publicKey: () => ({ info, armored: 'x' }),
    unlock: async (key, _user, passphrase) => {
      if (passphrase !== 'right') throw Object.assign(new Error('bad'), { code: 'BAD_PASSPHRASE' });
      let disposed = false;
      return {
        info: { ...info, name: key },
        sign: async () => {
          if (disposed) throw Object.assign(new Error('disposed'), { code: 'SIGNER_DISPOSED' });
          events.signed++;
          return Buffer.from('PACKET');
        },
        dispose: () => {
          disposed = true;
          events.disposed++;
        },
      };
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

describe('package names the audit log cannot hold', () => {
  const payload = Buffer.from('payload');

  /** A main header whose NAME entry holds exactly these bytes (NUL-terminated). */
  const headerWithRawName = (name: Buffer): Buffer =>
    buildHeader(63, [
      e.strings(100, 'C'),
      { tag: 1000, type: T.STRING, count: 1, data: Buffer.concat([name, Buffer.from([0])]) },
      e.string(1001, '1.2'),
      e.string(1002, '3.el9'),
      e.string(1022, 'x86_64'),
      e.string(1044, 'demo-1.2-3.el9.src.rpm'),
    ]);

  const cases: [string, Buffer][] = [
    ['a 600-character name', makeMain({ name: 'n'.repeat(600) }, payload)],
    ['a name with byte 0xC3 (UTF-8 "é")', makeMain({ name: 'caf\u00e9' }, payload)],
    ['a name with a lone byte 0xC3', headerWithRawName(Buffer.from([0x61, 0xc3, 0x62]))],
    ['a name with a newline', makeMain({ name: 'evil\nuser=root' }, payload)],
  ];

  for (const [label, header] of cases) {
    it(`refuses ${label} as NOT_AN_RPM_HEADER before anything is signed or audited`, async () => {
      const audit: SignatureAudit[] = [];
      const events = { signed: 0, disposed: 0 };
      const h = createHandler('alice', fakeBackend(audit, { events }), limits);
      await h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
      const err = await h(req({ op: 'sign-rpm-header', key: 'demo' }), header).then(
        () => undefined,
        (x: unknown) => x as { code?: string; message: string },
      );
      expect(err).toMatchObject({ code: 'NOT_AN_RPM_HEADER' });
      expect(err?.message).toMatch(/printable ASCII/);
      // The raw name is not echoed (it may hold control characters or be huge).
      expect(err?.message).not.toMatch(/nnnnnnnn|caf|evil|a\uFFFDb/);
      expect(events.signed).toBe(0);
      expect(audit).toEqual([]);
    });
  }

  it('still signs a 512-character package name (the audit limit)', async () => {
    const audit: SignatureAudit[] = [];
    const h = createHandler('alice', fakeBackend(audit), limits);
    await h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
    // N-V-R.A = name + '-1.2-3.el9.x86_64' (17 characters).
    const name = 'n'.repeat(512 - 17);
    const out = await h(req({ op: 'sign-rpm-header', key: 'demo' }), makeMain({ name }, payload));
    expect(out.result).toMatchObject({ subject: `${name}-1.2-3.el9.x86_64` });
    expect(audit).toHaveLength(1);
  });
});

describe('end of a session', () => {
  it('close() disposes every unlocked key, and later requests are refused SESSION_CLOSED without signing', async () => {
    const audit: SignatureAudit[] = [];
    const events = { signed: 0, disposed: 0 };
    const h = createHandler('alice', fakeBackend(audit, { events }), limits);
    const header = bytesToSign((await readPackageHead(SAMPLE)).layout);
    await h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
    await h(req({ op: 'unlock', key: 'other', passphrase: 'right' }), Buffer.alloc(0));
    await h(req({ op: 'sign-rpm-header', key: 'demo' }), header);
    expect(events).toEqual({ signed: 1, disposed: 0 });
    h.close();
    expect(events.disposed).toBe(2);
    await expect(h(req({ op: 'sign-rpm-header', key: 'demo' }), header)).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    await expect(h(req({ op: 'sign-data', key: 'other' }), Buffer.from('data'))).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    expect(events.signed).toBe(1);
    expect(audit).toHaveLength(1);
    h.close(); // idempotent
    expect(events.disposed).toBe(2);
  });

  it('an unlock that completes after close() is refused and its key disposed at once', async () => {
    const events = { signed: 0, disposed: 0 };
    const h = createHandler('alice', fakeBackend([], { events }), limits);
    const pending = h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
    h.close();
    await expect(pending).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    expect(events.disposed).toBe(1);
  });

  it('a signature finished after close() is recorded (it was made) but not sent', async () => {
    const audit: SignatureAudit[] = [];
    let release: () => void = () => undefined;
    const backend: Backend = {
      ...fakeBackend(audit),
      unlock: async () => ({
        info,
        sign: () => new Promise<Buffer>((resolve) => (release = () => resolve(Buffer.from('PACKET')))),
        dispose: () => undefined,
      }),
    };
    const h = createHandler('alice', backend, limits);
    await h(req({ op: 'unlock', key: 'demo', passphrase: 'right' }), Buffer.alloc(0));
    const signing = h(req({ op: 'sign-data', key: 'demo' }), Buffer.from('data'));
    h.close();
    release();
    await expect(signing).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    expect(audit).toHaveLength(1);
  });

  it('the key store backend forwards dispose to the signer', async () => {
    let disposed = 0;
    const store = {
      unlock: async () => ({ sign: async () => Buffer.from('PACKET'), dispose: () => void disposed++ }),
      getKey: () => ({ ...info, users: [] }),
    } as unknown as KeyStore;
    const key = await keyStoreBackend(store, 'test').unlock('demo', 'alice', 'right');
    key.dispose();
    expect(disposed).toBe(1);
  });
});
