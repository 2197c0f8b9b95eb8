import { KeyStoreError } from './errors.ts';
import { USER_NAME_PATTERN } from './names.ts';

/**
 * Audit entries: who had what signed, with which key, over which bytes, and every
 * administrative action. Append-only in the database (triggers refuse UPDATE and DELETE)
 * and hash-chained (audit-chain.ts, audit-log.ts), so an edit made by someone who drops the
 * triggers is still detected by `admin audit verify`.
 *
 * Kinds written today: `rpm-header`, `data` (signatures, from the daemon); `user-add`,
 * `key-generate`, `key-import`, `grant`, `grant-key-admin` (and the other administrative
 * actions, user `(console)` when no key store user acts); `backup`, `restore`;
 * `audit-chain-start` (user `(signet)`, written by the upgrade that introduced the chain). Any kind matching AUDIT_KIND_PATTERN may be recorded.
 */

export interface AuditEntry {
  /** Default: the store's clock. */
  readonly time?: Date;
  /** The authenticated user (client certificate CN). */
  readonly user: string;
  /** Fingerprint of the key concerned (Signer.fingerprint), 40 hex upper case; absent when none. */
  readonly keyFingerprint?: string | null;
  /** What happened, e.g. "rpm-header". */
  readonly kind: string;
  /** What was signed or changed, e.g. "hello-0:2.0-1.x86_64". */
  readonly subject: string;
  /** SHA-256 of the signed bytes, 64 hex lower case; absent for non-signing events. */
  readonly sha256?: string | null;
  /** Absent for events that are not requests over the wire. */
  readonly requestId?: string | null;
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
  /** Hash of the previous row (the chain's genesis value for the first row). */
  readonly prevHash: string | null;
  /** SHA-256 over this row's canonical encoding (audit-chain.ts). Null only if the row was altered. */
  readonly hash: string | null;
}

/** The fields of a row that the caller supplies; seq and the hashes are the chain's. */
export type AuditFields = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

export const AUDIT_KIND_PATTERN = /^[a-z][a-z0-9.-]{0,63}$/;
export const AUDIT_SUBJECT_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,511}$/;
export const AUDIT_REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const FINGERPRINT_PATTERN = /^[0-9A-F]{40}$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

function invalid(field: string, rule: string): KeyStoreError {
  return new KeyStoreError('AUDIT_INVALID', `audit entry field ${field} is invalid: ${rule}`);
}

/** Rows parseAuditEntry returned: frozen, so what was checked is what gets written. */
const checkedRows = new WeakSet<AuditFields>();

/**
 * True for a row parseAuditEntry returned (and nothing else: the set is private to this
 * module, and an object cannot be added to it from outside), so it need not be checked again.
 */
export function isCheckedAuditRow(row: object): row is AuditFields {
  return checkedRows.has(row as AuditFields);
}

/**
 * Threat: log injection (newlines, control characters) and unbounded rows in the audit trail.
 * The row returned is frozen and remembered (isCheckedAuditRow).
 */
export function parseAuditEntry(entry: AuditEntry, now: Date): AuditFields {
  const time = entry.time ?? now;
  if (!(time instanceof Date) || !Number.isFinite(time.getTime())) throw invalid('time', 'a valid Date');
  if (typeof entry.user !== 'string' || !USER_NAME_PATTERN.test(entry.user)) throw invalid('user', 'a valid user name');
  const keyFingerprint = entry.keyFingerprint ?? null;
  if (keyFingerprint !== null && (typeof keyFingerprint !== 'string' || !FINGERPRINT_PATTERN.test(keyFingerprint))) throw invalid('keyFingerprint', '40 upper-case hex digits');
  if (typeof entry.kind !== 'string' || !AUDIT_KIND_PATTERN.test(entry.kind)) throw invalid('kind', String(AUDIT_KIND_PATTERN));
  if (typeof entry.subject !== 'string' || !AUDIT_SUBJECT_PATTERN.test(entry.subject)) throw invalid('subject', '1-512 printable ASCII characters');
  const sha256 = entry.sha256 ?? null;
  if (sha256 !== null && (typeof sha256 !== 'string' || !SHA256_PATTERN.test(sha256))) throw invalid('sha256', '64 lower-case hex digits');
  const requestId = entry.requestId ?? null;
  if (requestId !== null && (typeof requestId !== 'string' || !AUDIT_REQUEST_ID_PATTERN.test(requestId))) throw invalid('requestId', String(AUDIT_REQUEST_ID_PATTERN));
  const row: AuditFields = Object.freeze({
    time: time.toISOString(),
    user: entry.user,
    keyFingerprint,
    kind: entry.kind,
    subject: entry.subject,
    sha256,
    requestId,
  });
  checkedRows.add(row);
  return row;
}
