import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as openpgp from 'openpgp';
import { SigningError } from './errors.ts';
import { PUBKEY_EDDSA_LEGACY, PUBKEY_RSA, type HashName } from './packet.ts';

/**
 * Turns the signing (sub)key of a decrypted openpgp.js key into a `node:crypto` KeyObject,
 * so signing runs in OpenSSL (constant-time, off the event loop) and not in JavaScript.
 *
 * Only what rpm 4.18 verifies is accepted: v4 RSA (≥ 2048 bits) and v4 EdDSA legacy
 * (algorithm 22, curve Ed25519). Everything else is refused with a code, before any
 * signature is made, so a package is never signed with a key its users cannot check.
 */

export type SignerAlgorithm = 'rsa' | 'eddsa';

export interface NativeSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly algorithm: SignerAlgorithm;
  readonly pubkeyAlgorithm: number;
  readonly hash: HashName;
  readonly bits: number;
  /** 8 bytes: key ID of the signing (sub)key. */
  readonly keyId: Buffer;
  /** 20 bytes: fingerprint of the signing (sub)key. */
  readonly fingerprint: Buffer;
  /** Fingerprint of the primary key, 40 hex upper case. */
  readonly primaryFingerprint: string;
  readonly isSubkey: boolean;
}

export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 16384;

/** openpgp.js config that rejects nothing, so *we* decide and give a precise code. */
const PERMISSIVE: openpgp.Config = {
  ...openpgp.config,
  rejectPublicKeyAlgorithms: new Set<openpgp.enums.publicKey>(),
  rejectCurves: new Set<openpgp.enums.curve>(),
  minRSABits: 0,
};

type KeyPacket = openpgp.PublicKeyPacket | openpgp.SecretKeyPacket | openpgp.PublicSubkeyPacket | openpgp.SecretSubkeyPacket;

function unsupported(message: string): SigningError {
  return new SigningError('KEY_ALGORITHM_UNSUPPORTED', message);
}

/** Why each refused algorithm is refused: the message tells the operator what to use instead. */
function refuseAlgorithm(algorithm: number): never {
  const e = openpgp.enums.publicKey;
  switch (algorithm) {
    case e.ed25519:
      throw unsupported('Ed25519 keys of algorithm 27 are refused: rpm 4.18 cannot verify them; use EdDSA legacy (algorithm 22, gpg --quick-gen-key ... ed25519)');
    case e.ed448:
      throw unsupported('Ed448 keys are refused: rpm 4.18 cannot verify them; use RSA or EdDSA legacy');
    case e.ecdsa:
      throw unsupported('ECDSA keys are refused: rpm 4.18 (libgcrypt build) rejects ECDSA signatures; use RSA or EdDSA legacy');
    case e.dsa:
      throw unsupported('DSA keys are refused: DSA is obsolete; use RSA or EdDSA legacy');
    default:
      throw unsupported(`public-key algorithm ${algorithm} cannot sign RPM packages here; use RSA (≥ ${MIN_RSA_BITS} bits) or EdDSA legacy (algorithm 22)`);
  }
}

/** Refuses revoked, expired and non-v4 keys; returns the (sub)key gpg would sign with. */
export async function selectSigningKey(key: openpgp.Key, date: Date = new Date()): Promise<openpgp.Key | openpgp.Subkey> {
  // v6 signatures are not understood by rpm 4.18 ("Unsupported version of signature: V6").
  if (key.keyPacket.version !== 4) {
    throw new SigningError('KEY_VERSION_UNSUPPORTED', `v${key.keyPacket.version} keys are refused: rpm 4.18 verifies only v4 signatures; use a v4 key`);
  }
  if (await key.isRevoked(undefined, undefined, date, PERMISSIVE)) {
    throw new SigningError('KEY_REVOKED', `key ${key.getFingerprint().toUpperCase()} is revoked; import or generate a valid key`);
  }
  let expires: Date | number | null = null;
  try {
    expires = await key.getExpirationTime(undefined, PERMISSIVE);
  } catch {
    expires = null; // no valid self-signature: getSigningKey below reports it
  }
  if (expires instanceof Date && expires.getTime() <= date.getTime()) {
    throw new SigningError('KEY_EXPIRED', `key ${key.getFingerprint().toUpperCase()} expired on ${expires.toISOString()}; extend its expiry with gpg --quick-set-expire and import it again`);
  }
  // Like gpg: the newest valid signing subkey, else the primary key if it may sign.
  try {
    return await key.getSigningKey(undefined, date, undefined, PERMISSIVE);
  } catch (err) {
    throw new SigningError('KEY_NO_SIGNING_KEY', `key ${key.getFingerprint().toUpperCase()} has no valid signing key (expired or revoked subkeys, or no signing capability)`, { cause: err });
  }
}

function isSecretPacket(packet: KeyPacket): packet is openpgp.SecretKeyPacket | openpgp.SecretSubkeyPacket {
  return packet instanceof openpgp.SecretKeyPacket || packet instanceof openpgp.SecretSubkeyPacket;
}

function param(params: object | null, name: string): Uint8Array {
  const value = (params as Record<string, unknown> | null)?.[name];
  if (!(value instanceof Uint8Array) || value.length === 0) {
    throw new SigningError('KEY_INCONSISTENT', `key material lacks the ${name} parameter`);
  }
  return value;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function b64u(value: bigint | Uint8Array): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64url');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** a⁻¹ mod m by the extended Euclidean algorithm; throws if not invertible. */
export function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new SigningError('KEY_INCONSISTENT', 'RSA key parameters are not coprime');
  return mod(oldS, m);
}

function rsaKey(packet: openpgp.SecretKeyPacket | openpgp.SecretSubkeyPacket): { privateKey: KeyObject; bits: number } {
  const nBytes = param(packet.publicParams, 'n');
  const n = toBigInt(nBytes);
  const e = toBigInt(param(packet.publicParams, 'e'));
  const d = toBigInt(param(packet.privateParams, 'd'));
  const p = toBigInt(param(packet.privateParams, 'p'));
  const q = toBigInt(param(packet.privateParams, 'q'));
  const u = toBigInt(param(packet.privateParams, 'u'));
  const bits = n.toString(2).length;
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    throw unsupported(`RSA-${bits} is refused: RSA keys must have ${MIN_RSA_BITS}..${MAX_RSA_BITS} bits`);
  }
  // Threat: tampered or corrupted key material. A wrong prime or exponent would make
  // OpenSSL emit signatures that fail (or, with a bad CRT value, leak a factor of n).
  if (p < 2n || q < 2n || p * q !== n) throw new SigningError('KEY_INCONSISTENT', 'RSA primes do not multiply to the public modulus');
  if (mod(u * p, q) !== 1n) throw new SigningError('KEY_INCONSISTENT', 'RSA coefficient u is not p⁻¹ mod q');
  const dp = mod(d, p - 1n);
  const dq = mod(d, q - 1n);
  if (mod(e * dp, p - 1n) !== 1n || mod(e * dq, q - 1n) !== 1n) {
    throw new SigningError('KEY_INCONSISTENT', 'RSA private exponent does not match the public exponent');
  }
  // OpenPGP stores u = p⁻¹ mod q; JWK (RFC 7518 §6.3.2.6) wants qi = q⁻¹ mod p.
  const qi = modInverse(q, p);
  const privateKey = createPrivateKey({
    format: 'jwk',
    key: { kty: 'RSA', n: b64u(n), e: b64u(e), d: b64u(d), p: b64u(p), q: b64u(q), dp: b64u(dp), dq: b64u(dq), qi: b64u(qi) },
  });
  return { privateKey, bits };
}

function eddsaLegacyKey(packet: openpgp.SecretKeyPacket | openpgp.SecretSubkeyPacket): { privateKey: KeyObject; bits: number } {
  if (packet.getAlgorithmInfo().curve !== 'ed25519Legacy') {
    throw unsupported(`EdDSA on curve ${String(packet.getAlgorithmInfo().curve)} is refused; only Ed25519 is supported`);
  }
  const q = param(packet.publicParams, 'Q');
  const seed = param(packet.privateParams, 'seed');
  // Legacy EdDSA public points are 0x40 ‖ 32 bytes (native point format).
  if (q.length !== 33 || q[0] !== 0x40) throw new SigningError('KEY_INCONSISTENT', 'EdDSA public point is not in native 0x40 format');
  if (seed.length > 32) throw new SigningError('KEY_INCONSISTENT', 'EdDSA secret seed is longer than 32 bytes');
  // The seed is an MPI: leading zero bytes may have been stripped when stored.
  const d = Buffer.alloc(32);
  Buffer.from(seed).copy(d, 32 - seed.length);
  const x = b64u(q.subarray(1));
  try {
    const privateKey = createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', d: b64u(d), x } });
    // Threat: a seed that does not belong to the published key would sign unverifiable packages.
    const derived = createPublicKey(privateKey).export({ format: 'jwk' });
    if (derived.x !== x) throw new SigningError('KEY_INCONSISTENT', 'EdDSA secret seed does not match the public key');
    return { privateKey, bits: 256 };
  } finally {
    d.fill(0);
  }
}

/**
 * Builds the native signing key. `key` must be decrypted; the caller keeps ownership of it
 * (and should clear its secret parameters once the signer exists).
 */
export async function nativeSigningKey(key: openpgp.Key, date: Date = new Date()): Promise<NativeSigningKey> {
  const chosen = await selectSigningKey(key, date);
  const packet = chosen.keyPacket as KeyPacket;
  // Threat: a public key or a gpg stub (secret subkeys exported without the primary) passed as a private key.
  if (!isSecretPacket(packet) || packet.isDummy() || packet.isMissingSecretKeyMaterial()) {
    throw new SigningError('KEY_PUBLIC_ONLY', `signing key ${packet.getKeyID().toHex().toUpperCase()} has no secret key material`);
  }
  if (!packet.isDecrypted()) {
    throw new SigningError('KEY_NOT_DECRYPTED', 'the secret key is still encrypted; decrypt it first');
  }
  let made: { privateKey: KeyObject; bits: number };
  let algorithm: SignerAlgorithm;
  if (packet.algorithm === openpgp.enums.publicKey.rsaEncryptSign || packet.algorithm === openpgp.enums.publicKey.rsaSign) {
    made = rsaKey(packet);
    algorithm = 'rsa';
  } else if (packet.algorithm === openpgp.enums.publicKey.eddsaLegacy) {
    made = eddsaLegacyKey(packet);
    algorithm = 'eddsa';
  } else {
    refuseAlgorithm(packet.algorithm);
  }
  const fingerprint = packet.getFingerprintBytes();
  if (fingerprint === null || fingerprint.length !== 20) {
    throw new SigningError('KEY_VERSION_UNSUPPORTED', 'signing key has no v4 fingerprint');
  }
  return {
    privateKey: made.privateKey,
    publicKey: createPublicKey(made.privateKey),
    algorithm,
    pubkeyAlgorithm: algorithm === 'rsa' ? PUBKEY_RSA : PUBKEY_EDDSA_LEGACY,
    // gpg 2.2's defaults: SHA-512 for RSA, SHA-256 for Ed25519.
    hash: algorithm === 'rsa' ? 'sha512' : 'sha256',
    bits: made.bits,
    keyId: Buffer.from(packet.getKeyID().toHex(), 'hex'),
    fingerprint: Buffer.from(fingerprint),
    primaryFingerprint: key.getFingerprint().toUpperCase(),
    isSubkey: chosen !== key,
  };
}
