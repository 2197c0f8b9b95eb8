import { sign, verify, X509Certificate } from 'node:crypto';
import { derElementBytes, readDerChildren, readDerWhole } from '@signet/protocol';
import { loadCa, type CaMaterial } from './certificate.ts';
import {
  derBitString,
  derEnumerated,
  derExplicit,
  derImplicitPrimitive,
  derInteger,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derTime,
} from './der.ts';
import { PkiError } from './errors.ts';
import { parseDays } from './validity.ts';

/**
 * X.509 v2 certificate revocation lists (RFC 5280 section 5), built as DER here and
 * signed sha256WithRSA by node:crypto with the CA key. Pure: PEM in, PEM out.
 */

/** The reasons signet-pki records, with their CRLReason codes (RFC 5280 5.3.1). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  superseded: 4,
  cessationOfOperation: 5,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;
export const REVOCATION_REASON_NAMES = Object.keys(REVOCATION_REASONS) as RevocationReason[];

/** Default CRL lifetime (thisUpdate to nextUpdate). */
export const DEFAULT_CRL_DAYS = 7;
/** Longest CRL lifetime accepted: a CRL is only as fresh as its nextUpdate. */
export const MAX_CRL_DAYS = 366;

/** CRL lifetime in days, 1 to MAX_CRL_DAYS; PKI_BAD_VALIDITY otherwise. */
export function parseCrlDays(value: number | string): number {
  const days = parseDays(value);
  if (days > MAX_CRL_DAYS) {
    throw new PkiError('PKI_BAD_VALIDITY', `a CRL may last at most ${MAX_CRL_DAYS} days: a longer one lets a stale copy hide new revocations; run 'signet-pki crl' regularly instead`);
  }
  return days;
}

const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const OID_CRL_REASON = '2.5.29.21';
const OID_CRL_NUMBER = '2.5.29.20';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
/** RFC 5280 5.2.3: CRL numbers are at most 20 octets; we stay well inside a safe integer. */
const MAX_CRL_NUMBER = Number.MAX_SAFE_INTEGER;

export interface RevokedSerial {
  /** Uppercase hex, as in index.json. */
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlOptions {
  /** Monotonic CRL number (RFC 5280 5.2.3). */
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: readonly RevokedSerial[];
  /** The clock for the CA validity check; default `thisUpdate`. */
  now?: Date;
}

/** A signed CRL as PEM ("-----BEGIN X509 CRL-----"). The CA must be valid at `now`. */
export function createCrl(ca: CaMaterial, opts: CrlOptions): string {
  if (!Number.isSafeInteger(opts.crlNumber) || opts.crlNumber < 0 || opts.crlNumber > MAX_CRL_NUMBER) {
    throw new PkiError('PKI_BAD_INDEX', `CRL number ${opts.crlNumber} is out of range`);
  }
  if (opts.nextUpdate <= opts.thisUpdate) {
    throw new PkiError('PKI_BAD_VALIDITY', 'CRL nextUpdate must be later than thisUpdate');
  }
  const issuer = loadCa(ca, opts.now ?? opts.thisUpdate);
  const algorithm = derSequence(derOid(OID_SHA256_WITH_RSA), derNull());
  // Sorted by serial so the same revocations always give the same bytes.
  const entries = [...opts.revoked].sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0)).map(revokedEntry);
  const tbs = derSequence(
    derInteger(1), // v2
    algorithm,
    issuerName(ca.certPem),
    derTime(opts.thisUpdate),
    derTime(opts.nextUpdate),
    // RFC 5280 5.1.2.6: an empty list is absent, not an empty SEQUENCE.
    ...(entries.length > 0 ? [derSequence(...entries)] : []),
    derExplicit(
      0,
      derSequence(
        extension(OID_AUTHORITY_KEY_ID, derSequence(derImplicitPrimitive(0, Buffer.from(issuer.keyId, 'binary')))),
        extension(OID_CRL_NUMBER, derInteger(opts.crlNumber)),
      ),
    ),
  );
  const signature = sign('sha256', tbs, issuer.privateKey);
  // Threat: publishing a CRL nobody can verify, which peers would treat as no CRL at all.
  if (!verify('sha256', tbs, issuer.publicKey, signature)) {
    throw new PkiError('PKI_BAD_CA', 'freshly signed CRL does not verify under the CA key');
  }
  return toPem(derSequence(tbs, algorithm, derBitString(signature)));
}

function revokedEntry(r: RevokedSerial): Buffer {
  const code = REVOCATION_REASONS[r.reason];
  // RFC 5280 5.3.1: the reason code "unspecified" SHOULD be absent rather than stated.
  const exts = code === 0 ? [] : [derSequence(extension(OID_CRL_REASON, derEnumerated(code)))];
  return derSequence(derInteger(r.serial), derTime(r.revokedAt), ...exts);
}

/** Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE (omitted), extnValue }. */
function extension(oid: string, value: Buffer): Buffer {
  return derSequence(derOid(oid), derOctetString(value));
}

/**
 * The CA's subject Name, byte for byte as it appears in its certificate: verifiers
 * match a CRL to its CA by comparing this Name, so it is copied, never re-encoded.
 */
function issuerName(certPem: string): Buffer {
  const der = new X509Certificate(certPem).raw;
  const cert = readDerWhole(der, 0x30);
  const tbs = cert === undefined ? undefined : readDerChildren(der, cert)?.[0];
  const fields = tbs === undefined ? undefined : readDerChildren(der, tbs);
  const skip = fields?.[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const subject = fields?.[skip + 4];
  if (subject === undefined || subject.tag !== 0x30) {
    throw new PkiError('PKI_BAD_CA', 'CA certificate structure cannot be read');
  }
  return derElementBytes(der, subject);
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN X509 CRL-----\n${b64}-----END X509 CRL-----\n`;
}
