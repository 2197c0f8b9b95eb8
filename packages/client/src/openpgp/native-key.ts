import { createPublicKey, type KeyObject } from 'node:crypto';
import * as openpgp from 'openpgp';
import { ClientError } from '../errors.ts';

/**
 * The session's verification key as a `node:crypto` KeyObject, derived once from the
 * openpgp.js key the server sent, so each returned signature is checked by OpenSSL
 * (microseconds) instead of by `openpgp.verify`, which re-imports the key through
 * WebCrypto for every call. The key's OpenPGP validity (self-signatures, expiry,
 * revocation) is still decided by openpgp.js, once per signature creation second.
 */
export interface NativePublicKey {
  /** Key ID of the (sub)key, 16 hex digits upper case. */
  readonly keyId: string;
  /** OpenPGP public-key algorithm: 1 (RSA) or 22 (EdDSA legacy, Ed25519). */
  readonly pubkeyAlgorithm: 1 | 22;
  readonly keyObject: KeyObject;
  /** RSA: bytes of the modulus (signatures are left-padded to it); EdDSA: 32. */
  readonly size: number;
  /** Creation time of the (sub)key. */
  readonly created: Date;
  /** Resolves if openpgp.js holds the (sub)key a valid signing key at `date`; else SIGNATURE_INVALID. */
  validAt(date: Date): Promise<void>;
}

export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 16384;
/** Distinct creation seconds whose key-validity verdicts are remembered. */
const VALIDITY_MEMO = 64;

const invalid = (message: string, cause?: unknown): ClientError =>
  new ClientError('SIGNATURE_INVALID', message, cause === undefined ? undefined : { cause });

function param(params: object, name: string): Uint8Array {
  const value = (params as Record<string, unknown>)[name];
  if (!(value instanceof Uint8Array) || value.length === 0) throw invalid(`the server's public key lacks the ${name} parameter`);
  return value;
}

/** An MPI's bytes without leading zeros (JWK wants minimal big-endian integers). */
function unsigned(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return Buffer.from(bytes.subarray(start));
}

function rsaKey(packet: openpgp.PublicKeyPacket | openpgp.PublicSubkeyPacket): { keyObject: KeyObject; size: number } {
  const n = unsigned(param(packet.publicParams, 'n'));
  const e = unsigned(param(packet.publicParams, 'e'));
  const bits = (n.length - 1) * 8 + (32 - Math.clz32(n[0] as number));
  // Threat: a weak (factorable) or absurdly large modulus; the server refuses the same range.
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw invalid(`RSA-${bits} key refused: ${MIN_RSA_BITS}..${MAX_RSA_BITS} bits only`);
  if (e.length > 8) throw invalid('RSA public exponent is implausibly large');
  const keyObject = createPublicKey({ format: 'jwk', key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') } });
  return { keyObject, size: n.length };
}

function eddsaKey(packet: openpgp.PublicKeyPacket | openpgp.PublicSubkeyPacket): { keyObject: KeyObject; size: number } {
  if (packet.getAlgorithmInfo().curve !== 'ed25519Legacy') {
    throw invalid(`EdDSA key on curve ${String(packet.getAlgorithmInfo().curve)} refused: only Ed25519 is verified`);
  }
  const q = param(packet.publicParams, 'Q');
  // Legacy EdDSA points are 0x40 ‖ 32 bytes (native encoding).
  if (q.length !== 33 || q[0] !== 0x40) throw invalid('EdDSA public point is not in native 0x40 format');
  const keyObject = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(q.subarray(1)).toString('base64url') } });
  return { keyObject, size: 32 };
}

async function build(key: openpgp.PublicKey, keyId: string): Promise<NativePublicKey> {
  if (!/^[0-9A-F]{16}$/.test(keyId)) throw invalid(`key ID ${keyId} is not 16 hex digits`);
  // The same (sub)key openpgp.verify would pick for a signature naming this key ID.
  const found = key.getKeys().find((k) => k.getKeyID().toHex().toUpperCase() === keyId);
  if (found === undefined) throw invalid(`the server's public key has no (sub)key ${keyId}`);
  const id = found.getKeyID();
  const packet = found.keyPacket as openpgp.PublicKeyPacket | openpgp.PublicSubkeyPacket;
  // rpm 4.18 verifies v4 signatures made by v4 keys only.
  if (packet.version !== 4) throw invalid(`key ${keyId} is a v${packet.version} key; only v4 keys are verified`);
  const algorithms = openpgp.enums.publicKey;
  let made: { keyObject: KeyObject; size: number };
  let pubkeyAlgorithm: 1 | 22;
  try {
    if (packet.algorithm === algorithms.rsaEncryptSign || packet.algorithm === algorithms.rsaSign) {
      made = rsaKey(packet);
      pubkeyAlgorithm = 1;
    } else if (packet.algorithm === algorithms.eddsaLegacy) {
      made = eddsaKey(packet);
      pubkeyAlgorithm = 22;
    } else {
      throw invalid(`key ${keyId} has public-key algorithm ${packet.algorithm}; rpm 4.18 verifies only RSA (1) and EdDSA legacy (22)`);
    }
  } catch (cause) {
    if (cause instanceof ClientError) throw cause;
    throw invalid(`the server's public key ${keyId} cannot be used: ${(cause as Error).message}`, cause);
  }
  const verdicts = new Map<number, Promise<void>>();
  const validAt = (date: Date): Promise<void> => {
    const second = Math.floor(date.getTime() / 1000);
    let verdict = verdicts.get(second);
    if (verdict === undefined) {
      if (verdicts.size >= VALIDITY_MEMO) verdicts.clear();
      // Threat: a signature by a key that was expired, revoked or not allowed to sign when
      // the signature was made. openpgp.js decides, exactly as openpgp.verify would.
      verdict = key.getSigningKey(id, new Date(second * 1000)).then(
        () => undefined,
        (cause: unknown) => {
          throw invalid(`key ${keyId} was not a valid signing key at ${date.toISOString()}: ${(cause as Error).message}`, cause);
        },
      );
      verdicts.set(second, verdict);
    }
    return verdict;
  };
  return { keyId, pubkeyAlgorithm, keyObject: made.keyObject, size: made.size, created: packet.getCreationTime(), validAt };
}

const cache = new WeakMap<openpgp.PublicKey, Map<string, Promise<NativePublicKey>>>();

/**
 * The native form of (sub)key `keyId` of `key`, made once per openpgp.js key object (a
 * session parses the server's key once) and cached for as long as that object lives.
 * Throws SIGNATURE_INVALID if the (sub)key is missing or not RSA ≥ 2048 / Ed25519 legacy.
 */
export function nativePublicKey(key: openpgp.PublicKey, keyId: string): Promise<NativePublicKey> {
  let byId = cache.get(key);
  if (byId === undefined) {
    byId = new Map();
    cache.set(key, byId);
  }
  const wanted = keyId.toUpperCase();
  let made = byId.get(wanted);
  if (made === undefined) {
    made = build(key, wanted);
    byId.set(wanted, made);
  }
  return made;
}
