import { spawnSync } from 'node:child_process';

/**
 * The openssl command line, as an independent judge of what signet-pki writes. A missing
 * openssl makes the calling test fail (status null), never skip.
 */
export function openssl(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`openssl cannot be run: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `openssl verify -crl_check` of one certificate: 'OK', or OpenSSL's error text. */
export function verifyWithCrl(caFile: string, crlFile: string, certFile: string): string {
  const r = openssl('verify', '-crl_check', '-CAfile', caFile, '-CRLfile', crlFile, certFile);
  if (r.status === 0 && r.out.trim() === `${certFile}: OK`) return 'OK';
  const m = /error \d+ at \d+ depth lookup: (.+)/.exec(r.out);
  return m?.[1] ?? r.out.trim();
}
