import { z } from 'zod';
import type { Role } from '@signet/protocol';
import { PkiError } from './errors.ts';

/**
 * `index.json`: the record of the CA and of every certificate it issued. It is read
 * through a strict schema (unknown keys refused, every string bounded) because it is a
 * file anyone with write access to the directory could have edited.
 */
export const INDEX_VERSION = 1;
export const MAX_INDEX_BYTES = 16 * 1024 * 1024;
const MAX_ENTRIES = 100_000;

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
});

export const IndexSchema = z.strictObject({
  version: z.literal(INDEX_VERSION),
  ca: IndexCaSchema,
  issued: z.array(IndexEntrySchema).max(MAX_ENTRIES),
});

export type IndexCa = z.infer<typeof IndexCaSchema>;
export type IndexEntry = z.infer<typeof IndexEntrySchema>;
export type PkiIndex = z.infer<typeof IndexSchema>;

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
  const parsed = IndexSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
    throw new PkiError('PKI_BAD_INDEX', `index.json does not match its schema (${where}); restore it from backup`, { cause: parsed.error });
  }
  return parsed.data;
}

export function serializeIndex(index: PkiIndex): string {
  return `${JSON.stringify(IndexSchema.parse(index), null, 2)}\n`;
}
