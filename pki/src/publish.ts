import path from 'node:path';
import type { CaMaterial } from './certificate.ts';
import { createCrl, type RevokedSerial } from './crl.ts';
import { PkiError } from './errors.ts';
import { CERT_FILE_MODE, readText, writeAtomic } from './files.ts';
import type { IndexCa, PkiIndex } from './index-file.ts';
import { CA_CERT_FILE, CA_KEY_FILE, CRL_FILE, MAX_PEM_BYTES, type CaPaths } from './layout.ts';
import { CLOCK_SKEW_MS } from './validity.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A file to write once index.json is safely on disk. */
export interface PendingFile {
  path: string;
  content: string;
}

export interface Publication {
  /** The index with the CRL number and nextUpdate consumed by this publication. */
  index: PkiIndex;
  files: PendingFile[];
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Things the operator should act on (e.g. a previous CA that has expired). */
  warnings: string[];
}

/**
 * The CRL of every trusted CA, ca-bundle.pem and crl-bundle.pem, for `index` at `now`.
 * Nothing is written: the caller stores `publication.index` first (so a CRL number is
 * never handed out twice, even after a crash) and then `writePublication`.
 *
 * Each CA signs its own CRL. Parties load crl-bundle.pem, one CRL per CA of
 * ca-bundle.pem: with a CRL set, OpenSSL refuses (UNABLE_TO_GET_CRL) any certificate whose
 * issuer has no CRL in the set, so the two bundles must always list the same CAs.
 */
export function preparePublication(paths: CaPaths, current: CaMaterial, index: PkiIndex, now: Date, days = index.crl.days): Publication {
  const crlNumber = index.crl.number + 1;
  // thisUpdate lies in the past by the usual skew: a peer with a slow clock would refuse a
  // CRL from its future (CRL_NOT_YET_VALID), and with it every connection.
  const thisUpdate = wholeSeconds(now.getTime() - CLOCK_SKEW_MS);
  const nextUpdate = wholeSeconds(now.getTime() + days * DAY_MS);
  const revokedBy = (ca: IndexCa): RevokedSerial[] =>
    index.issued.flatMap((e) => (e.issuer === ca.serial && e.revoked ? [{ serial: e.serial, revokedAt: new Date(e.revoked.at), reason: e.revoked.reason }] : []));
  const sign = (material: CaMaterial, ca: IndexCa): string =>
    createCrl(material, { crlNumber, thisUpdate, nextUpdate, revoked: revokedBy(ca), now });

  const currentCrl = sign(current, index.ca);
  const files: PendingFile[] = [{ path: paths.crlPath, content: currentCrl }];
  const caPems = [current.certPem];
  const crlPems = [currentCrl];
  const warnings: string[] = [];
  for (const prev of index.previous) {
    if (prev.retiredAt !== undefined) continue;
    const dir = path.join(paths.dir, prev.path);
    const material = readPreviousCa(dir);
    caPems.push(material.certPem);
    if (now.getTime() > Date.parse(prev.notAfter)) {
      // An expired CA can sign nothing valid; its certificates fail anyway. Keep its last CRL.
      warnings.push(`previous CA ${prev.serial} has expired; retire it with 'signet-pki retire-ca --dir ${paths.dir} --serial ${prev.serial} --force'`);
      const old = readText(path.join(dir, CRL_FILE), MAX_PEM_BYTES * 64);
      if (old === undefined) throw new PkiError('PKI_BAD_CA', `previous CA ${prev.serial} has expired and has no ${CRL_FILE}; retire it`);
      crlPems.push(old);
      continue;
    }
    const crl = sign(material, prev);
    files.push({ path: path.join(dir, CRL_FILE), content: crl });
    crlPems.push(crl);
  }
  files.push({ path: paths.caBundlePath, content: caPems.map(endWithNewline).join('') });
  files.push({ path: paths.crlBundlePath, content: crlPems.join('') });
  return {
    index: { ...index, crl: { number: crlNumber, days, nextUpdate: nextUpdate.toISOString() } },
    files,
    crlNumber,
    thisUpdate,
    nextUpdate,
    warnings,
  };
}

/** Writes each file atomically: a party reading it sees the old or the new one, never half. */
export function writePublication(pub: Publication): void {
  for (const file of pub.files) writeAtomic(file.path, file.content, CERT_FILE_MODE);
}

/** The certificate and key of a previous CA, kept so it can go on signing its CRL. */
export function readPreviousCa(dir: string): CaMaterial {
  const certPem = readText(path.join(dir, CA_CERT_FILE), MAX_PEM_BYTES);
  const keyPem = readText(path.join(dir, CA_KEY_FILE), MAX_PEM_BYTES);
  if (certPem === undefined || keyPem === undefined) {
    throw new PkiError('PKI_BAD_CA', `previous CA in ${dir} lacks ${CA_CERT_FILE} or ${CA_KEY_FILE}; restore it from backup`);
  }
  return { certPem, keyPem };
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function endWithNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
