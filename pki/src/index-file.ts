import { z } from 'zod';
import type { Role } from '@signet/protocol';
import { DEFAULT_CRL_DAYS, MAX_CRL_DAYS, REVOCATION_REASON_NAMES, type RevocationReason } from './crl.ts';
import { PkiError } from './errors.ts';

/**
 * `index.json`: the record of the CA and of every certificate it issued. It is read
 * through a strict schema (unknown keys refused, every string bounded) because it is a
 * file anyone with write access to the directory could have edited.
 */
export const INDEX_VERSION = 2;
export const MAX_INDEX_BYTES = 16 * 1024 * 1024;
const MAX_ENTRIES = 100_000;
const MAX_PREVIOUS_CAS = 100;

/** The Signet roles, as a tuple zod can enumerate (a unit test keeps it equal to ROLES). */
export const INDEX_ROLES = ['client', 'bridge', 'server'] as const satisfies readonly Role[];

const Serial = z.string().regex(/^[0-9A-F]{2,40}$/, 'uppercase hex serial');
const Timestamp = z.iso.datetime();
const Name = z.string().min(1).max(253);

export const IndexCaSchema = z.strictObject({
  name: z.string().min(1).max(64),
  serial: Serial,
  notBefore: Timestamp,
  notAfter: Timestamp,
  /** SHA-256 fingerprint of the CA certificate, colon-separated hex. */
  fingerprint256: z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
});

const Reason = z.enum(REVOCATION_REASON_NAMES as [RevocationReason, ...RevocationReason[]]);

export const RevocationSchema = z.strictObject({
  at: Timestamp,
  reason: Reason,
});

/**
 * A CA replaced by `rollover`. Its files sit in `path` (always `previous/SERIAL`: the
 * pattern stops an edited index pointing signet-pki at files elsewhere). Until it is
 * retired it stays in ca-bundle.pem and its CRL in crl-bundle.pem.
 */
export const PreviousCaSchema = IndexCaSchema.extend({
  path: z.string().regex(/^previous\/[0-9A-F]{2,40}$/),
  replacedAt: Timestamp,
  retiredAt: Timestamp.optional(),
});

export const CrlStateSchema = z.strictObject({
  /** The last CRL number used; the next CRL gets a higher one. */
  number: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Lifetime of the CRLs written, in days (set by `crl --days`). */
  days: z.int().min(1).max(MAX_CRL_DAYS),
  /** nextUpdate of the CRLs last written. */
  nextUpdate: Timestamp.optional(),
});

export const IndexEntrySchema = z.strictObject({
  serial: Serial,
  role: z.enum(INDEX_ROLES),
  name: Name,
  dns: z.array(Name).max(100),
  ip: z.array(z.string().min(2).max(45)).max(100),
  notBefore: Timestamp,
  notAfter: Timestamp,
  issuedAt: Timestamp,
  /** Certificate file, relative to the CA directory (the key sits next to it as .key). */
  path: z.string().min(1).max(4096),
  /** Serial of the certificate that replaced this one at the same path (issue --force). */
  supersededBy: Serial.optional(),
  /** Serial of the CA that signed it (absent in version 1 indexes: the CA of the index). */
  issuer: Serial,
  revoked: RevocationSchema.optional(),
});

export const IndexSchema = z.strictObject({
  version: z.literal(INDEX_VERSION),
  ca: IndexCaSchema,
  previous: z.array(PreviousCaSchema).max(MAX_PREVIOUS_CAS),
  crl: CrlStateSchema,
  issued: z.array(IndexEntrySchema).max(MAX_ENTRIES),
});

/** index.json as signet-pki 0.1 wrote it, before revocation and rollover. */
const IndexV1Schema = z.strictObject({
  version: z.literal(1),
  ca: IndexCaSchema,
  issued: z.array(IndexEntrySchema.omit({ issuer: true, revoked: true })).max(MAX_ENTRIES),
});

export type IndexCa = z.infer<typeof IndexCaSchema>;
export type PreviousCa = z.infer<typeof PreviousCaSchema>;
export type IndexEntry = z.infer<typeof IndexEntrySchema>;

/** The index row of a certificate just issued by the CA with serial `issuer`. */
export function indexEntryFor(
  issued: { serial: string; role: IndexEntry['role']; name: string; dns: string[]; ip: string[]; notBefore: Date; notAfter: Date },
  at: { issuedAt: Date; path: string; issuer: string },
): IndexEntry {
  return {
    serial: issued.serial,
    role: issued.role,
    name: issued.name,
    dns: issued.dns,
    ip: issued.ip,
    notBefore: issued.notBefore.toISOString(),
    notAfter: issued.notAfter.toISOString(),
    issuedAt: at.issuedAt.toISOString(),
    path: at.path,
    issuer: at.issuer,
  };
}
export type Revocation = z.infer<typeof RevocationSchema>;
export type PkiIndex = z.infer<typeof IndexSchema>;

/** An index with no certificates for a new CA. */
export function emptyIndex(ca: IndexCa): PkiIndex {
  return { version: INDEX_VERSION, ca, previous: [], crl: { number: 0, days: DEFAULT_CRL_DAYS }, issued: [] };
}

/** Parses index.json text; PKI_BAD_INDEX on anything but a well-formed index. */
export function parseIndex(text: string): PkiIndex {
  if (Buffer.byteLength(text) > MAX_INDEX_BYTES) {
    throw new PkiError('PKI_BAD_INDEX', `index.json is larger than ${MAX_INDEX_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PkiError('PKI_BAD_INDEX', 'index.json is not valid JSON; restore it from backup', { cause: err });
  }
  // Version 1 is read and upgraded in memory; the next write stores version 2.
  const v1 = (json as { version?: unknown } | null)?.version === 1;
  const parsed = v1 ? IndexV1Schema.safeParse(json) : IndexSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
    throw new PkiError('PKI_BAD_INDEX', `index.json does not match its schema (${where}); restore it from backup`, { cause: parsed.error });
  }
  if (parsed.data.version === 1) {
    const old = parsed.data;
    return { ...emptyIndex(old.ca), issued: old.issued.map((e) => ({ ...e, issuer: old.ca.serial })) };
  }
  return parsed.data as PkiIndex;
}

export function serializeIndex(index: PkiIndex): string {
  return `${JSON.stringify(IndexSchema.parse(index), null, 2)}\n`;
}
