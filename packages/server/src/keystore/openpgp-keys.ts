import * as openpgp from 'openpgp';
import { createSigner, SigningError, type Signer } from '../signing/index.ts';
import { KeyStoreError, type KeyStoreErrorCode } from './errors.ts';

/**
 * The OpenPGP side of the key store: generating keys, parsing imports, and sealing keys
 * under their random passphrase. Pure apart from openpgp.js and node:crypto.
 */

export type KeyType = 'rsa4096' | 'rsa3072' | 'ed25519';
export const KEY_TYPES: readonly KeyType[] = ['rsa4096', 'rsa3072', 'ed25519'];

/** Largest armored key accepted for import. A signing key with a few subkeys is ~10 KiB. */
export const MAX_ARMORED_KEY_BYTES = 1024 * 1024;

export interface KeyDescription {
  readonly fingerprint: string;
  readonly signingKeyId: string;
  readonly signingFingerprint: string;
  readonly algorithm: 'rsa' | 'eddsa';
  readonly bits: number;
  readonly created: string;
  readonly expires: string | null;
}

const SIGNING_TO_STORE: Readonly<Record<string, KeyStoreErrorCode>> = {
  KEY_VERSION_UNSUPPORTED: 'KEY_VERSION_UNSUPPORTED',
  KEY_ALGORITHM_UNSUPPORTED: 'KEY_ALGORITHM_UNSUPPORTED',
  KEY_NOT_DECRYPTED: 'KEY_PASSPHRASE_REQUIRED',
  KEY_PUBLIC_ONLY: 'KEY_PUBLIC_ONLY',
  KEY_EXPIRED: 'KEY_EXPIRED',
  KEY_REVOKED: 'KEY_REVOKED',
  KEY_NO_SIGNING_KEY: 'KEY_NO_SIGNING_KEY',
  KEY_INCONSISTENT: 'KEY_INCONSISTENT',
  SIGN_FAILED: 'SIGN_FAILED',
};

/** Re-raises a SigningError under the key store's code of the same meaning. */
export function asStoreError(err: unknown): unknown {
  if (err instanceof SigningError) {
    const code = SIGNING_TO_STORE[err.code];
    if (code !== undefined) return new KeyStoreError(code, err.message, { cause: err });
  }
  return err;
}

/** Best effort: overwrites decrypted key parameters held by openpgp.js. */
export function clearSecrets(key: openpgp.Key | null | undefined): void {
  const clear = (key as { clearPrivateParams?: () => void } | null | undefined)?.clearPrivateParams;
  if (typeof clear === 'function') clear.call(key);
}

export async function generatePrivateKey(type: KeyType, userID: openpgp.UserID, date: Date): Promise<openpgp.PrivateKey> {
  const algo: Pick<openpgp.KeyOptions, 'type' | 'rsaBits' | 'curve'> =
    type === 'ed25519' ? { type: 'ecc', curve: 'ed25519Legacy' } : { type: 'rsa', rsaBits: type === 'rsa4096' ? 4096 : 3072 };
  // A signing-only key: certify+sign primary, no encryption subkey; v4 for rpm 4.18.
  const { privateKey } = await openpgp.generateKey({ ...algo, userIDs: [userID], date, subkeys: [], format: 'object', config: { v6Keys: false } });
  return privateKey;
}

/**
 * Parses an armored secret key as `gpg --export-secret-keys --armor` writes it and returns
 * it decrypted. Refuses public keys, several keys, malformed text, and wrong passphrases.
 */
export async function parseSecretKey(armored: unknown, fileKeyPassphrase: string | undefined): Promise<openpgp.PrivateKey> {
  if (typeof armored !== 'string' || armored.length === 0 || Buffer.byteLength(armored, 'utf8') > MAX_ARMORED_KEY_BYTES) {
    throw new KeyStoreError('KEY_MALFORMED', `the key file must be a non-empty armored OpenPGP key of at most ${MAX_ARMORED_KEY_BYTES} bytes`);
  }
  // Threat: a second armored block after the first; openpgp.js would read only the first
  // and silently ignore the rest, so what is stored might not be what the operator meant.
  const blocks = armored.match(/^-----BEGIN PGP [A-Z ]+-----\s*$/gm)?.length ?? 0;
  if (blocks !== 1) {
    throw new KeyStoreError('KEY_MALFORMED', `the key file holds ${blocks} armored blocks; export exactly one key with gpg --export-secret-keys --armor KEYID`);
  }
  let keys: openpgp.Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch (err) {
    throw new KeyStoreError('KEY_MALFORMED', 'the key file is not a readable OpenPGP key (export it with gpg --export-secret-keys --armor KEYID)', { cause: err });
  }
  // Threat: a file holding several keys, of which a different one than intended is stored.
  if (keys.length !== 1) {
    throw new KeyStoreError('KEY_MALFORMED', `the key file holds ${keys.length} keys; export exactly one`);
  }
  const key = keys[0] as openpgp.Key;
  if (!key.isPrivate()) {
    throw new KeyStoreError('KEY_PUBLIC_ONLY', 'the key file holds a public key only; export the secret key with gpg --export-secret-keys --armor');
  }
  if (key.keyPacket.version !== 4) {
    throw new KeyStoreError('KEY_VERSION_UNSUPPORTED', `v${key.keyPacket.version} keys are refused: rpm 4.18 verifies only v4 signatures`);
  }
  const encrypted = key.getKeys().some(({ keyPacket }) => {
    const p = keyPacket as openpgp.SecretKeyPacket;
    return typeof p.isDummy === 'function' && !p.isDummy() && !p.isDecrypted();
  });
  if (!encrypted) return key;
  if (fileKeyPassphrase === undefined) {
    throw new KeyStoreError('KEY_PASSPHRASE_REQUIRED', 'the key is protected by a passphrase; give it with --key-passphrase-file');
  }
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase: fileKeyPassphrase });
  } catch (err) {
    throw new KeyStoreError('KEY_PASSPHRASE_WRONG', 'the key file passphrase does not decrypt the key', { cause: err });
  }
}

/** Builds a signer from a decrypted key, makes and checks one probe signature, disposes it. */
export async function probeKey(key: openpgp.PrivateKey, date: Date): Promise<Signer> {
  try {
    const signer = await createSigner(key, { now: () => date });
    await signer.sign(Buffer.from('signet key probe'));
    signer.dispose();
    return signer;
  } catch (err) {
    throw asStoreError(err);
  }
}

export async function describeKey(key: openpgp.PrivateKey, signer: Signer): Promise<KeyDescription> {
  let expires: string | null = null;
  const exp = await key.getExpirationTime();
  if (exp instanceof Date) expires = exp.toISOString();
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    signingKeyId: signer.keyId,
    signingFingerprint: signer.fingerprint,
    algorithm: signer.algorithm,
    bits: signer.bits,
    created: key.getCreationTime().toISOString(),
    expires,
  };
}

/** A key passphrase (random bytes, KEY_PASSPHRASE_BYTES) as the text sealKey and unsealKey take: base64. */
// A view, not a copy: a copy would leave the secret in Node's shared buffer pool, unwiped.
export const keyPassText = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export async function sealKey(key: openpgp.PrivateKey, passphrase: string): Promise<{ secretArmored: string; publicArmored: string }> {
  const sealed = await openpgp.encryptKey({ privateKey: key, passphrase });
  return { secretArmored: sealed.armor(), publicArmored: key.toPublic().armor() };
}

/** Opens a stored key. Any failure means the row does not match its grant: the database was altered. */
export async function unsealKey(secretArmored: string, passphrase: string, expectedFingerprint: string): Promise<openpgp.PrivateKey> {
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: secretArmored }), passphrase });
  } catch (err) {
    throw new KeyStoreError('DB_CORRUPT', 'the stored key does not open with its passphrase; the database was altered: restore it from a backup', { cause: err });
  }
  // Threat: a secret key row swapped for another key's that happens to open.
  if (key.getFingerprint().toUpperCase() !== expectedFingerprint) {
    clearSecrets(key);
    throw new KeyStoreError('DB_CORRUPT', 'the stored key does not match its recorded fingerprint; restore the database from a backup');
  }
  return key;
}
