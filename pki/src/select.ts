import { PkiError } from './errors.ts';
import type { IndexEntry, PkiIndex } from './index-file.ts';

/** How a command names a certificate. */
const SERIAL_PATTERN = /^[0-9A-F]{2,40}$/;

/**
 * A serial number as typed: hex, any case, optionally colon-separated (as `openssl x509
 * -serial` and browsers print it). Returned in index.json form: uppercase, no colons, no
 * leading zero octets.
 */
export function parseSerial(value: string): string {
  let hex = value.replace(/:/g, '').toUpperCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.startsWith('00') && hex.length > 2) hex = hex.slice(2);
  if (!SERIAL_PATTERN.test(hex)) {
    throw new PkiError('PKI_USAGE', `serial '${value.slice(0, 50).replace(/[^\x20-\x7e]/g, '?')}' is not a hex serial number (as 'signet-pki list' shows it)`);
  }
  return hex;
}

/** The index entry with `serial`; PKI_UNKNOWN_SERIAL when there is none. */
export function entryBySerial(index: PkiIndex, serial: string): IndexEntry {
  const entry = index.issued.find((e) => e.serial === serial);
  if (entry === undefined) {
    throw new PkiError('PKI_UNKNOWN_SERIAL', `no certificate with serial ${serial} in index.json; see 'signet-pki list'`);
  }
  return entry;
}

/**
 * The certificates for `name` that have not been replaced (no `supersededBy`), oldest
 * first. PKI_UNKNOWN_NAME when nothing was ever issued for it.
 */
export function currentEntriesFor(index: PkiIndex, name: string): IndexEntry[] {
  const wanted = name.toLowerCase(); // DNS names are recorded lowercase; user names are lowercase
  const all = index.issued.filter((e) => e.name === wanted);
  if (all.length === 0) {
    throw new PkiError('PKI_UNKNOWN_NAME', `no certificate was issued for '${name.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}'; see 'signet-pki list', or use 'signet-pki issue'`);
  }
  const current = all.filter((e) => e.supersededBy === undefined);
  // Every entry superseded by something of another name (issue --force --out): the newest.
  return current.length > 0 ? current : all.slice(-1);
}
