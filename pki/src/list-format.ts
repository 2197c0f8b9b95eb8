import type { CertificateStatus, Listing } from './store.ts';

const STATUS_TEXT: Record<CertificateStatus, string> = {
  valid: '',
  expiring: 'expires soon',
  expired: 'EXPIRED',
  'not-yet-valid': 'not yet valid',
  superseded: 'superseded',
  revoked: 'revoked',
};

const date = (iso: string): string => iso.replace('.000Z', 'Z');

/** The `list` table: one line per issued certificate, aligned columns, newest last. */
export function formatListing(listing: Listing, opts: { expiringWithinDays?: number } = {}): string {
  const header = ['ROLE', 'NAME', 'SERIAL', 'NOT AFTER', 'DAYS LEFT', 'STATUS'];
  const rows = listing.certificates.map((c) => [
    c.role,
    c.name,
    c.serial,
    date(c.notAfter),
    String(c.daysLeft),
    c.status === 'revoked' && c.revoked ? `revoked (${c.revoked.reason})` : STATUS_TEXT[c.status],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const ca = listing.ca;
  const lines = [`CA: ${ca.name}  serial ${ca.serial}  expires ${date(ca.notAfter)} (${ca.daysLeft} days)${ca.daysLeft < 0 ? '  EXPIRED' : ''}`];
  for (const p of listing.previous) {
    const state = p.retiredAt !== undefined ? `retired ${date(p.retiredAt)}` : 'still trusted (ca-bundle.pem)';
    lines.push(`previous CA: ${p.name}  serial ${p.serial}  expires ${date(p.notAfter)}  ${state}`);
  }
  const crl = listing.crl;
  if (crl.nextUpdate !== undefined) {
    const stale = (crl.daysLeft ?? 0) < 0 ? '  EXPIRED: run signet-pki crl' : '';
    lines.push(`CRL: number ${crl.number}  next update ${date(crl.nextUpdate)} (${crl.daysLeft} days)${stale}`);
  } else {
    lines.push('CRL: none written yet (run signet-pki crl)');
  }
  if (rows.length === 0) {
    lines.push(opts.expiringWithinDays !== undefined ? `no certificate expires within ${opts.expiringWithinDays} days` : 'no certificates issued');
  } else {
    lines.push(line(header), ...rows.map(line));
  }
  return `${lines.join('\n')}\n`;
}
