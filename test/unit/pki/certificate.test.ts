import { createPrivateKey, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLE_OIDS, roleOf } from '@signet/protocol';
import {
  CLOCK_SKEW_MS,
  createCa,
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  generateRsaKeyPair,
  issueCertificate,
  type CaMaterial,
  type KeyPair,
} from '@signet/pki';
import {
  basicConstraints,
  extensionsOf,
  keyUsage,
  OID_AKID,
  OID_BASIC_CONSTRAINTS,
  OID_EXT_KEY_USAGE,
  OID_KEY_USAGE,
  OID_SAN,
  OID_SKID,
} from './x509-extensions.ts';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-03-01T12:00:00.000Z');

let ca: CaMaterial & { serial: string; notBefore: Date; notAfter: Date };
let caX509: X509Certificate;
let spareKeys: KeyPair[];

beforeAll(() => {
  ca = createCa({ keyBits: 2048, now: NOW });
  caX509 = new X509Certificate(ca.certPem);
  spareKeys = Array.from({ length: 3 }, () => generateRsaKeyPair(2048));
});

/** A leaf for `role`, reusing pre-generated keys so the suite stays fast. */
function leaf(role: 'bridge' | 'server' | 'client', name: string, extra: { dns?: string[]; ip?: string[] } = {}, i = 0) {
  const issued = issueCertificate(ca, { role, name, ...extra, now: NOW, keyPair: spareKeys[i] as KeyPair });
  return { issued, x509: new X509Certificate(issued.certPem) };
}

describe('createCa', () => {
  it('is a self-signed CA with critical basicConstraints pathLen 0 and keyCertSign + cRLSign', () => {
    expect(caX509.ca).toBe(true);
    expect(caX509.subject).toBe('CN=Signet CA');
    expect(caX509.issuer).toBe('CN=Signet CA');
    expect(caX509.verify(caX509.publicKey)).toBe(true);
    const exts = extensionsOf(ca.certPem);
    const bc = exts.get(OID_BASIC_CONSTRAINTS);
    expect(bc?.critical).toBe(true);
    expect(basicConstraints(bc!)).toEqual({ ca: true, pathLen: 0 });
    const ku = exts.get(OID_KEY_USAGE);
    expect(ku?.critical).toBe(true);
    expect(keyUsage(ku!)).toEqual(['cRLSign', 'keyCertSign']);
    expect(exts.has(OID_EXT_KEY_USAGE)).toBe(false);
    expect(exts.has(OID_SKID)).toBe(true);
  });

  it('is valid from now − 5 min for 3650 days by default, signed sha256WithRSA', () => {
    expect(caX509.validFromDate.getTime()).toBe(NOW.getTime() - CLOCK_SKEW_MS);
    expect(caX509.validToDate.getTime()).toBe(NOW.getTime() + 3650 * DAY);
    expect(ca.notBefore.getTime()).toBe(caX509.validFromDate.getTime());
    expect(ca.notAfter.getTime()).toBe(caX509.validToDate.getTime());
    expect(caX509.toLegacyObject().bits).toBe(2048);
    expect(ca.serial).toBe(caX509.serialNumber);
  });

  it('writes its key as PKCS#8 PEM matching the certificate', () => {
    expect(ca.keyPem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
    expect(caX509.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });

  it('takes a name, and RSA 3072 is the default key size', () => {
    const other = createCa({ name: 'Build Hub CA' });
    const x = new X509Certificate(other.certPem);
    expect(x.subject).toBe('CN=Build Hub CA');
    expect(x.toLegacyObject().bits).toBe(3072);
  });

  it('refuses bad names and validity', () => {
    const keyPair = spareKeys[0] as KeyPair;
    expect(() => createCa({ name: 'bad\nname', keyPair })).toThrow(expect.objectContaining({ code: 'PKI_BAD_NAME' }));
    expect(() => createCa({ days: 0, keyPair })).toThrow(expect.objectContaining({ code: 'PKI_BAD_VALIDITY' }));
    expect(() => createCa({ notBefore: NOW, notAfter: NOW, keyPair })).toThrow(expect.objectContaining({ code: 'PKI_BAD_VALIDITY' }));
    expect(() => createCa({ days: 10, notAfter: NOW, keyPair })).toThrow(expect.objectContaining({ code: 'PKI_BAD_VALIDITY' }));
  });
});

describe('issueCertificate', () => {
  it('bridge: serverAuth + bridge role, SAN DNS and IP, CN = first name', () => {
    const { x509, issued } = leaf('bridge', 'localhost', { ip: ['127.0.0.1', '::1'], dns: ['bridge.test'] });
    expect(roleOf(x509)).toBe('bridge');
    expect(x509.keyUsage).toEqual([EKU_SERVER_AUTH, ROLE_OIDS.bridge]);
    expect(x509.subject).toBe('CN=localhost');
    expect(x509.subjectAltName).toBe('DNS:localhost, DNS:bridge.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(issued).toMatchObject({ role: 'bridge', name: 'localhost', dns: ['localhost', 'bridge.test'], ip: ['127.0.0.1', '::1'] });
  });

  it('bridge named by an IP address puts it first as CN and IP SAN', () => {
    const { x509 } = leaf('bridge', '10.0.0.7', { dns: ['bridge.test'] });
    expect(x509.subject).toBe('CN=10.0.0.7');
    expect(x509.subjectAltName).toBe('DNS:bridge.test, IP Address:10.0.0.7');
  });

  it('server: serverAuth + clientAuth + server role, SAN DNS = its name', () => {
    const { x509 } = leaf('server', 'Signet-Server.test', {}, 1);
    expect(roleOf(x509)).toBe('server');
    expect(x509.keyUsage).toEqual([EKU_SERVER_AUTH, EKU_CLIENT_AUTH, ROLE_OIDS.server]);
    expect(x509.subject).toBe('CN=signet-server.test');
    expect(x509.subjectAltName).toBe('DNS:signet-server.test');
  });

  it('client: clientAuth + client role, CN = user name, no SAN', () => {
    const { x509 } = leaf('client', 'build_bot-1.x', {}, 2);
    expect(roleOf(x509)).toBe('client');
    expect(x509.keyUsage).toEqual([EKU_CLIENT_AUTH, ROLE_OIDS.client]);
    expect(x509.subject).toBe('CN=build_bot-1.x');
    expect(x509.subjectAltName).toBeUndefined();
  });

  it('every leaf: issued and signed by the CA, CA:FALSE, digitalSignature + keyEncipherment, AKID = CA SKID', () => {
    const caSkid = extensionsOf(ca.certPem).get(OID_SKID)?.value;
    for (const [role, name] of [['bridge', 'localhost'], ['server', 's.test'], ['client', 'alice']] as const) {
      const { x509, issued } = leaf(role, name);
      expect(x509.checkIssued(caX509)).toBe(true);
      expect(x509.verify(caX509.publicKey)).toBe(true);
      expect(x509.issuer).toBe('CN=Signet CA');
      expect(x509.ca).toBe(false);
      const exts = extensionsOf(issued.certPem);
      expect(exts.get(OID_BASIC_CONSTRAINTS)?.critical).toBe(true);
      expect(basicConstraints(exts.get(OID_BASIC_CONSTRAINTS)!)).toEqual({ ca: false, pathLen: undefined });
      expect(exts.get(OID_KEY_USAGE)?.critical).toBe(true);
      expect(keyUsage(exts.get(OID_KEY_USAGE)!)).toEqual(['digitalSignature', 'keyEncipherment']);
      expect(exts.get(OID_EXT_KEY_USAGE)?.critical).toBe(false);
      // AKID is SEQUENCE { [0] keyIdentifier }; the CA's SKID is an OCTET STRING: same 20 bytes.
      expect(exts.get(OID_AKID)?.value.subarray(4)).toEqual(caSkid?.subarray(2));
      expect(exts.has(OID_SAN)).toBe(role !== 'client');
    }
  });

  it('serial numbers are 16 random bytes, positive, and match the certificate', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { issued, x509 } = leaf('client', 'alice');
      expect(issued.serial).toBe(x509.serialNumber);
      expect(issued.serial).toMatch(/^[0-7][0-9A-F]{31}$/);
      expect(issued.serial.startsWith('00')).toBe(false);
      serials.add(issued.serial);
    }
    expect(serials.size).toBe(20);
  });

  it('validity: now − 5 min to now + 365 days by default, --days, explicit dates for expired / not-yet-valid', () => {
    const def = leaf('client', 'alice').x509;
    expect(def.validFromDate.getTime()).toBe(NOW.getTime() - CLOCK_SKEW_MS);
    expect(def.validToDate.getTime()).toBe(NOW.getTime() + 365 * DAY);

    const short = issueCertificate(ca, { role: 'client', name: 'alice', days: 7, now: NOW, keyPair: spareKeys[0] as KeyPair });
    expect(new X509Certificate(short.certPem).validToDate.getTime()).toBe(NOW.getTime() + 7 * DAY);

    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2020-02-01T00:00:00Z');
    const expired = issueCertificate(ca, { role: 'client', name: 'alice', notBefore, notAfter, now: NOW, keyPair: spareKeys[0] as KeyPair });
    const x = new X509Certificate(expired.certPem);
    expect([x.validFromDate, x.validToDate]).toEqual([notBefore, notAfter]);
    expect([expired.notBefore, expired.notAfter]).toEqual([notBefore, notAfter]);

    // Not yet valid: starts in a month, lasts `days` from its start.
    const later = new Date(NOW.getTime() + 30 * DAY);
    const future = issueCertificate(ca, { role: 'client', name: 'alice', notBefore: later, days: 10, now: NOW, keyPair: spareKeys[0] as KeyPair });
    const y = new X509Certificate(future.certPem);
    expect([y.validFromDate.getTime(), y.validToDate.getTime()]).toEqual([later.getTime(), later.getTime() + 10 * DAY]);
  });

  it('key: fresh PKCS#8 RSA of the asked size, matching the certificate', () => {
    const issued = issueCertificate(ca, { role: 'client', name: 'alice', keyBits: 2048, now: NOW });
    const key = createPrivateKey(issued.keyPem);
    expect(issued.keyPem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new X509Certificate(issued.certPem).checkPrivateKey(key)).toBe(true);
  });

  it('refuses bad user names, DNS names and addresses', () => {
    const keyPair = spareKeys[0] as KeyPair;
    const bad = (role: 'bridge' | 'server' | 'client', name: string, extra: { dns?: string[]; ip?: string[] } = {}) =>
      expect(() => issueCertificate(ca, { role, name, ...extra, now: NOW, keyPair })).toThrow(expect.objectContaining({ code: 'PKI_BAD_NAME' }));
    for (const name of ['Alice', '1alice', '../alice', 'al ice', '', 'a'.repeat(65), 'alice\n', 'ålice', '.alice']) bad('client', name);
    for (const name of ['under_score.test', '-x.test', 'x..test', '127.0.0.1', 'a/b', `${'a'.repeat(64)}.test`]) bad('server', name);
    bad('bridge', 'bad_name');
    bad('bridge', 'localhost', { ip: ['127.0.0.256'] });
    bad('bridge', 'localhost', { ip: ['fe80::1%eth0'] });
    bad('bridge', 'localhost', { dns: ['not a name'] });
  });

  it('refuses SAN options for client and server certificates', () => {
    const keyPair = spareKeys[0] as KeyPair;
    expect(() => issueCertificate(ca, { role: 'client', name: 'alice', dns: ['x.test'], now: NOW, keyPair })).toThrow(expect.objectContaining({ code: 'PKI_USAGE' }));
    expect(() => issueCertificate(ca, { role: 'server', name: 's.test', ip: ['10.0.0.1'], now: NOW, keyPair })).toThrow(expect.objectContaining({ code: 'PKI_USAGE' }));
  });

  it('refuses a CA whose key does not match, a leaf posing as CA, an expired CA, garbage', () => {
    const keyPair = spareKeys[0] as KeyPair;
    const opts = { role: 'client', name: 'alice', now: NOW, keyPair } as const;
    const other = createCa({ keyPair: spareKeys[1] as KeyPair, now: NOW });
    expect(() => issueCertificate({ certPem: ca.certPem, keyPem: other.keyPem }, opts)).toThrow(expect.objectContaining({ code: 'PKI_BAD_CA' }));
    const notCa = issueCertificate(ca, opts);
    expect(() => issueCertificate(notCa, opts)).toThrow(expect.objectContaining({ code: 'PKI_BAD_CA' }));
    expect(() => issueCertificate({ certPem: 'nonsense', keyPem: ca.keyPem }, opts)).toThrow(expect.objectContaining({ code: 'PKI_BAD_CA' }));
    const afterCa = new Date(ca.notAfter.getTime() + DAY);
    expect(() => issueCertificate(ca, { ...opts, now: afterCa })).toThrow(expect.objectContaining({ code: 'PKI_CA_EXPIRED' }));
  });
});
