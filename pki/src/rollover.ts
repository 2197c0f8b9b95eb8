import path from 'node:path';
import { createCa } from './certificate.ts';
import { PkiError } from './errors.ts';
import { CERT_FILE_MODE, exists, KEY_FILE_MODE, makeDir, writeAtomic, writeNew } from './files.ts';
import type { IndexCa, IndexEntry, PkiIndex, PreviousCa } from './index-file.ts';
import type { KeyBits, KeyPair } from './keys.ts';
import { CA_CERT_FILE, CA_KEY_FILE, previousCaPath } from './layout.ts';
import { withIndexLock } from './lock.ts';
import { parseCaName } from './names.ts';
import { preparePublication } from './publish.ts';
import { commit, summary, type CrlResult } from './revoke.ts';
import { checkCurrentCa, indexCaOf, readCaDir, readIndex } from './store.ts';

export interface RolloverOptions {
  /** CN of the new CA; default the old name with a generation suffix ("Signet CA g2"). */
  name?: string;
  /** Lifetime of the new CA; default 3650 days. */
  days?: number;
  keyBits?: KeyBits;
  keyPair?: KeyPair;
  now?: Date;
}

export interface RolloverResult extends CrlResult {
  ca: IndexCa;
  previous: PreviousCa;
  caBundlePath: string;
  crlBundlePath: string;
}

/**
 * `signet-pki rollover`: a new CA key and certificate take the place of ca.crt/ca.key;
 * the old CA moves to previous/SERIAL/ and keeps signing its own CRL. ca-bundle.pem holds
 * both CAs and crl-bundle.pem both CRLs until `retire-ca`, so parties trust certificates
 * of either CA while every certificate is renewed under the new one.
 */
export function rolloverCa(dir: string, opts: RolloverOptions = {}): RolloverResult {
  const now = opts.now ?? new Date();
  const { paths, ca: old, index: before } = readCaDir(dir);
  refusePending(before);
  const name = parseCaName(opts.name ?? nextCaName(before.ca.name));
  // Key generation can take seconds; do it before taking the index lock.
  const minted = createCa({
    name,
    ...(opts.days !== undefined ? { days: opts.days } : {}),
    ...(opts.keyBits !== undefined ? { keyBits: opts.keyBits } : {}),
    ...(opts.keyPair !== undefined ? { keyPair: opts.keyPair } : {}),
    now,
  });
  return withIndexLock(paths.indexPath, () => {
    const index = readIndex(paths);
    checkCurrentCa(old.certPem, index);
    refusePending(index);
    const rel = previousCaPath(index.ca.serial);
    const prevDir = path.join(dir, rel);
    if (exists(prevDir)) {
      throw new PkiError('PKI_EXISTS', `${prevDir} already exists (an interrupted rollover?); restore the CA directory from backup`);
    }
    // Old CA first, complete, under previous/; only then is ca.crt/ca.key replaced.
    makeDir(prevDir);
    writeNew(path.join(prevDir, CA_KEY_FILE), old.keyPem, KEY_FILE_MODE);
    writeNew(path.join(prevDir, CA_CERT_FILE), old.certPem, CERT_FILE_MODE);
    writeAtomic(paths.keyPath, minted.keyPem, KEY_FILE_MODE);
    writeAtomic(paths.certPath, minted.certPem, CERT_FILE_MODE);
    const previous: PreviousCa = { ...index.ca, path: rel, replacedAt: now.toISOString() };
    const ca = indexCaOf(minted, name);
    const updated: PkiIndex = { ...index, ca, previous: [...index.previous, previous] };
    const pub = preparePublication(paths, minted, updated, now);
    commit(paths.indexPath, pub);
    return { ca, previous, caBundlePath: paths.caBundlePath, crlBundlePath: paths.crlBundlePath, ...summary(pub) };
  });
}

/** One transition at a time: a third CA in the bundles would only add confusion. */
function refusePending(index: PkiIndex): void {
  const pending = index.previous.find((p) => p.retiredAt === undefined);
  if (pending !== undefined) {
    throw new PkiError('PKI_ROLLOVER_PENDING', `the previous CA ${pending.serial} is still trusted; renew its certificates and run 'signet-pki retire-ca --serial ${pending.serial}' first`);
  }
}

/** "Signet CA" → "Signet CA g2" → "Signet CA g3". */
export function nextCaName(name: string): string {
  const m = /^(.*) g([0-9]{1,6})$/.exec(name);
  return m ? `${m[1]} g${Number(m[2]) + 1}` : `${name} g2`;
}

export interface RetireOptions {
  /** Serial of the previous CA to drop from the bundles. */
  serial: string;
  /** Retire although certificates it issued are still current (they stop working). */
  force?: boolean;
  now?: Date;
}

export interface RetireResult extends CrlResult {
  retired: PreviousCa;
  /** Certificates of the retired CA that were still current (only with `force`). */
  outstanding: IndexEntry[];
}

/**
 * `signet-pki retire-ca`: drops a previous CA from ca-bundle.pem and its CRL from
 * crl-bundle.pem. Its files stay in previous/SERIAL/ for the record.
 */
export function retireCa(dir: string, opts: RetireOptions): RetireResult {
  const now = opts.now ?? new Date();
  const { paths, ca } = readCaDir(dir);
  return withIndexLock(paths.indexPath, () => {
    const index = readIndex(paths);
    checkCurrentCa(ca.certPem, index);
    if (opts.serial === index.ca.serial) {
      throw new PkiError('PKI_CA_CURRENT', `${opts.serial} is the current CA; only a previous CA can be retired (after 'signet-pki rollover')`);
    }
    const target = index.previous.find((p) => p.serial === opts.serial);
    if (target === undefined) {
      throw new PkiError('PKI_UNKNOWN_SERIAL', `no previous CA with serial ${opts.serial}; see 'signet-pki list'`);
    }
    if (target.retiredAt !== undefined) {
      throw new PkiError('PKI_CA_RETIRED', `CA ${opts.serial} was already retired at ${target.retiredAt}`);
    }
    const outstanding = outstandingFor(index, opts.serial, now);
    // Threat: cutting off parties whose only certificate chains to the CA being dropped.
    if (outstanding.length > 0 && !opts.force) {
      const names = outstanding.slice(0, 10).map((e) => `${e.role} ${e.name}`).join(', ');
      throw new PkiError('PKI_CA_IN_USE', `${outstanding.length} certificate(s) of CA ${opts.serial} are still current (${names}${outstanding.length > 10 ? ', …' : ''}); renew them first, or pass --force`);
    }
    const retired: PreviousCa = { ...target, retiredAt: now.toISOString() };
    const updated: PkiIndex = { ...index, previous: index.previous.map((p) => (p.serial === opts.serial ? retired : p)) };
    const pub = preparePublication(paths, ca, updated, now);
    commit(paths.indexPath, pub);
    return { retired, outstanding, ...summary(pub) };
  });
}

/** Certificates of CA `serial` still in use: not renewed, not revoked, not expired. */
export function outstandingFor(index: PkiIndex, serial: string, now: Date): IndexEntry[] {
  return index.issued.filter(
    (e) => e.issuer === serial && e.supersededBy === undefined && e.revoked === undefined && Date.parse(e.notAfter) > now.getTime(),
  );
}
