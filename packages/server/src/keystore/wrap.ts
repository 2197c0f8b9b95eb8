import { argon2 as argon2Callback, hkdfSync } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { KeyStoreError } from './errors.ts';

/**
 * Per-user wrapping of a key's passphrase (sigul's `key_accesses` model):
 *   wrapKey = Argon2id(access passphrase, random salt, opslimit, memlimit)
 *   wrapped = XChaCha20-Poly1305-IETF(wrapKey, random 24-byte nonce, keyPassphrase, ad)
 * with ad = "signet-grant-v1" 0 fingerprint 0 user 0 keyAdmin. Binding the row in `ad`
 * stops a wrapped passphrase copied to another user's or another key's row from opening,
 * and stops a flipped key_admin flag from being honoured.
 *
 * Argon2id runs in Node's thread pool (`crypto.argon2`, byte-identical to libsodium's
 * crypto_pwhash with parallelism 1, memory = memlimit / 1024 KiB, passes = opslimit), so an
 * unlock no longer stalls every other session for the ~0.7 s of a moderate derivation.
 *
 * Optional binding: with a server-local secret (binding.ts), the wrap key becomes
 *   HKDF-SHA256(ikm = Argon2id output ‖ binding secret, salt = grant salt, info = BINDING_INFO)
 * so the database together with every passphrase still opens nothing without the file.
 */

export type Argon2Level = 'moderate' | 'interactive' | 'min';

export interface Argon2Params {
  readonly opslimit: number;
  readonly memlimit: number;
}

export interface WrappedSecret extends Argon2Params {
  readonly wrapped: Uint8Array;
  readonly salt: Uint8Array;
  readonly nonce: Uint8Array;
}

const AD_LABEL = 'signet-grant-v1';

/** libsodium's presets (crypto_pwhash_*_{MODERATE,INTERACTIVE,MIN}). */
export const ARGON2_PRESETS: Readonly<Record<Argon2Level, Argon2Params>> = {
  moderate: { opslimit: 3, memlimit: 256 * 1024 * 1024 },
  interactive: { opslimit: 2, memlimit: 64 * 1024 * 1024 },
  min: { opslimit: 1, memlimit: 8192 },
};

/**
 * Bounds on limits read back from the database. Threat: an altered row asking for
 * terabytes of memory (denial of service); the floor is libsodium's own minimum.
 */
export const ARGON2_BOUNDS = { minOps: 1, maxOps: 16, minMem: 8192, maxMem: 1024 * 1024 * 1024 } as const;

export const SALT_BYTES = 16;
export const NONCE_BYTES = 24;
export const WRAP_KEY_BYTES = 32;
const TAG_BYTES = 16;
export const MAX_WRAPPED_BYTES = 1024;

let ready: Promise<void> | undefined;

/** libsodium must finish loading its WebAssembly before any call. */
export function sodiumReady(): Promise<void> {
  ready ??= sodium.ready;
  return ready;
}

export function argon2Params(level: Argon2Level | Argon2Params): Argon2Params {
  const params = typeof level === 'string' ? ARGON2_PRESETS[level] : level;
  if (params === undefined) throw new KeyStoreError('ARGON2_PARAMS_INVALID', `unknown Argon2id level '${String(level)}': use moderate, interactive or min`);
  checkArgon2Params(params);
  return params;
}

export function checkArgon2Params(params: Argon2Params): void {
  const { opslimit, memlimit } = params;
  if (
    !Number.isSafeInteger(opslimit) || opslimit < ARGON2_BOUNDS.minOps || opslimit > ARGON2_BOUNDS.maxOps ||
    !Number.isSafeInteger(memlimit) || memlimit < ARGON2_BOUNDS.minMem || memlimit > ARGON2_BOUNDS.maxMem
  ) {
    throw new KeyStoreError('ARGON2_PARAMS_INVALID', `Argon2id limits out of range (ops ${ARGON2_BOUNDS.minOps}..${ARGON2_BOUNDS.maxOps}, memory ${ARGON2_BOUNDS.minMem}..${ARGON2_BOUNDS.maxMem} bytes)`);
  }
}

export function grantAssociatedData(fingerprint: string, userName: string, keyAdmin: boolean): Uint8Array {
  return Buffer.from(`${AD_LABEL}\0${fingerprint}\0${userName}\0${keyAdmin ? 1 : 0}`, 'utf8');
}

const BINDING_INFO = 'signet-grant-binding-v1';

/** Argon2id in the libuv thread pool; the event loop stays free while it runs. */
export function argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2Params, length: number = WRAP_KEY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2Callback(
      'argon2id',
      { message: password, nonce: salt, parallelism: 1, tagLength: length, memory: Math.floor(params.memlimit / 1024), passes: params.opslimit },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

async function deriveKey(passphrase: string, salt: Uint8Array, params: Argon2Params, binding: Uint8Array | null): Promise<Uint8Array> {
  checkArgon2Params(params);
  const password = Buffer.from(passphrase, 'utf8');
  let stretched: Buffer | null = null;
  try {
    stretched = await argon2id(password, salt, params);
    if (binding === null) return stretched;
    const ikm = Buffer.concat([stretched, binding]);
    try {
      return new Uint8Array(hkdfSync('sha256', ikm, salt, BINDING_INFO, WRAP_KEY_BYTES));
    } finally {
      ikm.fill(0);
      stretched.fill(0);
    }
  } finally {
    password.fill(0);
  }
}

/** `binding`: the store's binding secret, or null when the store uses none. */
export async function wrapSecret(secret: Uint8Array, passphrase: string, ad: Uint8Array, params: Argon2Params, binding: Uint8Array | null): Promise<WrappedSecret> {
  await sodiumReady();
  const salt = sodium.randombytes_buf(SALT_BYTES);
  const nonce = sodium.randombytes_buf(NONCE_BYTES);
  const key = await deriveKey(passphrase, salt, params, binding);
  try {
    const wrapped = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(secret, ad, null, nonce, key);
    return { wrapped, salt, nonce, opslimit: params.opslimit, memlimit: params.memlimit };
  } finally {
    sodium.memzero(key);
  }
}

/**
 * Returns the secret, or null when the passphrase is wrong or the row was altered or moved:
 * the AEAD tag check (constant time, inside libsodium) cannot tell these apart, and says so.
 */
export async function unwrapSecret(w: WrappedSecret, passphrase: string, ad: Uint8Array, binding: Uint8Array | null): Promise<Uint8Array | null> {
  await sodiumReady();
  // Threat: malformed rows crashing or stalling the unwrap; they are refused as corrupt.
  if (w.salt.length !== SALT_BYTES || w.nonce.length !== NONCE_BYTES || w.wrapped.length <= TAG_BYTES || w.wrapped.length > MAX_WRAPPED_BYTES) {
    throw new KeyStoreError('DB_CORRUPT', 'a grant row has a malformed salt, nonce or wrapped passphrase; restore the database from a backup');
  }
  const key = await deriveKey(passphrase, w.salt, w, binding);
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, w.wrapped, ad, w.nonce, key);
  } catch {
    return null;
  } finally {
    sodium.memzero(key);
  }
}

/**
 * Spends the same Argon2id work as a real unwrap. Threat: timing would otherwise tell an
 * authenticated user whether a key they hold no grant for exists.
 */
export async function burnUnwrapTime(passphrase: string, params: Argon2Params): Promise<void> {
  const key = await deriveKey(passphrase, new Uint8Array(SALT_BYTES), params, null);
  key.fill(0);
}

export async function randomSecret(bytes: number): Promise<Uint8Array> {
  await sodiumReady();
  return sodium.randombytes_buf(bytes);
}

export function zero(buf: Uint8Array | null | undefined): void {
  buf?.fill(0);
}
