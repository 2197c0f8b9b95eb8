import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { createCa, DEFAULT_CA_NAME, issueCertificate, type CaMaterial, type CreateCaOptions, type IssueOptions } from './certificate.ts';
import { PkiError } from './errors.ts';
import { CERT_FILE_MODE, exists, KEY_FILE_MODE, makeDir, readText, writeAtomic, writeNew } from './files.ts';
import { INDEX_VERSION, MAX_INDEX_BYTES, parseIndex, serializeIndex, type IndexCa, type IndexEntry, type PkiIndex } from './index-file.ts';
import { resolveSubject } from './profile.ts';
import { withIndexLock } from './lock.ts';

/** Layout of a CA directory. */
export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const INDEX_FILE = 'index.json';
export const ISSUED_DIR = 'issued';
/** `list` flags certificates with fewer days left than this. */
export const EXPIRING_SOON_DAYS = 30;
const MAX_PEM_BYTES = 64 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface CaPaths {
  dir: string;
  certPath: string;
  keyPath: string;
  indexPath: string;
}

export function caPaths(dir: string): CaPaths {
  return {
    dir,
    certPath: path.join(dir, CA_CERT_FILE),
    keyPath: path.join(dir, CA_KEY_FILE),
    indexPath: path.join(dir, INDEX_FILE),
  };
}

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
  const x509 = new X509Certificate(minted.certPem);
  const ca: IndexCa = {
    name: opts.name ?? DEFAULT_CA_NAME,
    serial: minted.serial,
    notBefore: minted.notBefore.toISOString(),
    notAfter: minted.notAfter.toISOString(),
    fingerprint256: x509.fingerprint256,
  };
  writeAtomic(paths.indexPath, serializeIndex({ version: INDEX_VERSION, ca, issued: [] }));
  return { ...paths, ca };
}

/** Reads the CA material and index of `dir`; PKI_NO_CA when there is no CA. */
export function readCaDir(dir: string): { paths: CaPaths; ca: CaMaterial; index: PkiIndex } {
  const paths = caPaths(dir);
  const certPem = readText(paths.certPath, MAX_PEM_BYTES);
  const keyPem = readText(paths.keyPath, MAX_PEM_BYTES);
  if (certPem === undefined || keyPem === undefined) {
    throw new PkiError('PKI_NO_CA', `${dir} holds no CA (${CA_CERT_FILE} and ${CA_KEY_FILE}); run 'signet-pki init --dir ${dir}' first`);
  }
  return { paths, ca: { certPem, keyPem }, index: readIndex(paths) };
}

function readIndex(paths: CaPaths): PkiIndex {
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
  const { paths, ca } = readCaDir(dir);
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
  const entry: IndexEntry = {
    serial: issued.serial,
    role: issued.role,
    name: issued.name,
    dns: issued.dns,
    ip: issued.ip,
    notBefore: issued.notBefore.toISOString(),
    notAfter: issued.notAfter.toISOString(),
    issuedAt: (opts.now ?? new Date()).toISOString(),
    path: rel,
  };
  // Re-read the index under the lock: another issue may have added to it meanwhile.
  withIndexLock(paths.indexPath, () => {
    const current = readIndex(paths);
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

export type CertificateStatus = 'valid' | 'expiring' | 'expired' | 'not-yet-valid' | 'superseded';

export interface ListedCertificate extends IndexEntry {
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  status: CertificateStatus;
}

export interface Listing {
  ca: IndexCa & { daysLeft: number };
  certificates: ListedCertificate[];
}

/** `signet-pki list`: the issued certificates with their standing at `now`. */
export function listDir(dir: string, now: Date = new Date()): Listing {
  const paths = caPaths(dir);
  if (!exists(paths.certPath)) {
    throw new PkiError('PKI_NO_CA', `${dir} holds no CA; run 'signet-pki init --dir ${dir}' first`);
  }
  const index = readIndex(paths);
  return {
    ca: { ...index.ca, daysLeft: daysLeft(index.ca.notAfter, now) },
    certificates: index.issued.map((e) => ({ ...e, daysLeft: daysLeft(e.notAfter, now), status: statusOf(e, now) })),
  };
}

export function statusOf(entry: Pick<IndexEntry, 'notBefore' | 'notAfter' | 'supersededBy'>, now: Date): CertificateStatus {
  if (entry.supersededBy !== undefined) return 'superseded';
  const t = now.getTime();
  if (t > Date.parse(entry.notAfter)) return 'expired';
  if (t < Date.parse(entry.notBefore)) return 'not-yet-valid';
  return daysLeft(entry.notAfter, now) < EXPIRING_SOON_DAYS ? 'expiring' : 'valid';
}

function daysLeft(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS);
}
