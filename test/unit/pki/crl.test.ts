import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createCa, createCrl, generateRsaKeyPair, issueCertificate, MAX_CRL_DAYS, parseCrlDays, type CaMaterial, type KeyPair } from '@signet/pki';
import { derInteger, derTime } from '../../../pki/src/der.ts';
import { extensionsOf, OID_SKID } from './x509-extensions.ts';
import { openssl, verifyWithCrl } from './openssl.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;

let dir: string;
let ca: CaMaterial;
let keys: KeyPair[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  keys = Array.from({ length: 2 }, () => generateRsaKeyPair(2048));
  ca = createCa({ name: 'CRL Test CA', keyPair: keys[0], notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2045-01-01T00:00:00Z') });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('createCrl', () => {
  it('is an X.509 v2 CRL, sha256WithRSA, with dates, reason codes, CRL number and AKID as OpenSSL reads them', () => {
    const pem = createCrl(ca, {
      crlNumber: 42,
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + 7 * DAY),
      now: NOW,
      revoked: [
        { serial: '7F01', revokedAt: new Date('2026-02-01T10:00:00Z'), reason: 'keyCompromise' },
        { serial: '0A', revokedAt: new Date('2026-02-02T10:00:00Z'), reason: 'superseded' },
        { serial: 'FF', revokedAt: new Date('2026-02-03T10:00:00Z'), reason: 'cessationOfOperation' },
        { serial: '1234', revokedAt: new Date('2026-02-04T10:00:00Z'), reason: 'unspecified' },
      ],
    });
    expect(pem).toMatch(/^-----BEGIN X509 CRL-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END X509 CRL-----\n$/);
    const text = openssl('crl', '-in', write('full.pem', pem), '-noout', '-text').out;
    expect(text).toContain('Version 2 (0x1)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toContain('Issuer: CN = CRL Test CA');
    expect(text).toContain('Last Update: Mar  1 12:00:00 2026 GMT');
    expect(text).toContain('Next Update: Mar  8 12:00:00 2026 GMT');
    expect(text).toMatch(/X509v3 CRL Number: \n\s+42\n/);
    const skid = extensionsOf(ca.certPem).get(OID_SKID)?.value.subarray(2).toString('hex').toUpperCase().match(/../g)?.join(':');
    expect(text).toMatch(new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${skid}\\n`));
    // Entries sorted by serial; a positive INTEGER gets a leading zero octet when its high bit is set.
    const entries = [...text.matchAll(/Serial Number: (\S+)\n\s+Revocation Date: ([^\n]+)\n(\s+CRL entry extensions:\n\s+X509v3 CRL Reason Code: \n\s+([^\n]+))?/g)];
    expect(entries.map((m) => [m[1], m[2], m[4]?.trim()])).toEqual([
      ['0A', 'Feb  2 10:00:00 2026 GMT', 'Superseded'],
      ['1234', 'Feb  4 10:00:00 2026 GMT', undefined], // unspecified: no reason extension (RFC 5280 5.3.1)
      ['7F01', 'Feb  1 10:00:00 2026 GMT', 'Key Compromise'],
      ['FF', 'Feb  3 10:00:00 2026 GMT', 'Cessation Of Operation'],
    ]);
  });

  it('is signed by the CA: OpenSSL verifies it with the CA and refuses it with another CA', () => {
    const pem = createCrl(ca, { crlNumber: 1, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + DAY), revoked: [], now: NOW });
    const file = write('empty.pem', pem);
    expect(openssl('crl', '-in', file, '-noout', '-text').out).toContain('No Revoked Certificates.');
    const good = openssl('crl', '-in', file, '-noout', '-CAfile', write('ca.crt', ca.certPem));
    expect([good.status, good.out.trim()]).toEqual([0, 'verify OK']);
    const other = createCa({ name: 'CRL Test CA', keyPair: keys[1], notBefore: new Date('2025-01-01T00:00:00Z'), days: 3650 });
    const bad = openssl('crl', '-in', file, '-noout', '-CAfile', write('other.crt', other.certPem));
    // openssl crl exits 0 either way (3.0); its verdict is the text.
    expect(bad.out.trim()).toBe('verify failure');
  });

  it('makes openssl verify -crl_check report the revoked certificate as revoked and a good one as OK', () => {
    const now = new Date();
    const revoked = issueCertificate(ca, { role: 'client', name: 'mallory', keyPair: keys[1], now });
    const good = issueCertificate(ca, { role: 'client', name: 'alice', keyPair: keys[1], now });
    const crl = createCrl(ca, {
      crlNumber: 2,
      thisUpdate: new Date(now.getTime() - 60_000),
      nextUpdate: new Date(now.getTime() + DAY),
      revoked: [{ serial: revoked.serial, revokedAt: now, reason: 'keyCompromise' }],
    });
    const caFile = write('ca.crt', ca.certPem);
    const crlFile = write('crl.pem', crl);
    expect(verifyWithCrl(caFile, crlFile, write('revoked.crt', revoked.certPem))).toBe('certificate revoked');
    expect(verifyWithCrl(caFile, crlFile, write('good.crt', good.certPem))).toBe('OK');
    // Without the CRL OpenSSL has nothing to say about the revoked one.
    const plain = openssl('verify', '-CAfile', caFile, path.join(dir, 'revoked.crt'));
    expect(plain.status).toBe(0);
  });

  it('writes GeneralizedTime from 2050 on, UTCTime before', () => {
    expect(derTime(new Date('2049-12-31T23:59:59Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(derTime(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
    const pem = createCrl(ca, { crlNumber: 3, thisUpdate: NOW, nextUpdate: new Date('2051-06-01T00:00:00Z'), revoked: [], now: NOW });
    expect(openssl('crl', '-in', write('far.pem', pem), '-noout', '-nextupdate').out.trim()).toBe('nextUpdate=Jun  1 00:00:00 2051 GMT');
  });

  it('encodes INTEGERs minimally and positive', () => {
    expect(derInteger(0).toString('hex')).toBe('020100');
    expect(derInteger(127).toString('hex')).toBe('02017f');
    expect(derInteger(128).toString('hex')).toBe('02020080');
    expect(derInteger('00007F').toString('hex')).toBe('02017f');
    expect(derInteger('80').toString('hex')).toBe('02020080');
    expect(derInteger('ABC').toString('hex')).toBe('02020abc');
  });

  it('refuses a reversed period, a CRL number out of range, and a CA outside its validity', () => {
    const base = { thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + DAY), revoked: [], now: NOW };
    expect(() => createCrl(ca, { ...base, crlNumber: 1, nextUpdate: NOW })).toThrow(expect.objectContaining({ code: 'PKI_BAD_VALIDITY' }));
    expect(() => createCrl(ca, { ...base, crlNumber: -1 })).toThrow(expect.objectContaining({ code: 'PKI_BAD_INDEX' }));
    expect(() => createCrl(ca, { ...base, crlNumber: 1, now: new Date('2024-12-31T00:00:00Z') })).toThrow(expect.objectContaining({ code: 'PKI_CA_EXPIRED' }));
  });

  it('parseCrlDays takes 1 to 366 days', () => {
    expect(parseCrlDays('7')).toBe(7);
    expect(parseCrlDays(MAX_CRL_DAYS)).toBe(366);
    for (const bad of ['0', '367', 'x', '-1']) expect(() => parseCrlDays(bad)).toThrow(expect.objectContaining({ code: 'PKI_BAD_VALIDITY' }));
  });
});
