import { createHash, createVerify, verify as cryptoVerify } from 'node:crypto';
import { v4HashTrailer } from '@signet/rpm';
import { ClientError } from '../errors.ts';
import type { SignatureFacts } from './inspect.ts';
import type { NativePublicKey } from './native-key.ts';

/**
 * Hash algorithms (RFC 4880 §9.4) accepted in a returned signature. Threat: a server (or a
 * forged answer) downgrading to a weak or collision-prone hash (MD5, SHA-1, RIPEMD-160,
 * SHA-224); rpm 4.18 and gpg sign with these three.
 */
const HASHES: ReadonlyMap<number, string> = new Map([
  [8, 'sha256'],
  [9, 'sha384'],
  [10, 'sha512'],
]);

const fail = (why: string): never => {
  throw new ClientError('SIGNATURE_INVALID', `signature does not verify: ${why}`);
};

/** Reads one MPI (RFC 4880 §3.2) at `pos`: its value bytes and the position after it. */
function readMpi(tail: Buffer, pos: number): { value: Buffer; next: number } {
  if (pos + 2 > tail.length) fail('truncated MPI');
  const bytes = (tail.readUInt16BE(pos) + 7) >>> 3;
  if (pos + 2 + bytes > tail.length) fail('MPI runs past the end of the packet');
  return { value: tail.subarray(pos + 2, pos + 2 + bytes), next: pos + 2 + bytes };
}

/** Left-pads `value` to `size` bytes; fails if it does not fit. */
function padded(value: Buffer, size: number, what: string): Buffer {
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  const bare = value.subarray(start);
  if (bare.length > size) fail(`${what} is longer than ${size} bytes`);
  const out = Buffer.alloc(size);
  bare.copy(out, size - bare.length);
  return out;
}

/**
 * Checks a v4 signature packet, already shaped by `inspectSignaturePacket` (type, algorithm
 * and issuer checked by the caller), over `data` with `key`, at time `now`:
 * hash = H(data ‖ hashed part ‖ 0x04 0xFF ‖ u32 length) (RFC 4880 §5.2.4), the packet's
 * 2-byte hash prefix, then RSA PKCS#1 v1.5 or Ed25519 over the digest; then the times
 * openpgp.verify checks (creation not in the future, not expired, not before the key).
 * Pure apart from the clock passed in; throws SIGNATURE_INVALID. The key's own validity at
 * the creation time (returned) is `key.validAt`'s, for the caller to await.
 */
export function checkNativeSignature(facts: SignatureFacts, data: Buffer, key: NativePublicKey, now: Date): Date {
  if (facts.pubkeyAlgorithm !== key.pubkeyAlgorithm) fail(`the packet's algorithm ${facts.pubkeyAlgorithm} is not the key's ${key.pubkeyAlgorithm}`);
  const hashName = HASHES.get(facts.hashAlgorithm) ?? fail(`hash algorithm ${facts.hashAlgorithm} refused (SHA-256, SHA-384 or SHA-512 only)`);
  const trailer = v4HashTrailer(facts.hashedPart.length);
  const digest = createHash(hashName).update(data).update(facts.hashedPart).update(trailer).digest();

  const tail = facts.signatureTail;
  if (tail.length < 2) fail('no hash prefix');
  // Cheap early reject of a packet over other data (not a security check on its own).
  if (tail[0] !== digest[0] || tail[1] !== digest[1]) fail('hash prefix does not match the data');

  let ok: boolean;
  if (key.pubkeyAlgorithm === 1) {
    const s = readMpi(tail, 2);
    if (s.next !== tail.length) fail('trailing bytes after the RSA signature');
    const signature = padded(s.value, key.size, 'RSA signature');
    try {
      ok = createVerify(hashName).update(data).update(facts.hashedPart).update(trailer).verify(key.keyObject, signature);
    } catch {
      ok = false;
    }
  } else {
    // Legacy EdDSA: r and s as two MPIs, each left-padded to 32 bytes, form the 64-byte
    // Ed25519 signature whose message is the digest itself.
    const r = readMpi(tail, 2);
    const s = readMpi(tail, r.next);
    if (s.next !== tail.length) fail('trailing bytes after the EdDSA signature');
    const signature = Buffer.concat([padded(r.value, 32, 'EdDSA r'), padded(s.value, 32, 'EdDSA s')]);
    try {
      ok = cryptoVerify(null, digest, key.keyObject, signature);
    } catch {
      ok = false;
    }
  }
  if (!ok) fail('bad signature');

  // The time checks of openpgp.verify, in its terms.
  const created = facts.created ?? fail('no creation time in the hashed area');
  if (created.getTime() > now.getTime()) fail(`created in the future (${created.toISOString()})`);
  const expires = facts.expiresAfterSeconds ?? 0;
  if (expires !== 0 && now.getTime() >= created.getTime() + expires * 1000) fail('the signature has expired');
  if (key.created.getTime() > created.getTime()) fail('the key is newer than the signature');
  return created;
}
