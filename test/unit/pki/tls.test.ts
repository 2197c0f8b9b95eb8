import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRole, roleOf } from '@signet/protocol';
import { issueTestCert, mintTestPki, readPair, type CertKeyPaths, type TestPki } from '../../helpers/pki.ts';

/**
 * Real mutual TLS 1.3 on loopback with the minted certificates: what OpenSSL (through
 * node:tls) accepts and refuses before any Signet code looks at the peer.
 */

interface Outcome {
  /** The server completed the handshake and accepted the client. */
  serverAccepted: boolean;
  serverPeer?: X509Certificate;
  /** socket.authorizationError on the server when it refused the client. */
  serverAuthError?: string;
  clientAuthorized?: boolean;
  clientErrorCode?: string;
  clientData: string;
}

let dir: string;
let pki: TestPki;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  pki = await mintTestPki(dir);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function handshake(serverPair: CertKeyPaths, clientPair: CertKeyPaths | undefined, connect: tls.ConnectionOptions = { servername: 'localhost' }): Promise<Outcome> {
  const ca = fs.readFileSync(pki.caCert);
  const outcome: Outcome = { serverAccepted: false, clientData: '' };
  let serverDone!: () => void;
  const serverSettled = new Promise<void>((resolve) => (serverDone = resolve));
  const server = tls.createServer({ ...readPair(serverPair), ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' });
  server.on('secureConnection', (socket) => {
    outcome.serverAccepted = socket.authorized;
    outcome.serverPeer = socket.getPeerX509Certificate();
    socket.end('welcome');
    serverDone();
  });
  server.on('tlsClientError', (err, socket) => {
    outcome.serverAuthError = socket.authorizationError instanceof Error ? socket.authorizationError.message : (socket.authorizationError ?? (err as NodeJS.ErrnoException).code);
    serverDone();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await new Promise<void>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, minVersion: 'TLSv1.3', ...(clientPair ? readPair(clientPair) : {}), ...connect });
      socket.on('secureConnect', () => (outcome.clientAuthorized = socket.authorized));
      socket.on('data', (d: Buffer) => (outcome.clientData += d.toString()));
      socket.on('error', (err: NodeJS.ErrnoException) => (outcome.clientErrorCode = err.code));
      socket.on('close', () => resolve());
    });
    await Promise.race([serverSettled, new Promise((r) => setTimeout(r, 2000))]);
  } finally {
    server.close();
  }
  return outcome;
}

describe('mutual TLS with minted certificates', () => {
  it('bridge certificate + client certificate from the CA: handshake succeeds both ways', async () => {
    const o = await handshake(pki.bridge, pki.clients['alice']);
    expect(o.clientErrorCode).toBeUndefined();
    expect(o.clientAuthorized).toBe(true);
    expect(o.serverAccepted).toBe(true);
    expect(o.clientData).toBe('welcome');
    expect(o.serverPeer?.subject).toBe('CN=alice');
    expect(roleOf(o.serverPeer!)).toBe('client');
  });

  it('the bridge certificate is accepted for its IP SAN too', async () => {
    const o = await handshake(pki.bridge, pki.clients['alice'], {});
    expect(o.clientErrorCode).toBeUndefined();
    expect(o.serverAccepted).toBe(true);
  });

  it('the client refuses a bridge certificate for another host name', async () => {
    const o = await handshake(pki.bridge, pki.clients['alice'], { servername: 'bridge.example' });
    expect(o.clientErrorCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(o.clientData).toBe('');
  });

  it('the server refuses a client certificate from the rogue CA, though it names alice', async () => {
    const o = await handshake(pki.bridge, pki.rogue.client);
    expect(o.serverAccepted).toBe(false);
    expect(o.serverAuthError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(o.clientData).toBe('');
    // TLS 1.3: the client finishes its side of the handshake before the server judges its
    // certificate, so "secureConnect" on the client does not mean it was accepted.
    expect(o.clientAuthorized).toBe(true);
  });

  it('the server refuses a client without a certificate', async () => {
    const o = await handshake(pki.bridge, undefined);
    expect(o.serverAccepted).toBe(false);
    expect(o.clientErrorCode).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it('the client refuses a bridge certificate from the rogue CA', async () => {
    const o = await handshake(pki.rogue.bridge, pki.clients['alice']);
    expect(o.clientErrorCode).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(o.serverAccepted).toBe(false);
  });

  it("a client certificate used as a TLS server certificate fails OpenSSL's purpose check (no serverAuth)", async () => {
    const o = await handshake(pki.clients['alice']!, pki.server);
    expect(o.clientErrorCode).toBe('INVALID_PURPOSE');
    expect(o.clientData).toBe('');
    expect(o.serverAccepted).toBe(false);
  });

  it("a bridge certificate used as a TLS client certificate fails the server's purpose check (no clientAuth)", async () => {
    const o = await handshake(pki.bridge, pki.bridge);
    expect(o.serverAccepted).toBe(false);
    expect(o.serverAuthError).toBe('INVALID_PURPOSE');
  });

  it('a server certificate passes TLS as a client (it has clientAuth): only the role check tells it from a client', async () => {
    const o = await handshake(pki.bridge, pki.server);
    expect(o.serverAccepted).toBe(true);
    expect(roleOf(o.serverPeer!)).toBe('server');
    expect(() => requireRole(o.serverPeer!, 'client', 'bridge client port')).toThrow(expect.objectContaining({ code: 'CERT_ROLE_WRONG' }));
  });

  it('the server refuses expired and not-yet-valid client certificates', async () => {
    const day = 24 * 60 * 60 * 1000;
    const expired = issueTestCert(pki.caDir, 'alice-expired', {
      role: 'client',
      name: 'alice',
      notBefore: new Date(Date.now() - 30 * day),
      notAfter: new Date(Date.now() - day),
    });
    const future = issueTestCert(pki.caDir, 'alice-future', { role: 'client', name: 'alice', notBefore: new Date(Date.now() + day), days: 30 });
    expect((await handshake(pki.bridge, expired)).serverAuthError).toBe('CERT_HAS_EXPIRED');
    expect((await handshake(pki.bridge, future)).serverAuthError).toBe('CERT_NOT_YET_VALID');
  });
});
