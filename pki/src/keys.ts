import { generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { PkiError } from './errors.ts';

/** RSA modulus sizes signet-pki issues. 2048 is the floor (NIST SP 800-57 to 2030). */
export const KEY_BITS = [2048, 3072, 4096] as const;
export type KeyBits = (typeof KEY_BITS)[number];
export const DEFAULT_KEY_BITS: KeyBits = 3072;

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export function parseKeyBits(value: number | string): KeyBits {
  const bits = typeof value === 'number' ? value : /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN;
  const found = KEY_BITS.find((b) => b === bits);
  if (found === undefined) {
    throw new PkiError('PKI_USAGE', `key size must be one of ${KEY_BITS.join(', ')} bits`);
  }
  return found;
}

/** A fresh RSA key pair from OpenSSL's generator (node:crypto), not forge's JS one. */
export function generateRsaKeyPair(bits: KeyBits = DEFAULT_KEY_BITS): KeyPair {
  return generateKeyPairSync('rsa', { modulusLength: parseKeyBits(bits) });
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** Same as generateRsaKeyPair, off the main thread; several run in parallel. */
export async function generateRsaKeyPairAsync(bits: KeyBits = DEFAULT_KEY_BITS): Promise<KeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: parseKeyBits(bits) });
}

/** Private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"). */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

/** RSA modulus size of a key, or undefined for any other kind of key. */
export function rsaBits(key: KeyObject): number | undefined {
  return key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength : undefined;
}
