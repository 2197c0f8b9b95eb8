import { PkiError } from './errors.ts';

/** Certificates start this far in the past so a peer whose clock runs slow accepts them. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
export const DEFAULT_LEAF_DAYS = 365;
export const DEFAULT_CA_DAYS = 3650;
export const MAX_DAYS = 36500;
const DAY_MS = 24 * 60 * 60 * 1000;
/** X.509 time ends at 9999-12-31; keep far from it. */
const LATEST = Date.UTC(9000, 0, 1);
const EARLIEST = Date.UTC(1970, 0, 1);

export interface ValidityOptions {
  /** Lifetime in days from now (or from `notBefore` when given). */
  days?: number;
  /** Explicit start; default now − 5 minutes. */
  notBefore?: Date;
  /** Explicit end; default start + days. */
  notAfter?: Date;
  /** The clock; default `new Date()`. */
  now?: Date;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export function parseDays(value: number | string): number {
  const days = typeof value === 'number' ? value : /^[0-9]{1,6}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new PkiError('PKI_BAD_VALIDITY', `days must be a whole number from 1 to ${MAX_DAYS}`);
  }
  return days;
}

/** Parses an ISO 8601 date-time with an explicit zone ("2030-01-01T00:00:00Z"). */
export function parseIsoDate(value: string, option: string): Date {
  // A zone is required: a bare local time would shift with the issuing host's TZ.
  const ok = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value);
  const date = new Date(value);
  if (!ok || Number.isNaN(date.getTime())) {
    throw new PkiError('PKI_BAD_VALIDITY', `${option} must be an ISO 8601 date such as 2030-01-31 or 2030-01-31T12:00:00Z`);
  }
  return date;
}

/**
 * The validity period of a new certificate, whole seconds (X.509 time has no fractions,
 * so what we return and record is exactly what the certificate says).
 */
export function computeValidity(opts: ValidityOptions, defaultDays: number): Validity {
  const now = (opts.now ?? new Date()).getTime();
  if (opts.days !== undefined && opts.notAfter !== undefined) {
    throw new PkiError('PKI_BAD_VALIDITY', 'give a lifetime in days or an explicit notAfter, not both');
  }
  const days = parseDays(opts.days ?? defaultDays);
  const start = opts.notBefore?.getTime() ?? now;
  const notBefore = opts.notBefore?.getTime() ?? now - CLOCK_SKEW_MS;
  const notAfter = opts.notAfter?.getTime() ?? start + days * DAY_MS;
  const nb = Math.floor(notBefore / 1000) * 1000;
  const na = Math.floor(notAfter / 1000) * 1000;
  if (!(nb >= EARLIEST && na <= LATEST)) {
    throw new PkiError('PKI_BAD_VALIDITY', 'validity must lie between 1970 and 9000');
  }
  if (na <= nb) {
    throw new PkiError('PKI_BAD_VALIDITY', `notAfter (${new Date(na).toISOString()}) must be later than notBefore (${new Date(nb).toISOString()})`);
  }
  return { notBefore: new Date(nb), notAfter: new Date(na) };
}
