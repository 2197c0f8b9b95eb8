import { KeyStoreError } from './errors.ts';
import { USER_NAME_PATTERN } from './names.ts';

/**
 * Audit entries: who had what signed, with which key, over which bytes. Append-only in the
 * database (triggers refuse UPDATE and DELETE). Issue 4 turns this into a hash chain.
 */

export interface AuditEntry {
  /** Default: the store's clock. */
  readonly time?: Date;
  /** The authenticated user (client certificate CN). */
  readonly user: string;
  /** Fingerprint of the key that signed (Signer.fingerprint), 40 hex upper case. */
  readonly keyFingerprint: string;
  /** What happened, e.g. "sign-rpm-header". */
  readonly kind: string;
  /** What was signed, e.g. "hello-0:2.0-1.x86_64". */
  readonly subject: string;
  /** SHA-256 of the signed bytes, 64 hex lower case. */
  readonly sha256: string;
  readonly requestId: string;
}

export interface AuditRecord {
  readonly seq: number;
  readonly time: string;
  readonly user: string;
  readonly keyFingerprint: string | null;
  readonly kind: string;
  readonly subject: string;
  readonly sha256: string | null;
  readonly requestId: string | null;
}

export const AUDIT_KIND_PATTERN = /^[a-z][a-z0-9.-]{0,63}$/;
export const AUDIT_SUBJECT_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,511}$/;
export const AUDIT_REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const FINGERPRINT_PATTERN = /^[0-9A-F]{40}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

function invalid(field: string, rule: string): KeyStoreError {
  return new KeyStoreError('AUDIT_INVALID', `audit entry field ${field} is invalid: ${rule}`);
}

/** Threat: log injection (newlines, control characters) and unbounded rows in the audit trail. */
export function parseAuditEntry(entry: AuditEntry, now: Date): Omit<AuditRecord, 'seq'> {
  const time = entry.time ?? now;
  if (!(time instanceof Date) || !Number.isFinite(time.getTime())) throw invalid('time', 'a valid Date');
  if (typeof entry.user !== 'string' || !USER_NAME_PATTERN.test(entry.user)) throw invalid('user', 'a valid user name');
  if (typeof entry.keyFingerprint !== 'string' || !FINGERPRINT_PATTERN.test(entry.keyFingerprint)) throw invalid('keyFingerprint', '40 upper-case hex digits');
  if (typeof entry.kind !== 'string' || !AUDIT_KIND_PATTERN.test(entry.kind)) throw invalid('kind', String(AUDIT_KIND_PATTERN));
  if (typeof entry.subject !== 'string' || !AUDIT_SUBJECT_PATTERN.test(entry.subject)) throw invalid('subject', '1-512 printable ASCII characters');
  if (typeof entry.sha256 !== 'string' || !SHA256_PATTERN.test(entry.sha256)) throw invalid('sha256', '64 lower-case hex digits');
  if (typeof entry.requestId !== 'string' || !AUDIT_REQUEST_ID_PATTERN.test(entry.requestId)) throw invalid('requestId', String(AUDIT_REQUEST_ID_PATTERN));
  return {
    time: time.toISOString(),
    user: entry.user,
    keyFingerprint: entry.keyFingerprint,
    kind: entry.kind,
    subject: entry.subject,
    sha256: entry.sha256,
    requestId: entry.requestId,
  };
}
