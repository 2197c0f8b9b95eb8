import path from 'node:path';

/**
 * Layout of a CA directory:
 *
 *   ca.crt, ca.key        the current CA (the one `issue` and `renew` sign with)
 *   index.json            every CA and certificate, revocations, CRL number
 *   crl.pem               the current CA's CRL
 *   ca-bundle.pem         every CA parties must trust: current first, then the previous CA
 *                         until it is retired
 *   crl-bundle.pem        one CRL per CA in ca-bundle.pem, same order
 *   issued/NAME.crt|key   issued certificates (unless --out put them elsewhere)
 *   previous/SERIAL/      a CA replaced by `rollover`: ca.crt, ca.key, crl.pem
 */
export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const INDEX_FILE = 'index.json';
export const ISSUED_DIR = 'issued';
export const CRL_FILE = 'crl.pem';
export const CA_BUNDLE_FILE = 'ca-bundle.pem';
export const CRL_BUNDLE_FILE = 'crl-bundle.pem';
export const PREVIOUS_DIR = 'previous';
/** Largest certificate or key file read. */
export const MAX_PEM_BYTES = 64 * 1024;

export interface CaPaths {
  dir: string;
  certPath: string;
  keyPath: string;
  indexPath: string;
  crlPath: string;
  caBundlePath: string;
  crlBundlePath: string;
}

export function caPaths(dir: string): CaPaths {
  return {
    dir,
    certPath: path.join(dir, CA_CERT_FILE),
    keyPath: path.join(dir, CA_KEY_FILE),
    indexPath: path.join(dir, INDEX_FILE),
    crlPath: path.join(dir, CRL_FILE),
    caBundlePath: path.join(dir, CA_BUNDLE_FILE),
    crlBundlePath: path.join(dir, CRL_BUNDLE_FILE),
  };
}

/** The directory of a previous CA, from its serial. */
export function previousCaPath(serial: string): string {
  return `${PREVIOUS_DIR}/${serial}`;
}
