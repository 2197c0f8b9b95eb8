import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roleOf } from '@signet/protocol';
import { generateRsaKeyPair, initCaDir, issueToDir, listDir, parseIndex, type KeyPair } from '@signet/pki';

const DAY = 24 * 60 * 60 * 1000;
let dir: string;
let caDir: string;
const keys: KeyPair[] = Array.from({ length: 2 }, () => generateRsaKeyPair(2048));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  caDir = path.join(dir, 'ca');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => fs.statSync(file).mode & 0o777;
const readIndex = () => parseIndex(fs.readFileSync(path.join(caDir, 'index.json'), 'utf8'));

describe('initCaDir', () => {
  it('writes ca.crt, ca.key (0600, PKCS#8) and a valid index.json into a new 0700 directory', () => {
    const r = initCaDir(caDir, { name: 'Test CA', keyPair: keys[0] });
    expect(r.certPath).toBe(path.join(caDir, 'ca.crt'));
    expect(mode(caDir)).toBe(0o700);
    expect(mode(r.keyPath)).toBe(0o600);
    expect(fs.readFileSync(r.keyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const x = new X509Certificate(fs.readFileSync(r.certPath));
    const index = readIndex();
    expect(index).toEqual({ version: 2, ca: r.ca, previous: [], crl: { number: 1, days: 7, nextUpdate: expect.any(String) }, issued: [] });
    // A CRL and both bundles from the start, so parties can be configured with them on day one.
    expect(fs.readFileSync(path.join(caDir, 'crl.pem'), 'utf8')).toMatch(/^-----BEGIN X509 CRL-----\n/);
    expect(fs.readFileSync(path.join(caDir, 'crl-bundle.pem'), 'utf8')).toBe(fs.readFileSync(path.join(caDir, 'crl.pem'), 'utf8'));
    expect(fs.readFileSync(path.join(caDir, 'ca-bundle.pem'), 'utf8')).toBe(fs.readFileSync(r.certPath, 'utf8'));
    expect(index.ca).toMatchObject({ name: 'Test CA', serial: x.serialNumber, fingerprint256: x.fingerprint256 });
  });

  it('refuses a directory that already holds a CA, leaving it untouched', () => {
    initCaDir(caDir, { keyPair: keys[0] });
    const before = fs.readFileSync(path.join(caDir, 'ca.key'));
    expect(() => initCaDir(caDir, { keyPair: keys[1] })).toThrow(expect.objectContaining({ code: 'PKI_CA_EXISTS' }));
    expect(fs.readFileSync(path.join(caDir, 'ca.key'))).toEqual(before);
    // Any one of the three files is enough to refuse.
    fs.rmSync(path.join(caDir, 'ca.crt'));
    fs.rmSync(path.join(caDir, 'ca.key'));
    expect(() => initCaDir(caDir, { keyPair: keys[1] })).toThrow(expect.objectContaining({ code: 'PKI_CA_EXISTS' }));
  });
});

describe('issueToDir', () => {
  beforeEach(() => {
    initCaDir(caDir, { keyPair: keys[0] });
  });

  it('writes issued/NAME.crt and .key (0600) and records the certificate in index.json', () => {
    const r = issueToDir(caDir, { role: 'bridge', name: 'localhost', ip: ['127.0.0.1'], keyPair: keys[1] });
    expect(r.certPath).toBe(path.join(caDir, 'issued', 'localhost.crt'));
    expect(r.keyPath).toBe(path.join(caDir, 'issued', 'localhost.key'));
    expect(mode(r.keyPath)).toBe(0o600);
    const x = new X509Certificate(fs.readFileSync(r.certPath));
    expect(roleOf(x)).toBe('bridge');
    expect(x.checkPrivateKey(keys[1]!.privateKey)).toBe(true);
    expect(readIndex().issued).toEqual([
      {
        serial: x.serialNumber,
        role: 'bridge',
        name: 'localhost',
        dns: ['localhost'],
        ip: ['127.0.0.1'],
        notBefore: x.validFromDate.toISOString(),
        notAfter: x.validToDate.toISOString(),
        issuedAt: r.entry.issuedAt,
        path: 'issued/localhost.crt',
        issuer: readIndex().ca.serial,
      },
    ]);
  });

  it('--out PREFIX writes PREFIX.crt/.key and records the path relative to the CA directory', () => {
    const r = issueToDir(caDir, { role: 'client', name: 'alice', out: path.join(dir, 'elsewhere', 'alice'), keyPair: keys[1] });
    expect(fs.existsSync(path.join(dir, 'elsewhere', 'alice.crt'))).toBe(true);
    expect(r.keyPath).toBe(path.join(dir, 'elsewhere', 'alice.key'));
    expect(readIndex().issued[0]?.path).toBe('../elsewhere/alice.crt');
  });

  it('never overwrites a key silently; --force replaces it and marks the old entry superseded', () => {
    const first = issueToDir(caDir, { role: 'client', name: 'alice', keyPair: keys[1] });
    const oldKey = fs.readFileSync(first.keyPath);
    expect(() => issueToDir(caDir, { role: 'client', name: 'alice', keyPair: keys[0] })).toThrow(expect.objectContaining({ code: 'PKI_EXISTS' }));
    expect(fs.readFileSync(first.keyPath)).toEqual(oldKey);
    expect(readIndex().issued).toHaveLength(1);

    const second = issueToDir(caDir, { role: 'client', name: 'alice', force: true, keyPair: keys[0] });
    expect(fs.readFileSync(second.keyPath)).not.toEqual(oldKey);
    expect(mode(second.keyPath)).toBe(0o600);
    const issued = readIndex().issued;
    expect(issued.map((e) => e.supersededBy)).toEqual([second.entry.serial, undefined]);
  });

  it('refuses without a CA, and with a bad name before touching the directory', () => {
    const empty = path.join(dir, 'empty');
    expect(() => issueToDir(empty, { role: 'client', name: 'alice', keyPair: keys[1] })).toThrow(expect.objectContaining({ code: 'PKI_NO_CA' }));
    expect(() => issueToDir(empty, { role: 'client', name: 'Alice', keyPair: keys[1] })).toThrow(expect.objectContaining({ code: 'PKI_BAD_NAME' }));
    expect(fs.existsSync(empty)).toBe(false);
  });

  it('refuses an index.json that does not match the strict schema', () => {
    const file = path.join(caDir, 'index.json');
    const index = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...index, extra: true }));
    expect(() => issueToDir(caDir, { role: 'client', name: 'alice', keyPair: keys[1] })).toThrow(expect.objectContaining({ code: 'PKI_BAD_INDEX' }));
    fs.writeFileSync(file, JSON.stringify({ ...index, issued: [{ serial: 'zz' }] }));
    expect(() => listDir(caDir)).toThrow(expect.objectContaining({ code: 'PKI_BAD_INDEX' }));
    fs.writeFileSync(file, '{');
    expect(() => listDir(caDir)).toThrow(expect.objectContaining({ code: 'PKI_BAD_INDEX' }));
    fs.rmSync(file);
    expect(() => listDir(caDir)).toThrow(expect.objectContaining({ code: 'PKI_BAD_INDEX' }));
  });
});

describe('listDir', () => {
  it('reports days left and flags expired, expiring, not-yet-valid and superseded certificates', () => {
    // Whole seconds, as certificates carry them, so day counts are exact.
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    initCaDir(caDir, { keyPair: keys[0], now });
    const k = keys[1];
    issueToDir(caDir, { role: 'bridge', name: 'localhost', keyPair: k, now });
    issueToDir(caDir, { role: 'client', name: 'old', notBefore: new Date(now.getTime() - 60 * DAY), notAfter: new Date(now.getTime() - 2 * DAY), keyPair: k, now });
    issueToDir(caDir, { role: 'client', name: 'soon', days: 10, keyPair: k, now });
    issueToDir(caDir, { role: 'server', name: 'later.test', notBefore: new Date(now.getTime() + 5 * DAY), keyPair: k, now });
    issueToDir(caDir, { role: 'client', name: 'bob', days: 100, keyPair: k, now });
    issueToDir(caDir, { role: 'client', name: 'bob', days: 200, force: true, keyPair: k, now });
    const listing = listDir(caDir, now);
    expect(listing.certificates.map((c) => [c.name, c.status, c.daysLeft])).toEqual([
      ['localhost', 'valid', 365],
      ['old', 'expired', -2],
      ['soon', 'expiring', 10],
      ['later.test', 'not-yet-valid', 370],
      ['bob', 'superseded', 100],
      ['bob', 'valid', 200],
    ]);
    expect(listing.ca.daysLeft).toBe(3650);
  });

  it('refuses a directory without a CA', () => {
    expect(() => listDir(path.join(dir, 'none'))).toThrow(expect.objectContaining({ code: 'PKI_NO_CA' }));
  });
});

describe('concurrent issue', () => {
  it('keeps every entry in index.json when several signet-pki issue runs overlap', async () => {
    const { spawn } = await import('node:child_process');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-pki-concurrent-'));
    try {
      const main = path.resolve(import.meta.dirname, '../../../pki/src/main.ts');
      const run = (args: string[]) =>
        new Promise<number>((resolve) => spawn(process.execPath, [main, ...args], { stdio: 'ignore' }).on('close', (c) => resolve(c ?? 1)));
      expect(await run(['init', '--dir', dir, '--key-bits', '2048'])).toBe(0);
      const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
      const codes = await Promise.all(users.map((u) => run(['issue', '--dir', dir, '--role', 'client', '--name', u, '--key-bits', '2048'])));
      expect(codes).toEqual(users.map(() => 0));
      const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { issued: { name: string }[] };
      expect(index.issued.map((e) => e.name).sort()).toEqual(users);
      expect(fs.existsSync(path.join(dir, 'index.json.lock'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
