import { createHash } from 'node:crypto';
import { v4HashTrailer } from '@signet/rpm';

/**
 * Builds a v4 OpenPGP signature packet (RFC 4880 §5.2.3, RFC 9580 §5.2.3) of type 0x00
 * (signature of a binary document) — the packet rpm stores in RSAHEADER/DSAHEADER.
 *
 * Pure: hashing is deterministic and the private-key operation is injected as `rawSign`,
 * so the byte layout is testable without a key.
 *
 * Layout chosen for rpm 4.18 and Koji:
 * - hashed area: creation time (2), issuer fingerprint (33, key version 4), issuer key ID (16),
 *   all non-critical. rpm finds the key by the key ID; Koji derives the sigkey from *exactly
 *   one* type-16 subpacket (a critical one, type byte 0x90, would not count).
 * - unhashed area empty, so nothing in the packet is unauthenticated.
 */

export const SIG_TYPE_BINARY = 0x00;
export const PUBKEY_RSA = 1;
export const PUBKEY_EDDSA_LEGACY = 22;

export type HashName = 'sha256' | 'sha512';

/** RFC 4880 §9.4 hash algorithm IDs. */
export const HASH_IDS: Readonly<Record<HashName, number>> = { sha256: 8, sha512: 10 };

export const SUBPACKET_CREATION_TIME = 2;
export const SUBPACKET_ISSUER_KEY_ID = 16;
export const SUBPACKET_ISSUER_FINGERPRINT = 33;

export interface SignatureSpec {
  /** 1 (RSA) or 22 (EdDSA legacy). */
  readonly pubkeyAlgorithm: number;
  readonly hash: HashName;
  /** 8 bytes: key ID of the signing (sub)key. */
  readonly issuerKeyId: Uint8Array;
  /** 20 bytes: v4 fingerprint of the signing (sub)key. */
  readonly issuerFingerprint: Uint8Array;
  readonly created: Date;
}

export interface RawSignRequest {
  /** data ‖ hashed part ‖ 0x04 0xFF ‖ u32 length — what RSA PKCS#1 v1.5 hashes itself. */
  readonly hashInput: Buffer;
  /** hash(hashInput) — what EdDSA legacy signs. */
  readonly digest: Buffer;
  readonly hash: HashName;
}

/** The private-key operation: returns the signature's MPIs as unsigned big-endian integers. */
export type RawSign = (request: RawSignRequest) => Promise<readonly Uint8Array[]>;

function subpacket(type: number, body: Uint8Array): Buffer {
  // Every subpacket here is < 192 bytes: one-octet length (covers type + body).
  return Buffer.concat([Buffer.from([body.length + 1, type]), body]);
}

function creationSeconds(created: Date): number {
  const ms = created.getTime();
  const seconds = Math.floor(ms / 1000);
  if (!Number.isFinite(ms) || seconds < 0 || seconds > 0xffffffff) {
    throw new RangeError('signature creation time must be between 1970 and 2106');
  }
  return seconds;
}

/** Version through hashed subpackets: the part of the packet covered by the signature. */
export function hashedPart(spec: SignatureSpec): Buffer {
  if (spec.issuerKeyId.length !== 8) throw new RangeError('issuer key ID must be 8 bytes');
  if (spec.issuerFingerprint.length !== 20) throw new RangeError('v4 fingerprint must be 20 bytes');
  if (spec.pubkeyAlgorithm !== PUBKEY_RSA && spec.pubkeyAlgorithm !== PUBKEY_EDDSA_LEGACY) {
    throw new RangeError(`public-key algorithm ${spec.pubkeyAlgorithm} is not supported`);
  }
  const time = Buffer.alloc(4);
  time.writeUInt32BE(creationSeconds(spec.created));
  const subpackets = Buffer.concat([
    subpacket(SUBPACKET_CREATION_TIME, time),
    subpacket(SUBPACKET_ISSUER_FINGERPRINT, Buffer.concat([Buffer.from([4]), spec.issuerFingerprint])),
    subpacket(SUBPACKET_ISSUER_KEY_ID, spec.issuerKeyId),
  ]);
  const head = Buffer.from([4, SIG_TYPE_BINARY, spec.pubkeyAlgorithm, HASH_IDS[spec.hash], 0, 0]);
  head.writeUInt16BE(subpackets.length, 4);
  return Buffer.concat([head, subpackets]);
}

/** data ‖ hashed ‖ 0x04 0xFF ‖ u32(len(hashed)) (RFC 4880 §5.2.4). */
export function signatureHashInput(data: Uint8Array, hashed: Buffer): Buffer {
  return Buffer.concat([data, hashed, v4HashTrailer(hashed.length)]);
}

/** RFC 4880 §3.2 MPI: bit count, then the value without leading zero bytes. */
export function encodeMpi(value: Uint8Array): Buffer {
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  const body = Buffer.from(value.subarray(start));
  const bits = body.length === 0 ? 0 : (body.length - 1) * 8 + (32 - Math.clz32(body[0] as number));
  if (bits > 0xffff) throw new RangeError('MPI too large');
  const head = Buffer.alloc(2);
  head.writeUInt16BE(bits);
  return Buffer.concat([head, body]);
}

/** New-format packet header (RFC 4880 §4.2.2) with a definite length. */
export function packetHeader(tag: number, length: number): Buffer {
  const first = 0xc0 | tag;
  if (length < 192) return Buffer.from([first, length]);
  if (length < 8384) {
    const v = length - 192;
    return Buffer.from([first, (v >> 8) + 192, v & 0xff]);
  }
  const out = Buffer.from([first, 0xff, 0, 0, 0, 0]);
  out.writeUInt32BE(length, 2);
  return out;
}

/** Builds the whole signature packet (header included) over `data`. */
export async function buildSignaturePacket(data: Uint8Array, spec: SignatureSpec, rawSign: RawSign): Promise<Buffer> {
  const hashed = hashedPart(spec);
  const hashInput = signatureHashInput(data, hashed);
  const digest = createHash(spec.hash).update(hashInput).digest();
  const mpis = await rawSign({ hashInput, digest, hash: spec.hash });
  const body = Buffer.concat([
    hashed,
    Buffer.from([0, 0]), // unhashed subpacket area: empty
    digest.subarray(0, 2), // left 16 bits of the digest
    ...mpis.map(encodeMpi),
  ]);
  return Buffer.concat([packetHeader(2, body.length), body]);
}
