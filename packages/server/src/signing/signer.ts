import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type * as openpgp from 'openpgp';
import { SigningError } from './errors.ts';
import { nativeSigningKey, type SignerAlgorithm } from './native-key.ts';
import { buildSignaturePacket, type RawSign, type RawSignRequest } from './packet.ts';

/**
 * A signer holds one unlocked key as a `node:crypto` KeyObject, in memory only; it is never
 * written anywhere. `sign(data)` returns one whole binary OpenPGP signature packet (v4,
 * type 0x00) over `data` — for RPM, the main header blob.
 */
export interface Signer {
  /** Key ID of the signing (sub)key, 16 hex digits upper case. */
  readonly keyId: string;
  /** Fingerprint of the signing (sub)key, 40 hex digits upper case. */
  readonly fingerprint: string;
  /** Fingerprint of the primary key, 40 hex digits upper case (same as `fingerprint` unless a subkey signs). */
  readonly primaryFingerprint: string;
  readonly algorithm: SignerAlgorithm;
  /** OpenPGP public-key algorithm: 1 (RSA) or 22 (EdDSA legacy). */
  readonly pubkeyAlgorithm: number;
  readonly bits: number;
  sign(data: Buffer): Promise<Buffer>;
  /** Drops the key; later sign() calls fail with SIGNER_DISPOSED. */
  dispose(): void;
}

export interface SignerOptions {
  /** Clock for the signature creation time (default: the system clock). */
  readonly now?: () => Date;
  /** Largest input accepted by sign(), bytes (default 64 MiB, rpm's own header limit). */
  readonly maxInputBytes?: number;
}

export const DEFAULT_MAX_SIGN_INPUT = 64 * 1024 * 1024;

function signAsync(algorithm: string | null, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // The callback form runs in the libuv thread pool and keeps the event loop free.
    cryptoSign(algorithm, data, key, (err, signature) => (err ? reject(err) : resolve(signature)));
  });
}

function verifyAsync(algorithm: string | null, data: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => {
    cryptoVerify(algorithm, data, key, signature, (err, ok) => (err ? reject(err) : resolve(ok)));
  });
}

/** Builds a signer from a *decrypted* openpgp.js private key. */
export async function createSigner(key: openpgp.Key, options: SignerOptions = {}): Promise<Signer> {
  const now = options.now ?? (() => new Date());
  const maxInput = options.maxInputBytes ?? DEFAULT_MAX_SIGN_INPUT;
  const native = await nativeSigningKey(key, now());
  let privateKey: KeyObject | null = native.privateKey;
  const publicKey = native.publicKey;

  const rawSign: RawSign = async (req: RawSignRequest) => {
    const keyObject = privateKey;
    if (keyObject === null) throw new SigningError('SIGNER_DISPOSED', 'this signer was disposed; unlock the key again');
    let signature: Buffer;
    let ok: boolean;
    try {
      if (native.algorithm === 'rsa') {
        // EMSA-PKCS1-v1_5 over hash(hashInput): exactly OpenPGP's RSA signature (RFC 4880 §5.2.2).
        signature = await signAsync(req.hash, req.hashInput, keyObject);
        ok = await verifyAsync(req.hash, req.hashInput, publicKey, signature);
      } else {
        // Legacy EdDSA signs the digest itself as the message (RFC 4880bis §13.7 / RFC 9580 §5.2.3.3).
        signature = await signAsync(null, req.digest, keyObject);
        ok = await verifyAsync(null, req.digest, publicKey, signature);
      }
    } catch (err) {
      throw new SigningError('SIGN_FAILED', 'the signing operation failed', { cause: err });
    }
    // Threat: a fault during an RSA-CRT computation yields a signature that reveals a prime
    // factor of n (Boneh–DeMillo–Lipton). Never release a signature that does not verify.
    if (!ok) throw new SigningError('SIGN_FAILED', 'the signature made did not verify; refusing to release it');
    if (native.algorithm === 'rsa') return [signature];
    if (signature.length !== 64) throw new SigningError('SIGN_FAILED', 'Ed25519 signature is not 64 bytes');
    return [signature.subarray(0, 32), signature.subarray(32)]; // R, S as two MPIs
  };

  return {
    keyId: native.keyId.toString('hex').toUpperCase(),
    fingerprint: native.fingerprint.toString('hex').toUpperCase(),
    primaryFingerprint: native.primaryFingerprint,
    algorithm: native.algorithm,
    pubkeyAlgorithm: native.pubkeyAlgorithm,
    bits: native.bits,
    async sign(data: Buffer): Promise<Buffer> {
      if (privateKey === null) throw new SigningError('SIGNER_DISPOSED', 'this signer was disposed; unlock the key again');
      if (data.length > maxInput) {
        throw new SigningError('SIGN_INPUT_TOO_LARGE', `data to sign is ${data.length} bytes; the limit is ${maxInput}`);
      }
      return buildSignaturePacket(
        data,
        { pubkeyAlgorithm: native.pubkeyAlgorithm, hash: native.hash, issuerKeyId: native.keyId, issuerFingerprint: native.fingerprint, created: now() },
        rawSign,
      );
    },
    dispose(): void {
      privateKey = null;
    },
  };
}
