import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KeyStoreError } from './errors.ts';

/**
 * Optional binding: a 32-byte random secret in a file kept outside the database (for example
 * on removable media). When a store is bound, every grant's wrap key also depends on this
 * secret (wrap.ts), so a copy of signet.db alone opens nothing, even with every access
 * passphrase. The database records only a fingerprint of the secret (a domain-separated
 * SHA-256), so the right file can be recognised and a wrong one refused with a clear code.
 */

export const BINDING_BYTES = 32;
const FINGERPRINT_LABEL = 'signet-binding-fingerprint-v1\0';

/** meta row holding the fingerprint of a bound store's secret (absent: not bound). */
export const BINDING_META = 'binding_sha256';

export function bindingFingerprint(secret: Uint8Array): string {
  return createHash('sha256').update(FINGERPRINT_LABEL).update(secret).digest('hex');
}

/** Creates the binding file (mode 0600); refuses to overwrite one. Returns the secret. */
export function createBindingFile(file: string): Uint8Array {
  const target = path.resolve(file);
  const secret = randomBytes(BINDING_BYTES);
  let fd: number;
  try {
    // Threat: overwriting the binding file of another store would lock that store for good.
    fd = fs.openSync(target, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'EEXIST' ? 'it already exists (never overwrite a binding file: the store it belongs to would never open again)' : code;
    throw new KeyStoreError('BINDING_FILE_INVALID', `cannot create the binding file ${target}: ${why}`, { cause: err });
  }
  try {
    fs.writeSync(fd, secret);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return new Uint8Array(secret);
}

/** Reads a binding file: a regular file of exactly 32 bytes. */
export function readBindingFile(file: string): Uint8Array {
  const target = path.resolve(file);
  let data: Buffer;
  try {
    const st = fs.statSync(target);
    if (!st.isFile()) throw new KeyStoreError('BINDING_FILE_INVALID', `the binding file ${target} is not a regular file`);
    if (st.size !== BINDING_BYTES) throw new KeyStoreError('BINDING_FILE_INVALID', `the binding file ${target} is ${st.size} bytes, not ${BINDING_BYTES}: not a Signet binding file`);
    data = fs.readFileSync(target);
  } catch (err) {
    if (err instanceof KeyStoreError) throw err;
    throw new KeyStoreError('BINDING_FILE_INVALID', `cannot read the binding file ${target}: ${(err as NodeJS.ErrnoException).code ?? 'error'} (is the medium mounted?)`, { cause: err });
  }
  if (data.length !== BINDING_BYTES) throw new KeyStoreError('BINDING_FILE_INVALID', `the binding file ${target} changed while being read`);
  return new Uint8Array(data);
}

/** Constant-time comparison of the file's fingerprint with the one the store recorded. */
export function bindingMatches(secret: Uint8Array, recorded: string): boolean {
  const actual = Buffer.from(bindingFingerprint(secret), 'hex');
  const expected = Buffer.from(recorded, 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
