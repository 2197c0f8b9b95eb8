import type { CertificateStatus, Listing } from './store.ts';

const STATUS_TEXT: Record<CertificateStatus, string> = {
  valid: '',
  expiring: 'expires soon',
  expired: 'EXPIRED',
  'not-yet-valid': 'not yet valid',
  superseded: 'superseded',
};

/** The `list` table: one line per issued certificate, aligned columns, newest last. */
export function formatListing(listing: Listing): string {
  const header = ['ROLE', 'NAME', 'SERIAL', 'NOT AFTER', 'DAYS LEFT', 'STATUS'];
  const rows = listing.certificates.map((c) => [
    c.role,
    c.name,
    c.serial,
    c.notAfter.replace('.000Z', 'Z'),
    String(c.daysLeft),
    STATUS_TEXT[c.status],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const ca = listing.ca;
  const caLine = `CA: ${ca.name}  serial ${ca.serial}  expires ${ca.notAfter.replace('.000Z', 'Z')} (${ca.daysLeft} days)${ca.daysLeft < 0 ? '  EXPIRED' : ''}`;
  if (rows.length === 0) return `${caLine}\nno certificates issued\n`;
  return `${caLine}\n${[line(header), ...rows.map(line)].join('\n')}\n`;
}
