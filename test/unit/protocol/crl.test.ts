import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrlSource, loadCrlBundle, MAX_CRL_BUNDLE_BYTES, parseCrlBundle } from '@signet/protocol';
import { createCrl, generateRsaKeyPairAsync, initCaDir, issueToDir, readCaDir, revokeInDir, rolloverCa, type KeyPair } from '@signet/pki';

/**
 * CRLs as node:tls applies them: real mutual TLS 1.3 on loopback, the server requiring a
 * client certificate and checking it against crl-bundle.pem from signet-pki.
 */

const DAY = 24 * 60 * 60 * 1000;
let dir: string;
let caDir: string;
let keys: KeyPair[];
interface Pair { cert: Buffer; key: Buffer }
let bridge: Pair;
let oldGood: Pair;
let oldRevoked: Pair;
let newGood: Pair;
let newLater: Pair;

const pairOf = (r: { certPath: string; keyPath: string }): Pair => ({ cert: fs.readFileSync(r.certPath), key: fs.readFileSync(r.keyPath) });
const bundle = () => path.join(caDir, 'crl-bundle.pem');
const caBundle = () => fs.readFileSync(path.join(caDir, 'ca-bundle.pem'));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  caDir = path.join(dir, 'ca');
  keys = await Promise.all(Array.from({ length: 4 }, () => generateRsaKeyPairAsync(2048)));
  const k = (i: number) => keys[i] as KeyPair;
  // Started ten days ago, so CRLs from the past can be signed for the expiry test.
  initCaDir(caDir, { keyPair: k(0), notBefore: new Date(Date.now() - 10 * DAY), days: 3650 });
  const issue = (role: 'client' | 'bridge', name: string, i: number, extra: { ip?: string[] } = {}) =>
    pairOf(issueToDir(caDir, { role, name, keyPair: k(i), out: path.join(caDir, 'issued', `${name}-${Math.random().toString(36).slice(2)}`), ...extra }));
  oldGood = issue('client', 'alice', 1);
  const revoked = issueToDir(caDir, { role: 'client', name: 'mallory', keyPair: k(2) });
  oldRevoked = pairOf(revoked);
  revokeInDir(caDir, { serial: revoked.entry.serial, reason: 'keyCompromise' });
  // A CA rollover: the bridge and two clients get certificates from the new CA.
  rolloverCa(caDir, { keyPair: k(3) });
  bridge = issue('bridge', 'localhost', 1, { ip: ['127.0.0.1'] });
  newGood = issue('client', 'bob', 2);
  newLater = issue('client', 'carol', 2);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One TLS server for a whole test; `setSecureContext` swaps CRLs as a running bridge would. */
async function withServer(fn: (connect: (client: Pair, crl: tls.SecureContextOptions['crl']) => Promise<string>) => Promise<void>): Promise<void> {
  let verdict = '';
  let settle: () => void = () => {};
  const server = tls.createServer({ ...bridge, ca: caBundle(), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  server.on('secureConnection', (socket) => {
    verdict = socket.authorized ? 'accepted' : `unauthorized ${String(socket.authorizationError)}`;
    socket.end('welcome');
    settle();
  });
  server.on('tlsClientError', (err, socket) => {
    const e = socket.authorizationError as unknown;
    verdict = typeof e === 'string' ? e : e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : ((err as NodeJS.ErrnoException).code ?? err.message);
    settle();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const connect = async (client: Pair, crl: tls.SecureContextOptions['crl']): Promise<string> => {
    server.setSecureContext({ ...bridge, ca: caBundle(), ...(crl !== undefined ? { crl } : {}) });
    verdict = '';
    const settled = new Promise<void>((resolve) => (settle = resolve));
    await new Promise<void>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: caBundle(), ...client, minVersion: 'TLSv1.3' });
      socket.on('error', () => {});
      socket.on('data', () => {});
      socket.on('close', () => resolve());
    });
    await Promise.race([settled, new Promise((r) => setTimeout(r, 2000))]);
    return verdict;
  };
  try {
    await fn(connect);
  } finally {
    server.close();
  }
}

describe('CRL checking in a mutual TLS 1.3 handshake', () => {
  it('refuses a revoked client certificate (CERT_REVOKED) and accepts good ones of either CA', async () => {
    const crls = loadCrlBundle(bundle());
    expect(crls).toHaveLength(2);
    await withServer(async (connect) => {
      expect(await connect(oldRevoked, crls)).toBe('CERT_REVOKED');
      expect(await connect(oldGood, crls)).toBe('accepted');
      expect(await connect(newGood, crls)).toBe('accepted');
      // Without a CRL the revoked certificate gets in: the check is the CRL's alone.
      expect(await connect(oldRevoked, undefined)).toBe('accepted');
    });
  });

  it('with a CRL set, refuses certificates of a CA whose CRL is missing (UNABLE_TO_GET_CRL)', async () => {
    const [newCrl, oldCrl] = loadCrlBundle(bundle()) as [Buffer, Buffer];
    await withServer(async (connect) => {
      expect(await connect(oldGood, [newCrl])).toBe('UNABLE_TO_GET_CRL');
      expect(await connect(newGood, [newCrl])).toBe('accepted');
      expect(await connect(newGood, [oldCrl])).toBe('UNABLE_TO_GET_CRL');
      // The whole bundle as ONE Buffer: node:tls reads only its first CRL (the new CA's).
      const whole = fs.readFileSync(bundle());
      expect(await connect(newGood, whole)).toBe('accepted');
      expect(await connect(oldGood, whole)).toBe('UNABLE_TO_GET_CRL');
    });
  });

  it('refuses every certificate once the CRL is past its nextUpdate (CRL_HAS_EXPIRED)', async () => {
    const { ca } = readCaDir(caDir);
    const stale = createCrl(ca, { crlNumber: 99, thisUpdate: new Date(Date.now() - 3 * DAY), nextUpdate: new Date(Date.now() - DAY), revoked: [], now: new Date() });
    await withServer(async (connect) => {
      expect(await connect(newGood, [Buffer.from(stale)])).toBe('CRL_HAS_EXPIRED');
    });
  });
});

describe('createCrlSource', () => {
  it('returns the new CRLs after the file is rewritten, without restarting the server', async () => {
    let clock = 1_000_000;
    const errors: string[] = [];
    const source = createCrlSource(bundle(), { now: () => clock, onError: (e) => errors.push(e.code) });
    const first = source.current();
    expect(first).toEqual(loadCrlBundle(bundle()));
    await withServer(async (connect) => {
      expect(await connect(newLater, source.current())).toBe('accepted');
      revokeInDir(caDir, { name: 'carol', reason: 'keyCompromise' });
      // Within the re-check interval the cached CRLs are served without touching the disk.
      expect(source.current()).toBe(first);
      clock += 1000;
      const second = source.current();
      expect(second).not.toEqual(first);
      expect(second).toEqual(loadCrlBundle(bundle()));
      expect(await connect(newLater, second)).toBe('CERT_REVOKED');
      expect(await connect(newGood, second)).toBe('accepted');
      // Unchanged file: the very same Buffers, no re-read.
      clock += 1000;
      expect(source.current()).toBe(second);
    });
    expect(errors).toEqual([]);
  });

  it('keeps the last good CRLs when the file turns bad or vanishes, and reports it', () => {
    const file = path.join(dir, 'source.pem');
    fs.copyFileSync(bundle(), file);
    let clock = 0;
    const errors: string[] = [];
    const source = createCrlSource(file, { now: () => clock, recheckMs: 0, onError: (e) => errors.push(e.code) });
    const good = source.current();
    expect(good).toHaveLength(2);
    fs.writeFileSync(file, '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    clock++;
    expect(source.current()).toBe(good);
    expect(source.current()).toBe(good);
    fs.rmSync(file);
    expect(source.current()).toBe(good);
    expect(errors).toEqual(['TLS_FILE_UNREADABLE', 'TLS_FILE_UNREADABLE']);
    fs.copyFileSync(bundle(), file);
    expect(source.current()).toEqual(loadCrlBundle(bundle()));
  });

  it('has no CRLs while the file does not exist, and refuses an invalid file at creation', () => {
    const missing = path.join(dir, 'missing.pem');
    const source = createCrlSource(missing, { recheckMs: 0 });
    expect(source.current()).toBeUndefined();
    fs.copyFileSync(bundle(), missing);
    expect(source.current()).toHaveLength(2);
    const bad = path.join(dir, 'bad.pem');
    fs.writeFileSync(bad, 'not a crl');
    expect(() => createCrlSource(bad)).toThrow(expect.objectContaining({ code: 'TLS_FILE_UNREADABLE' }));
  });
});

describe('loadCrlBundle / parseCrlBundle', () => {
  const good = () => fs.readFileSync(bundle(), 'utf8');
  const refuses = (text: string | Buffer) => expect(() => parseCrlBundle(Buffer.from(text), 'test.pem')).toThrow(expect.objectContaining({ code: 'TLS_FILE_UNREADABLE' }));

  it('splits a bundle into one normalised PEM Buffer per CRL; a missing file is undefined', () => {
    const crls = parseCrlBundle(Buffer.from(good().replace(/\n/g, '\r\n')), 'x');
    expect(crls.map((b) => b.toString())).toEqual(good().split(/(?<=-----END X509 CRL-----\n)/).filter((s) => s !== ''));
    expect(loadCrlBundle(path.join(dir, 'nope.pem'))).toBeUndefined();
  });

  it('refuses empty, mixed, truncated, non-DER, non-ASCII and oversized input', () => {
    refuses('');
    refuses('\n\n');
    refuses(good() + fs.readFileSync(path.join(caDir, 'ca.crt'), 'utf8')); // a certificate in the CRL file
    refuses(good().slice(0, -30)); // cut short
    refuses(`junk\n${good()}`);
    refuses('-----BEGIN X509 CRL-----\nMAMCAQE=\n-----END X509 CRL-----\n'); // DER, but no CRL
    refuses('-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n'); // length overruns
    refuses(good().replace('-----END X509 CRL-----', '-----END X509 CRL-----é'));
    refuses(Buffer.alloc(MAX_CRL_BUNDLE_BYTES + 1, 0x20));
    const big = path.join(dir, 'big.pem');
    fs.writeFileSync(big, Buffer.alloc(MAX_CRL_BUNDLE_BYTES + 1, 0x0a));
    expect(() => loadCrlBundle(big)).toThrow(expect.objectContaining({ code: 'TLS_FILE_UNREADABLE' }));
    expect(() => loadCrlBundle(dir)).toThrow(expect.objectContaining({ code: 'TLS_FILE_UNREADABLE' }));
  });
});
