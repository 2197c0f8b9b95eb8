import { readFileBounded } from '../bounded-read.ts';
import { SignetError } from '../errors.ts';

/** Paths to one party's TLS identity and the CA bundle it trusts. */
export interface TlsPaths {
  cert: string;
  key: string;
  ca: string;
  crl?: string | undefined;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export class TlsConfigError extends SignetError<'TLS_FILE_UNREADABLE'> {}

/** Largest PEM file we read: a bundle of many certificates, far from a DoS. */
const MAX_PEM = 1024 * 1024;

export function loadTlsMaterial(paths: TlsPaths): TlsMaterial {
  const read = (what: string, file: string): Buffer => {
    try {
      return readFileBounded(file, MAX_PEM).data;
    } catch (cause) {
      throw new TlsConfigError('TLS_FILE_UNREADABLE', `cannot read the ${what} file ${file}: ${(cause as Error).message}`, { cause });
    }
  };
  return { cert: read('certificate', paths.cert), key: read('private key', paths.key), ca: read('CA', paths.ca) };
}

/**
 * TLS settings shared by every hop. TLS 1.3 only: no downgrade, no renegotiation, the
 * client certificate travels encrypted.
 */
export const TLS_VERSION = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const;
