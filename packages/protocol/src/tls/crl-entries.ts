import { derElementBytes, readDer, readDerChildren, readDerWhole, type DerElement } from '../der.ts';
import { TlsConfigError } from './material.ts';

/**
 * Which certificates a CRL revokes, read from its DER, so that a party can end sessions
 * that were opened before the revocation (node:tls applies a CRL to new handshakes only).
 * Pure. The CRLs come from a bundle OpenSSL has already accepted (parseCrlBundle); the
 * certificates from completed handshakes. A certificate is revoked by a CRL when the CRL's
 * issuer Name is byte-for-byte the certificate's issuer Name and its serial is listed.
 */

export interface CrlEntries {
  /** DER of the CRL's issuer Name. */
  readonly issuer: Buffer;
  /** Revoked serial numbers, lowercase hex without leading zero bytes. */
  readonly serials: ReadonlySet<string>;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const TIME = new Set([0x17, 0x18]);

function serialHex(der: Buffer, t: DerElement): string {
  let from = t.start;
  while (from < t.end - 1 && der[from] === 0) from++;
  return der.subarray(from, t.end).toString('hex');
}

function unreadable(why: string): never {
  throw new TlsConfigError('TLS_FILE_UNREADABLE', `a CRL in the bundle cannot be read for its entries: ${why}`);
}

function pemToDer(pem: Buffer): Buffer | undefined {
  const m = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\r\n]+)-----END X509 CRL-----/.exec(pem.toString('latin1'));
  return m === null ? undefined : Buffer.from((m[1] as string).replace(/[\r\n]/g, ''), 'base64');
}

/** The issuer and revoked serials of one DER CRL. TLS_FILE_UNREADABLE when it does not parse. */
export function crlEntriesOfDer(der: Buffer): CrlEntries {
  const list = readDerWhole(der, SEQUENCE) ?? unreadable('not one DER SEQUENCE');
  const tbs = (readDerChildren(der, list) ?? unreadable('malformed CertificateList'))[0];
  if (tbs === undefined || tbs.tag !== SEQUENCE) unreadable('no TBSCertList');
  const fields = readDerChildren(der, tbs) ?? unreadable('malformed TBSCertList');
  let i = 0;
  if (fields[i]?.tag === INTEGER) i++; // version
  if (fields[i]?.tag !== SEQUENCE) unreadable('no signature algorithm');
  i++;
  const issuer = fields[i];
  if (issuer?.tag !== SEQUENCE) unreadable('no issuer Name');
  i++;
  if (!TIME.has(fields[i]?.tag ?? -1)) unreadable('no thisUpdate');
  i++;
  if (TIME.has(fields[i]?.tag ?? -1)) i++; // nextUpdate
  const serials = new Set<string>();
  const revoked = fields[i];
  if (revoked?.tag === SEQUENCE) {
    for (const entry of readDerChildren(der, revoked) ?? unreadable('malformed revokedCertificates')) {
      const serial = entry.tag === SEQUENCE ? (readDerChildren(der, entry) ?? [])[0] : undefined;
      if (serial?.tag !== INTEGER) unreadable('a revoked entry without a serial number');
      serials.add(serialHex(der, serial));
    }
  }
  return { issuer: Buffer.from(derElementBytes(der, issuer)), serials };
}

/** The issuer and revoked serials of one PEM CRL. TLS_FILE_UNREADABLE when it does not parse. */
export function parseCrlEntries(pem: Buffer): CrlEntries {
  return crlEntriesOfDer(pemToDer(pem) ?? unreadable('not a PEM X509 CRL'));
}

/** Issuer Name DER and serial (lowercase hex) of a DER certificate; undefined when it does not parse. */
export function certificateIssuerSerial(der: Buffer): { issuer: Buffer; serial: string } | undefined {
  const cert = readDer(der, 0, der.length);
  if (cert === undefined || cert.tag !== SEQUENCE) return undefined;
  const tbs = readDerChildren(der, cert)?.[0];
  if (tbs === undefined || tbs.tag !== SEQUENCE) return undefined;
  const fields = readDerChildren(der, tbs);
  if (fields === undefined) return undefined;
  let i = 0;
  if (fields[i]?.tag === 0xa0) i++; // [0] version
  const serial = fields[i];
  const issuer = fields[i + 2];
  if (serial?.tag !== INTEGER || fields[i + 1]?.tag !== SEQUENCE || issuer?.tag !== SEQUENCE) return undefined;
  return { issuer: derElementBytes(der, issuer), serial: serialHex(der, serial) };
}

/**
 * Whether any of `crls` revokes the certificate `certDer`. A certificate that does not
 * parse counts as revoked (fail closed: it came from a handshake OpenSSL completed, so this
 * would be a bug, and ending a session is the safe side).
 */
export function isRevokedBy(certDer: Buffer, crls: readonly CrlEntries[]): boolean {
  const id = certificateIssuerSerial(certDer);
  if (id === undefined) return true;
  return crls.some((c) => c.serials.has(id.serial) && c.issuer.equals(id.issuer));
}
