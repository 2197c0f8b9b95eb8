import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { roleOf } from '@signet/protocol';
import {
  crlInDir,
  generateRsaKeyPair,
  initCaDir,
  issueToDir,
  listDir,
  nextCaName,
  parseIndex,
  parseSerial,
  renewInDir,
  retireCa,
  revokeInDir,
  rolloverCa,
  type KeyPair,
} from '@signet/pki';
import { openssl, verifyWithCrl } from './openssl.ts';

const DAY = 24 * 60 * 60 * 1000;
const keys: KeyPair[] = Array.from({ length: 4 }, () => generateRsaKeyPair(2048));
const key = (i: number): KeyPair => keys[i] as KeyPair;
let dir: string;
let caDir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  caDir = path.join(dir, 'ca');
  initCaDir(caDir, { keyPair: key(0) });
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const index = () => parseIndex(fs.readFileSync(path.join(caDir, 'index.json'), 'utf8'));
const file = (rel: string) => path.join(caDir, rel);
const read = (rel: string) => fs.readFileSync(file(rel), 'utf8');
const x509 = (p: string) => new X509Certificate(fs.readFileSync(p));
const code = (c: string) => expect.objectContaining({ code: c });
/** openssl verify -crl_check against the bundles parties use. */
const verdict = (cert: string) => verifyWithCrl(file('ca-bundle.pem'), file('crl-bundle.pem'), cert);
const crlText = (rel: string) => openssl('crl', '-in', file(rel), '-noout', '-text').out;

describe('revoke', () => {
  it('records the revocation, rewrites the CRL with it, and OpenSSL then refuses that certificate only', () => {
    const alice = issueToDir(caDir, { role: 'client', name: 'alice', keyPair: key(1) });
    const bob = issueToDir(caDir, { role: 'client', name: 'bob', keyPair: key(1) });
    expect(verdict(alice.certPath)).toBe('OK');
    const r = revokeInDir(caDir, { serial: alice.entry.serial, reason: 'keyCompromise' });
    expect(r.crlNumber).toBe(2);
    expect(r.entry.revoked?.reason).toBe('keyCompromise');
    expect(index().issued.find((e) => e.serial === alice.entry.serial)?.revoked).toEqual({ at: r.entry.revoked?.at, reason: 'keyCompromise' });
    expect(verdict(alice.certPath)).toBe('certificate revoked');
    expect(verdict(bob.certPath)).toBe('OK');
    const text = crlText('crl.pem');
    expect(text).toContain(`Serial Number: ${alice.entry.serial}`);
    expect(text).toContain('Key Compromise');
    expect(text).not.toContain(bob.entry.serial);
    expect(listDir(caDir).certificates.map((c) => [c.name, c.status])).toEqual([['alice', 'revoked'], ['bob', 'valid']]);
  });

  it('by --name revokes the one current certificate of that name', () => {
    const first = issueToDir(caDir, { role: 'client', name: 'carol', keyPair: key(1) });
    const renewed = renewInDir(caDir, { name: 'carol', keyPair: key(2) });
    const r = revokeInDir(caDir, { name: 'carol', reason: 'cessationOfOperation' });
    expect(r.entry.serial).toBe(renewed.entry.serial);
    expect(r.entry.serial).not.toBe(first.entry.serial);
    expect(crlText('crl.pem')).toContain('Cessation Of Operation');
  });

  it('refuses revoking twice, an unknown serial, a name never issued, and an ambiguous name', () => {
    const alice = issueToDir(caDir, { role: 'client', name: 'alice', keyPair: key(1) });
    revokeInDir(caDir, { serial: alice.entry.serial });
    const before = read('crl.pem');
    expect(() => revokeInDir(caDir, { serial: alice.entry.serial })).toThrow(code('PKI_ALREADY_REVOKED'));
    expect(() => revokeInDir(caDir, { name: 'alice' })).toThrow(code('PKI_ALREADY_REVOKED'));
    expect(() => revokeInDir(caDir, { serial: 'ABCDEF' })).toThrow(code('PKI_UNKNOWN_SERIAL'));
    expect(() => revokeInDir(caDir, { name: 'nobody' })).toThrow(code('PKI_UNKNOWN_NAME'));
    expect(() => revokeInDir(caDir, {})).toThrow(code('PKI_USAGE'));
    expect(() => revokeInDir(caDir, { serial: alice.entry.serial, name: 'alice' })).toThrow(code('PKI_USAGE'));
    // Two current certificates for dave (issued at two places): --name could mean either.
    issueToDir(caDir, { role: 'client', name: 'dave', keyPair: key(1) });
    issueToDir(caDir, { role: 'client', name: 'dave', out: path.join(dir, 'dave2'), keyPair: key(1) });
    expect(() => revokeInDir(caDir, { name: 'dave' })).toThrow(code('PKI_AMBIGUOUS_NAME'));
    // Nothing failed half-way: the CRL is the one written by the successful revoke.
    expect(read('crl.pem')).toBe(before);
    expect(index().crl.number).toBe(2);
  });

  it('parseSerial accepts what list and openssl print, and nothing else', () => {
    expect(parseSerial('7f:01:aa')).toBe('7F01AA');
    expect(parseSerial('007F')).toBe('7F');
    expect(parseSerial('abc')).toBe('0ABC');
    for (const bad of ['', 'xyz', '12 34', 'A'.repeat(42)]) expect(() => parseSerial(bad)).toThrow(code('PKI_USAGE'));
  });
});

describe('crl', () => {
  it('rewrites the CRL with a higher number; --days sets the lifetime and is remembered', () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const r = crlInDir(caDir, { days: 30, now });
    expect(r.crlNumber).toBe(2);
    expect(r.nextUpdate.getTime()).toBe(now.getTime() + 30 * DAY);
    expect(r.thisUpdate.getTime()).toBe(now.getTime() - 5 * 60 * 1000);
    expect(index().crl).toEqual({ number: 2, days: 30, nextUpdate: r.nextUpdate.toISOString() });
    const again = crlInDir(caDir, { now });
    expect(again.crlNumber).toBe(3);
    expect(again.nextUpdate.getTime()).toBe(now.getTime() + 30 * DAY);
    expect(crlText('crl.pem')).toMatch(/X509v3 CRL Number: \n\s+3\n/);
    expect(() => crlInDir(caDir, { days: 367 })).toThrow(code('PKI_BAD_VALIDITY'));
    expect(() => crlInDir(path.join(dir, 'none'))).toThrow(code('PKI_NO_CA'));
  });

  it('upgrades a version 1 index.json (signet-pki 0.1) and writes the missing CRL files', () => {
    const alice = issueToDir(caDir, { role: 'client', name: 'alice', keyPair: key(1) });
    const v2 = index();
    const v1 = { version: 1, ca: v2.ca, issued: v2.issued.map(({ issuer: _issuer, revoked: _revoked, ...e }) => e) };
    fs.writeFileSync(file('index.json'), JSON.stringify(v1));
    for (const f of ['crl.pem', 'crl-bundle.pem', 'ca-bundle.pem']) fs.rmSync(file(f));
    expect(parseIndex(JSON.stringify(v1)).issued[0]?.issuer).toBe(v2.ca.serial);
    revokeInDir(caDir, { name: 'alice' });
    expect(index().version).toBe(2);
    expect(verdict(alice.certPath)).toBe('certificate revoked');
  });

  it('refuses to work with a ca.crt that is not the CA of index.json', () => {
    const other = path.join(dir, 'other');
    initCaDir(other, { keyPair: key(3) });
    fs.copyFileSync(path.join(other, 'ca.crt'), file('ca.crt'));
    fs.copyFileSync(path.join(other, 'ca.key'), file('ca.key'));
    expect(() => crlInDir(caDir)).toThrow(code('PKI_BAD_INDEX'));
  });
});

describe('renew', () => {
  it('issues a new key and certificate with the same role, name and SANs, over the same files, and supersedes the old entry', () => {
    const old = issueToDir(caDir, { role: 'bridge', name: 'bridge.test', dns: ['alt.test'], ip: ['127.0.0.1', '::1'], keyPair: key(1) });
    const oldCert = x509(old.certPath);
    const r = renewInDir(caDir, { name: 'bridge.test', days: 90, keyPair: key(2) });
    expect([r.certPath, r.keyPath]).toEqual([old.certPath, old.keyPath]);
    const cert = x509(r.certPath);
    expect(roleOf(cert)).toBe('bridge');
    expect(cert.subject).toBe(oldCert.subject);
    expect(cert.subjectAltName).toBe(oldCert.subjectAltName);
    expect(cert.serialNumber).not.toBe(oldCert.serialNumber);
    expect(cert.checkPrivateKey(createPrivateKey(fs.readFileSync(r.keyPath)))).toBe(true);
    expect(cert.checkPrivateKey(key(2).privateKey)).toBe(true);
    expect(Math.round((cert.validToDate.getTime() - Date.now()) / DAY)).toBe(90);
    expect(fs.statSync(r.keyPath).mode & 0o777).toBe(0o600);
    expect(index().issued.map((e) => [e.serial, e.supersededBy])).toEqual([
      [oldCert.serialNumber, cert.serialNumber],
      [cert.serialNumber, undefined],
    ]);
    expect(r.previous.serial).toBe(oldCert.serialNumber);
    // The old certificate is not revoked by renewal: it stays valid until it expires.
    expect(verdict(r.certPath)).toBe('OK');
    // No stray temporary files next to the certificate.
    expect(fs.readdirSync(path.dirname(r.certPath)).sort()).toEqual(['bridge.test.crt', 'bridge.test.key']);
  });

  it('--reuse-key keeps the key file and certifies the same key; server certificates keep exactly their name', () => {
    const old = issueToDir(caDir, { role: 'server', name: 'signet-server.test', keyPair: key(1) });
    const keyBefore = fs.readFileSync(old.keyPath);
    const r = renewInDir(caDir, { name: 'signet-server.test', reuseKey: true });
    expect(fs.readFileSync(r.keyPath)).toEqual(keyBefore);
    const cert = x509(r.certPath);
    expect(cert.checkPrivateKey(key(1).privateKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:signet-server.test');
    expect(roleOf(cert)).toBe('server');
  });

  it('renews a revoked certificate with a new key, but refuses --reuse-key for it', () => {
    issueToDir(caDir, { role: 'client', name: 'alice', keyPair: key(1) });
    revokeInDir(caDir, { name: 'alice', reason: 'keyCompromise' });
    expect(() => renewInDir(caDir, { name: 'alice', reuseKey: true })).toThrow(code('PKI_KEY_REVOKED'));
    const r = renewInDir(caDir, { name: 'alice', keyPair: key(2) });
    expect(verdict(r.certPath)).toBe('OK');
    expect(listDir(caDir).certificates.map((c) => c.status)).toEqual(['revoked', 'valid']);
  });

  it('refuses a name never issued, a key that is not the certificate\'s, and --key-bits with --reuse-key', () => {
    expect(() => renewInDir(caDir, { name: 'nobody', keyPair: key(1) })).toThrow(code('PKI_UNKNOWN_NAME'));
    const alice = issueToDir(caDir, { role: 'client', name: 'alice', keyPair: key(1) });
    fs.writeFileSync(alice.keyPath, key(3).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => renewInDir(caDir, { name: 'alice', reuseKey: true })).toThrow(code('PKI_BAD_KEY'));
    fs.rmSync(alice.keyPath);
    expect(() => renewInDir(caDir, { name: 'alice', reuseKey: true })).toThrow(code('PKI_BAD_KEY'));
    expect(() => renewInDir(caDir, { name: 'alice', reuseKey: true, keyBits: 2048 })).toThrow(code('PKI_USAGE'));
    expect(index().issued).toHaveLength(1);
  });
});

describe('list --expiring-within', () => {
  it('keeps only certificates in use that expire within N days, expired ones included', () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    issueToDir(caDir, { role: 'client', name: 'soon', days: 10, keyPair: key(1), now });
    issueToDir(caDir, { role: 'client', name: 'later', days: 100, keyPair: key(1), now });
    issueToDir(caDir, { role: 'client', name: 'gone', notBefore: new Date(now.getTime() - 30 * DAY), notAfter: new Date(now.getTime() - DAY), keyPair: key(1), now });
    issueToDir(caDir, { role: 'client', name: 'revoked', days: 5, keyPair: key(1), now });
    revokeInDir(caDir, { name: 'revoked', now });
    issueToDir(caDir, { role: 'client', name: 'renewed', days: 5, keyPair: key(1), now });
    renewInDir(caDir, { name: 'renewed', days: 200, keyPair: key(1), now });
    const names = (days: number) => listDir(caDir, now, { expiringWithinDays: days }).certificates.map((c) => c.name);
    expect(names(30)).toEqual(['soon', 'gone']);
    expect(names(100)).toEqual(['soon', 'later', 'gone']);
    expect(names(0)).toEqual(['gone']);
    expect(listDir(caDir, now).certificates).toHaveLength(6);
  });
});

describe('rollover and retire-ca', () => {
  it('trusts old and new CA side by side, issues with the new one, and retires the old one once renewed', () => {
    const bridge = issueToDir(caDir, { role: 'bridge', name: 'localhost', ip: ['127.0.0.1'], keyPair: key(1) });
    const alice = issueToDir(caDir, { role: 'client', name: 'alice', keyPair: key(1) });
    const mallory = issueToDir(caDir, { role: 'client', name: 'mallory', keyPair: key(1) });
    const oldCa = index().ca;
    const oldCaPem = read('ca.crt');

    const r = rolloverCa(caDir, { keyPair: key(3) });
    expect(r.ca.name).toBe('Signet CA g2');
    expect(r.previous).toMatchObject({ serial: oldCa.serial, path: `previous/${oldCa.serial}` });
    expect(read(`previous/${oldCa.serial}/ca.crt`)).toBe(oldCaPem);
    expect(fs.statSync(file(`previous/${oldCa.serial}/ca.key`)).mode & 0o777).toBe(0o600);
    expect(x509(file('ca.crt')).subject).toBe('CN=Signet CA g2');
    // Bundles: new CA first, then the old one; one CRL per CA, each signed by its own CA.
    expect(read('ca-bundle.pem')).toBe(read('ca.crt') + oldCaPem);
    expect(read('crl-bundle.pem')).toBe(read('crl.pem') + read(`previous/${oldCa.serial}/crl.pem`));
    const caFile = path.join(dir, 'new-ca.crt');
    fs.writeFileSync(caFile, read('ca.crt'));
    expect(openssl('crl', '-in', file('crl.pem'), '-noout', '-CAfile', caFile).out.trim()).toBe('verify OK');
    expect(openssl('crl', '-in', file(`previous/${oldCa.serial}/crl.pem`), '-noout', '-CAfile', file(`previous/${oldCa.serial}/ca.crt`)).out.trim()).toBe('verify OK');

    // Old certificates still verify against the bundle; a revocation of one lands in the OLD CA's CRL.
    expect(verdict(bridge.certPath)).toBe('OK');
    revokeInDir(caDir, { name: 'mallory', reason: 'keyCompromise' });
    expect(crlText(`previous/${oldCa.serial}/crl.pem`)).toContain(mallory.entry.serial);
    expect(crlText('crl.pem')).toContain('No Revoked Certificates.');
    expect(verdict(mallory.certPath)).toBe('certificate revoked');

    // New certificates come from the new CA.
    const bob = issueToDir(caDir, { role: 'client', name: 'bob', keyPair: key(2) });
    expect(x509(bob.certPath).issuer).toBe('CN=Signet CA g2');
    expect(verdict(bob.certPath)).toBe('OK');
    expect(() => rolloverCa(caDir, { keyPair: key(2) })).toThrow(code('PKI_ROLLOVER_PENDING'));

    // Retiring refuses while bridge and alice still hold old-CA certificates.
    expect(() => retireCa(caDir, { serial: oldCa.serial })).toThrow(code('PKI_CA_IN_USE'));
    renewInDir(caDir, { name: 'localhost', reuseKey: true });
    expect(() => retireCa(caDir, { serial: oldCa.serial })).toThrow(code('PKI_CA_IN_USE'));
    const oldAlice = path.join(dir, 'old-alice.crt');
    fs.copyFileSync(alice.certPath, oldAlice);
    renewInDir(caDir, { name: 'alice', keyPair: key(2) });
    expect(x509(alice.certPath).issuer).toBe('CN=Signet CA g2');
    expect(verdict(oldAlice)).toBe('OK'); // superseded, not revoked: valid until retirement
    const retired = retireCa(caDir, { serial: oldCa.serial });
    expect(retired.outstanding).toEqual([]);
    expect(read('ca-bundle.pem')).toBe(read('ca.crt'));
    expect(read('crl-bundle.pem')).toBe(read('crl.pem'));
    expect(verdict(bridge.certPath)).toBe('OK'); // renewed in place under the new CA
    // Certificates of the retired CA are no longer trusted anywhere the new bundle is deployed.
    expect(verdict(oldAlice)).toBe('unable to get local issuer certificate');
    expect(listDir(caDir).previous.map((p) => [p.serial, p.retiredAt !== undefined])).toEqual([[oldCa.serial, true]]);

    // After retirement the next rollover is allowed again, named by generation.
    const third = rolloverCa(caDir, { keyPair: key(1) });
    expect(third.ca.name).toBe('Signet CA g3');
    expect(read('ca-bundle.pem').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it('retire-ca refuses the current CA, an unknown serial, a CA retired already; --force retires anyway', () => {
    issueToDir(caDir, { role: 'client', name: 'alice', keyPair: key(1) });
    const oldSerial = index().ca.serial;
    expect(() => retireCa(caDir, { serial: oldSerial })).toThrow(code('PKI_CA_CURRENT'));
    rolloverCa(caDir, { name: 'Build CA 2027', keyPair: key(2) });
    expect(x509(file('ca.crt')).subject).toBe('CN=Build CA 2027');
    expect(() => retireCa(caDir, { serial: index().ca.serial })).toThrow(code('PKI_CA_CURRENT'));
    expect(() => retireCa(caDir, { serial: 'ABCDEF' })).toThrow(code('PKI_UNKNOWN_SERIAL'));
    const forced = retireCa(caDir, { serial: oldSerial, force: true });
    expect(forced.outstanding.map((e) => e.name)).toEqual(['alice']);
    expect(() => retireCa(caDir, { serial: oldSerial, force: true })).toThrow(code('PKI_CA_RETIRED'));
  });

  it('rollover refuses a bad CA name and leaves the directory as it was', () => {
    const before = read('ca.crt');
    expect(() => rolloverCa(caDir, { name: 'bad\nname', keyPair: key(2) })).toThrow(code('PKI_BAD_NAME'));
    expect(read('ca.crt')).toBe(before);
    expect(fs.existsSync(file('previous'))).toBe(false);
    expect(nextCaName('Signet CA')).toBe('Signet CA g2');
    expect(nextCaName('Signet CA g9')).toBe('Signet CA g10');
  });
});
