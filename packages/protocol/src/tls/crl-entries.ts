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

interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the content. */
  readonly content: number;
  /** Offset just past the content. */
  readonly end: number;
}

/** One DER TLV at `at`, which must end by `limit`; undefined when it does not. */
function tlv(der: Buffer, at: number, limit: number): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags do not occur here
  let len = der[at + 1] as number;
  let content = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || content + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[content + i] as number);
    content += n;
  }
  const end = content + len;
  return end > limit ? undefined : { tag, start: at, content, end };
}

function children(der: Buffer, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let at = parent.content; at < parent.end; ) {
    const t = tlv(der, at, parent.end);
    if (t === undefined) return undefined;
    out.push(t);
    at = t.end;
  }
  return out;
}

function serialHex(der: Buffer, t: Tlv): string {
  let from = t.content;
  while (from < t.end - 1 && der[from] === 0) from++;
  return der.subarray(from, t.end).toString('hex');
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const TIME = new Set([0x17, 0x18]);

function pemToDer(pem: Buffer): Buffer | undefined {
  const m = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\r\n]+)-----END X509 CRL-----/.exec(pem.toString('latin1'));
  return m === null ? undefined : Buffer.from((m[1] as string).replace(/[\r\n]/g, ''), 'base64');
}

/** The issuer and revoked serials of one PEM CRL. TLS_FILE_UNREADABLE when it does not parse. */
export function parseCrlEntries(pem: Buffer): CrlEntries {
  const bad = (why: string): never => {
    throw new TlsConfigError('TLS_FILE_UNREADABLE', `a CRL in the bundle cannot be read for its entries: ${why}`);
  };
  const der = pemToDer(pem) ?? bad('not a PEM X509 CRL');
  const list = tlv(der, 0, der.length);
  if (list === undefined || list.tag !== SEQUENCE || list.end !== der.length) bad('not one DER SEQUENCE');
  const tbs = (children(der, list as Tlv) ?? bad('malformed CertificateList'))[0];
  if (tbs === undefined || tbs.tag !== SEQUENCE) bad('no TBSCertList');
  const fields = children(der, tbs as Tlv) ?? bad('malformed TBSCertList');
  let i = 0;
  if (fields[i]?.tag === INTEGER) i++; // version
  if (fields[i]?.tag !== SEQUENCE) bad('no signature algorithm');
  i++;
  const issuer = fields[i];
  if (issuer?.tag !== SEQUENCE) bad('no issuer Name');
  i++;
  if (!TIME.has(fields[i]?.tag ?? -1)) bad('no thisUpdate');
  i++;
  if (TIME.has(fields[i]?.tag ?? -1)) i++; // nextUpdate
  const serials = new Set<string>();
  const revoked = fields[i];
  if (revoked?.tag === SEQUENCE) {
    for (const entry of children(der, revoked) ?? bad('malformed revokedCertificates')) {
      const serial = entry.tag === SEQUENCE ? (children(der, entry) ?? [])[0] : undefined;
      if (serial?.tag !== INTEGER) bad('a revoked entry without a serial number');
      serials.add(serialHex(der, serial as Tlv));
    }
  }
  const is = issuer as Tlv;
  return { issuer: Buffer.from(der.subarray(is.start, is.end)), serials };
}

/** Issuer Name DER and serial (lowercase hex) of a DER certificate; undefined when it does not parse. */
export function certificateIssuerSerial(der: Buffer): { issuer: Buffer; serial: string } | undefined {
  const cert = tlv(der, 0, der.length);
  if (cert === undefined || cert.tag !== SEQUENCE) return undefined;
  const tbs = children(der, cert)?.[0];
  if (tbs === undefined || tbs.tag !== SEQUENCE) return undefined;
  const fields = children(der, tbs);
  if (fields === undefined) return undefined;
  let i = 0;
  if (fields[i]?.tag === 0xa0) i++; // [0] version
  const serial = fields[i];
  const issuer = fields[i + 2];
  if (serial?.tag !== INTEGER || fields[i + 1]?.tag !== SEQUENCE || issuer?.tag !== SEQUENCE) return undefined;
  return { issuer: der.subarray(issuer.start, issuer.end), serial: serialHex(der, serial) };
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
