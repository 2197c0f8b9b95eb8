import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { createCa, DEFAULT_CA_NAME, issueCertificate, type CaMaterial, type CreateCaOptions, type IssueOptions, type MintedCertificate } from './certificate.ts';
import { PkiError } from './errors.ts';
import { CERT_FILE_MODE, exists, KEY_FILE_MODE, makeDir, readText, writeAtomic, writeNew } from './files.ts';
import { emptyIndex, indexEntryFor, MAX_INDEX_BYTES, parseIndex, serializeIndex, type IndexCa, type IndexEntry, type PkiIndex, type PreviousCa } from './index-file.ts';
import { caPaths, CA_CERT_FILE, CA_KEY_FILE, ISSUED_DIR, MAX_PEM_BYTES, type CaPaths } from './layout.ts';
import { resolveSubject } from './profile.ts';
import { preparePublication, writePublication } from './publish.ts';
import { withIndexLock } from './lock.ts';

/** `list` flags certificates with fewer days left than this. */
export const EXPIRING_SOON_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** `signet-pki init`: a new CA in `dir` (created 0700 if missing). Refuses if one is there. */
export function initCaDir(dir: string, opts: CreateCaOptions = {}): CaPaths & { ca: IndexCa } {
  const paths = caPaths(dir);
  // Threat: re-running init replacing the CA key, orphaning every issued certificate.
  for (const file of [paths.certPath, paths.keyPath, paths.indexPath]) {
    if (exists(file)) {
      throw new PkiError('PKI_CA_EXISTS', `${dir} already holds a CA (${path.basename(file)}); use another directory`);
    }
  }
  const minted = createCa(opts);
  makeDir(dir);
  try {
    writeNew(paths.keyPath, minted.keyPem, KEY_FILE_MODE);
  } catch (err) {
    // A concurrent init won the race for the key file.
    if (err instanceof PkiError && err.code === 'PKI_EXISTS') {
      throw new PkiError('PKI_CA_EXISTS', `${dir} already holds a CA key; use another directory`, { cause: err });
    }
    throw err;
  }
  writeNew(paths.certPath, minted.certPem, CERT_FILE_MODE);
  const ca = indexCaOf(minted, opts.name ?? DEFAULT_CA_NAME);
  // A CRL from the start, so parties can be configured with crl-bundle.pem on day one.
  const now = opts.now ?? new Date();
  if (now < minted.notBefore || now > minted.notAfter) {
    // A CA outside its validity (explicit --not-before/--not-after) cannot sign a CRL yet;
    // `signet-pki crl` writes one once it can.
    writeAtomic(paths.indexPath, serializeIndex(emptyIndex(ca)));
    return { ...paths, ca };
  }
  const pub = preparePublication(paths, minted, emptyIndex(ca), now);
  writeAtomic(paths.indexPath, serializeIndex(pub.index));
  writePublication(pub);
  return { ...paths, ca };
}

/** The index record of a freshly minted CA. */
export function indexCaOf(minted: MintedCertificate, name: string): IndexCa {
  return {
    name,
    serial: minted.serial,
    notBefore: minted.notBefore.toISOString(),
    notAfter: minted.notAfter.toISOString(),
    fingerprint256: new X509Certificate(minted.certPem).fingerprint256,
  };
}

/** Reads the CA material and index of `dir`; PKI_NO_CA when there is no CA. */
export function readCaDir(dir: string): { paths: CaPaths; ca: CaMaterial; index: PkiIndex } {
  const paths = caPaths(dir);
  const certPem = readText(paths.certPath, MAX_PEM_BYTES);
  const keyPem = readText(paths.keyPath, MAX_PEM_BYTES);
  if (certPem === undefined || keyPem === undefined) {
    throw new PkiError('PKI_NO_CA', `${dir} holds no CA (${CA_CERT_FILE} and ${CA_KEY_FILE}); run 'signet-pki init --dir ${dir}' first`);
  }
  const index = readIndex(paths);
  checkCurrentCa(certPem, index);
  return { paths, ca: { certPem, keyPem }, index };
}

/**
 * Threat: a ca.crt swapped (or a rollover interrupted) behind the index's back, so that
 * certificates would be recorded under, and CRLs signed for, the wrong CA.
 */
export function checkCurrentCa(certPem: string, index: PkiIndex): void {
  let fingerprint: string;
  try {
    fingerprint = new X509Certificate(certPem).fingerprint256;
  } catch (err) {
    throw new PkiError('PKI_BAD_CA', `${CA_CERT_FILE} cannot be parsed; restore the CA directory from backup`, { cause: err });
  }
  if (fingerprint !== index.ca.fingerprint256) {
    throw new PkiError('PKI_BAD_INDEX', `${CA_CERT_FILE} is not the CA recorded in index.json (serial ${index.ca.serial}); restore the CA directory from backup`);
  }
}

/** Reads and parses index.json; PKI_BAD_INDEX when it is missing or malformed. */
export function readIndex(paths: CaPaths): PkiIndex {
  const text = readText(paths.indexPath, MAX_INDEX_BYTES);
  if (text === undefined) {
    throw new PkiError('PKI_BAD_INDEX', `${paths.indexPath} is missing; restore it from backup`);
  }
  return parseIndex(text);
}

export interface IssueToDirOptions extends IssueOptions {
  /** Output prefix: writes PREFIX.crt and PREFIX.key. Default DIR/issued/NAME. */
  out?: string;
  /** Replace an existing certificate and key at the same place. */
  force?: boolean;
}

export interface IssueToDirResult {
  certPath: string;
  keyPath: string;
  entry: IndexEntry;
}

/** `signet-pki issue`: mints a certificate with the CA in `dir` and records it in index.json. */
export function issueToDir(dir: string, opts: IssueToDirOptions): IssueToDirResult {
  // Names are checked before anything is read, so a bad name is a usage error.
  const subject = resolveSubject(opts.role, opts.name, opts.dns, opts.ip);
  const { paths, ca, index: before } = readCaDir(dir);
  const prefix = opts.out ?? path.join(dir, ISSUED_DIR, subject.name);
  const certPath = `${prefix}.crt`;
  const keyPath = `${prefix}.key`;
  // Threat: silently replacing a key (and so a party's identity) that is still deployed.
  if (!opts.force) {
    for (const file of [certPath, keyPath]) {
      if (exists(file)) throw new PkiError('PKI_EXISTS', `${file} already exists; pass --force to replace it`);
    }
  }
  const issued = issueCertificate(ca, opts);
  makeDir(path.dirname(prefix));
  writeNew(keyPath, issued.keyPem, KEY_FILE_MODE, opts.force ?? false);
  writeNew(certPath, issued.certPem, CERT_FILE_MODE, opts.force ?? false);
  const rel = path.relative(dir, certPath);
  const entry = indexEntryFor(issued, { issuedAt: opts.now ?? new Date(), path: rel, issuer: before.ca.serial });
  // Re-read the index under the lock: another issue may have added to it meanwhile.
  withIndexLock(paths.indexPath, () => {
    const current = readIndex(paths);
    // A rollover between our read and now would record the certificate under the wrong CA.
    if (current.ca.serial !== before.ca.serial) {
      throw new PkiError('PKI_BAD_INDEX', 'the CA changed (rollover) while issuing; issue the certificate again');
    }
    const updated: PkiIndex = {
      ...current,
      issued: [
        ...current.issued.map((e) => (e.path === rel && e.supersededBy === undefined ? { ...e, supersededBy: issued.serial } : e)),
        entry,
      ],
    };
    writeAtomic(paths.indexPath, serializeIndex(updated));
  });
  return { certPath, keyPath, entry };
}

export type CertificateStatus = 'valid' | 'expiring' | 'expired' | 'not-yet-valid' | 'superseded' | 'revoked';

export interface ListedCertificate extends IndexEntry {
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  status: CertificateStatus;
}

export interface Listing {
  ca: IndexCa & { daysLeft: number };
  /** CAs replaced by rollover; `retiredAt` once no longer trusted. */
  previous: (PreviousCa & { daysLeft: number })[];
  /** The CRLs last written: their number and when they must be renewed. */
  crl: { number: number; days: number; nextUpdate?: string; daysLeft?: number };
  /** With `expiringWithinDays`, only what needs renewing: see `listDir`. */
  certificates: ListedCertificate[];
}

export interface ListOptions {
  /**
   * Only certificates still in use (not superseded, not revoked) whose notAfter is at
   * most this many days away, including those already expired.
   */
  expiringWithinDays?: number;
}

/** `signet-pki list`: the issued certificates with their standing at `now`. */
export function listDir(dir: string, now: Date = new Date(), opts: ListOptions = {}): Listing {
  const paths = caPaths(dir);
  if (!exists(paths.certPath)) {
    throw new PkiError('PKI_NO_CA', `${dir} holds no CA; run 'signet-pki init --dir ${dir}' first`);
  }
  const index = readIndex(paths);
  let certificates = index.issued.map((e) => ({ ...e, daysLeft: daysLeft(e.notAfter, now), status: statusOf(e, now) }));
  const within = opts.expiringWithinDays;
  if (within !== undefined) {
    const limit = now.getTime() + within * DAY_MS;
    certificates = certificates.filter((c) => c.status !== 'superseded' && c.status !== 'revoked' && Date.parse(c.notAfter) <= limit);
  }
  const next = index.crl.nextUpdate;
  return {
    ca: { ...index.ca, daysLeft: daysLeft(index.ca.notAfter, now) },
    previous: index.previous.map((p) => ({ ...p, daysLeft: daysLeft(p.notAfter, now) })),
    crl: { ...index.crl, ...(next !== undefined ? { daysLeft: daysLeft(next, now) } : {}) },
    certificates,
  };
}

export function statusOf(entry: Pick<IndexEntry, 'notBefore' | 'notAfter' | 'supersededBy' | 'revoked'>, now: Date): CertificateStatus {
  if (entry.revoked !== undefined) return 'revoked';
  if (entry.supersededBy !== undefined) return 'superseded';
  const t = now.getTime();
  if (t > Date.parse(entry.notAfter)) return 'expired';
  if (t < Date.parse(entry.notBefore)) return 'not-yet-valid';
  return daysLeft(entry.notAfter, now) < EXPIRING_SOON_DAYS ? 'expiring' : 'valid';
}

function daysLeft(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS);
}
