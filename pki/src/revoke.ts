import { PkiError } from './errors.ts';
import { parseCrlDays, REVOCATION_REASON_NAMES, type RevocationReason } from './crl.ts';
import { writeAtomic } from './files.ts';
import { serializeIndex, type IndexEntry, type PkiIndex } from './index-file.ts';
import { withIndexLock } from './lock.ts';
import { preparePublication, writePublication, type Publication } from './publish.ts';
import { currentEntriesFor, entryBySerial } from './select.ts';
import { checkCurrentCa, readCaDir, readIndex } from './store.ts';

export interface RevokeOptions {
  /** The certificate's serial (parseSerial form). Exactly one of serial and name. */
  serial?: string;
  /** Revoke the one current certificate issued for this name. */
  name?: string;
  /** Default `unspecified` (no reason code in the CRL, as RFC 5280 advises). */
  reason?: RevocationReason;
  now?: Date;
}

/** What was published: the CRL files written and their standing. */
export interface CrlResult {
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  files: string[];
  warnings: string[];
}

export interface RevokeResult extends CrlResult {
  entry: IndexEntry;
}

export function parseReason(value: string): RevocationReason {
  const reason = REVOCATION_REASON_NAMES.find((r) => r === value);
  if (reason === undefined) {
    throw new PkiError('PKI_USAGE', `reason must be one of ${REVOCATION_REASON_NAMES.join(', ')}`);
  }
  return reason;
}

/**
 * `signet-pki revoke`: records the revocation in index.json and rewrites the CRLs, so the
 * revocation reaches peers as soon as crl-bundle.pem is distributed.
 */
export function revokeInDir(dir: string, opts: RevokeOptions): RevokeResult {
  if ((opts.serial === undefined) === (opts.name === undefined)) {
    throw new PkiError('PKI_USAGE', 'give exactly one of --serial and --name');
  }
  const now = opts.now ?? new Date();
  const { paths, ca } = readCaDir(dir);
  return withIndexLock(paths.indexPath, () => {
    const index = readIndex(paths);
    checkCurrentCa(ca.certPem, index);
    const target = opts.serial !== undefined ? entryBySerial(index, opts.serial) : byName(index, opts.name as string);
    if (target.revoked !== undefined) {
      throw new PkiError('PKI_ALREADY_REVOKED', `certificate ${target.serial} (${target.name}) was already revoked at ${target.revoked.at} (${target.revoked.reason})`);
    }
    const revoked = { at: new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString(), reason: opts.reason ?? 'unspecified' };
    const updated: PkiIndex = { ...index, issued: index.issued.map((e) => (e.serial === target.serial ? { ...e, revoked } : e)) };
    const pub = preparePublication(paths, ca, updated, now);
    commit(paths.indexPath, pub);
    return { entry: { ...target, revoked }, ...summary(pub) };
  });
}

/** Revoking by name must be exact: refuse when several certificates could be meant. */
function byName(index: PkiIndex, name: string): IndexEntry {
  const current = currentEntriesFor(index, name);
  const live = current.filter((e) => e.revoked === undefined);
  if (live.length > 1) {
    throw new PkiError('PKI_AMBIGUOUS_NAME', `several current certificates are named '${name}' (serials ${live.map((e) => e.serial).join(', ')}); revoke each with --serial`);
  }
  return live[0] ?? (current[current.length - 1] as IndexEntry);
}

export interface CrlInDirOptions {
  /** CRL lifetime in days (1–366); remembered in index.json for later CRLs. */
  days?: number;
  now?: Date;
}

/** `signet-pki crl`: rewrites crl.pem, the previous CA's CRL and both bundles. */
export function crlInDir(dir: string, opts: CrlInDirOptions = {}): CrlResult {
  const now = opts.now ?? new Date();
  const { paths, ca } = readCaDir(dir);
  return withIndexLock(paths.indexPath, () => {
    const index = readIndex(paths);
    checkCurrentCa(ca.certPem, index);
    const pub = preparePublication(paths, ca, index, now, opts.days !== undefined ? parseCrlDays(opts.days) : index.crl.days);
    commit(paths.indexPath, pub);
    return summary(pub);
  });
}

/** index.json first: a crash after it leaves a skipped CRL number, never a reused one. */
export function commit(indexPath: string, pub: Publication): void {
  writeAtomic(indexPath, serializeIndex(pub.index));
  writePublication(pub);
}

export function summary(pub: Publication): CrlResult {
  return { crlNumber: pub.crlNumber, thisUpdate: pub.thisUpdate, nextUpdate: pub.nextUpdate, files: pub.files.map((f) => f.path), warnings: pub.warnings };
}
