import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roleOf } from '@signet/protocol';
import { mintTestPki } from '../../helpers/pki.ts';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const cert = (file: string) => new X509Certificate(fs.readFileSync(file));

describe('mintTestPki', () => {
  it('mints CA, bridge, server, client and rogue certificates well under 2 s', async () => {
    const started = performance.now();
    const pki = await mintTestPki(dir);
    expect(performance.now() - started).toBeLessThan(2000);

    const ca = cert(pki.caCert);
    const rogueCa = cert(pki.rogue.caCert);
    expect(ca.ca && rogueCa.ca).toBe(true);
    expect(ca.fingerprint256).not.toBe(rogueCa.fingerprint256);

    const bridge = cert(pki.bridge.cert);
    expect(roleOf(bridge)).toBe('bridge');
    expect(bridge.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(roleOf(cert(pki.server.cert))).toBe('server');
    expect(cert(pki.server.cert).subjectAltName).toBe('DNS:signet-server.test');
    expect(pki.serverName).toBe('signet-server.test');
    expect(Object.keys(pki.clients)).toEqual(['alice']);
    expect(cert(pki.clients['alice']!.cert).subject).toBe('CN=alice');

    for (const pair of [pki.bridge, pki.server, pki.clients['alice']!]) {
      const x = cert(pair.cert);
      expect(x.verify(ca.publicKey)).toBe(true);
      expect(x.verify(rogueCa.publicKey)).toBe(false);
      expect(x.checkPrivateKey(cryptoKey(pair.key))).toBe(true);
      expect(x.toLegacyObject().bits).toBe(2048);
    }
    // The rogue set copies the real names but chains only to the rogue CA.
    for (const [pair, role, subject] of [
      [pki.rogue.client, 'client', 'CN=alice'],
      [pki.rogue.server, 'server', 'CN=signet-server.test'],
      [pki.rogue.bridge, 'bridge', 'CN=localhost'],
    ] as const) {
      const x = cert(pair.cert);
      expect(roleOf(x)).toBe(role);
      expect(x.subject).toBe(subject);
      expect(x.verify(rogueCa.publicKey)).toBe(true);
      expect(x.verify(ca.publicKey)).toBe(false);
    }
  });

  it('takes the server name and user list', async () => {
    const pki = await mintTestPki(dir, { serverName: 'vault.example', users: ['bob', 'carol'] });
    expect(cert(pki.server.cert).subjectAltName).toBe('DNS:vault.example');
    expect(Object.keys(pki.clients)).toEqual(['bob', 'carol']);
    expect(cert(pki.clients['carol']!.cert).subject).toBe('CN=carol');
    expect(cert(pki.rogue.client.cert).subject).toBe('CN=bob');
  });
});

function cryptoKey(file: string) {
  return createPrivateKey(fs.readFileSync(file));
}
