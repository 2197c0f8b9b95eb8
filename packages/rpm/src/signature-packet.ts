import { RpmError } from './errors.ts';
import { PGP_HASH_ALGORITHMS, PUBKEY_ALGORITHM, SIGTAG } from './tags.ts';

/** What rpm 4.18 needs to know about an OpenPGP signature packet before storing it. */
export interface SignaturePacketInfo {
  readonly version: number;
  /** 0x00 binary document for package signatures. */
  readonly signatureType: number;
  readonly pubkeyAlgorithm: number;
  readonly hashAlgorithm: number;
  /** Issuer key ID subpacket (16), 16 lowercase hex digits; rpm 4.18 finds keys by it only. */
  readonly issuerKeyId: string | undefined;
  /** Issuer fingerprint subpacket (33), lowercase hex, when present. */
  readonly issuerFingerprint: string | undefined;
  /** Signature creation time subpacket (2), seconds since the epoch. */
  readonly creationTime: number | undefined;
}

/** Far above any real signature packet; caps what we parse and store. */
export const MAX_SIGNATURE_PACKET_BYTES = 64 * 1024;
const SIGNATURE_PACKET_TAG = 2;

function bad(message: string): RpmError {
  return new RpmError('RPM_BAD_SIGNATURE_PACKET', message);
}

/** Packet header → [header length, body length]. Only definite lengths are accepted. */
function packetHeader(p: Buffer): { tag: number; headerLength: number; bodyLength: number } {
  const b0 = p[0] ?? 0;
  if ((b0 & 0x80) === 0) throw bad('not an OpenPGP packet (bit 7 of the first byte is clear)');
  if (b0 & 0x40) {
    const l0 = p[1];
    const tag = b0 & 0x3f;
    if (l0 === undefined) throw bad('truncated packet header');
    if (l0 < 192) return { tag, headerLength: 2, bodyLength: l0 };
    if (l0 < 224) {
      if (p.length < 3) throw bad('truncated packet header');
      return { tag, headerLength: 3, bodyLength: ((l0 - 192) << 8) + (p[2] as number) + 192 };
    }
    if (l0 === 255) {
      if (p.length < 6) throw bad('truncated packet header');
      return { tag, headerLength: 6, bodyLength: p.readUInt32BE(2) };
    }
    throw bad('partial-length packets are not accepted');
  }
  const tag = (b0 >> 2) & 0x0f;
  const lengthType = b0 & 0x03;
  if (lengthType === 3) throw bad('indeterminate-length packets are not accepted');
  const n = 1 << lengthType;
  if (p.length < 1 + n) throw bad('truncated packet header');
  return { tag, headerLength: 1 + n, bodyLength: p.readUIntBE(1, n) };
}

interface Subpacket {
  type: number;
  body: Buffer;
}

function subpackets(area: Buffer): Subpacket[] {
  const out: Subpacket[] = [];
  let at = 0;
  while (at < area.length) {
    const l0 = area[at] as number;
    let length: number;
    if (l0 < 192) {
      length = l0;
      at += 1;
    } else if (l0 < 255) {
      if (at + 2 > area.length) throw bad('truncated subpacket length');
      length = ((l0 - 192) << 8) + (area[at + 1] as number) + 192;
      at += 2;
    } else {
      if (at + 5 > area.length) throw bad('truncated subpacket length');
      length = area.readUInt32BE(at + 1);
      at += 5;
    }
    if (length < 1 || at + length > area.length) throw bad('subpacket runs past its area');
    out.push({ type: (area[at] as number) & 0x7f, body: area.subarray(at + 1, at + length) });
    at += length;
  }
  return out;
}

/**
 * Parses one binary OpenPGP signature packet (v4) far enough to place it in an RPM:
 * the packet must be exactly one definite-length signature packet, nothing before or after.
 */
export function inspectSignaturePacket(packet: Buffer): SignaturePacketInfo {
  if (packet.length < 2 || packet.length > MAX_SIGNATURE_PACKET_BYTES) {
    throw bad(`signature packet of ${packet.length} bytes is out of range`);
  }
  const { tag, headerLength, bodyLength } = packetHeader(packet);
  if (tag !== SIGNATURE_PACKET_TAG) throw bad(`OpenPGP packet tag ${tag}, expected a signature packet (2)`);
  // Threat: trailing bytes (a second packet) that rpm would read differently from us.
  if (headerLength + bodyLength !== packet.length) {
    throw bad(`packet length ${headerLength + bodyLength} differs from the ${packet.length} bytes given (exactly one packet expected)`);
  }
  const body = packet.subarray(headerLength);
  const version = body[0] as number;
  if (version !== 4) throw bad(`signature packet version ${version}; rpm 4.18 needs version 4`);
  if (body.length < 6) throw bad('truncated v4 signature');
  const hashedLength = body.readUInt16BE(4);
  const hashedEnd = 6 + hashedLength;
  if (hashedEnd + 2 > body.length) throw bad('hashed subpacket area runs past the packet');
  const unhashedLength = body.readUInt16BE(hashedEnd);
  const unhashedEnd = hashedEnd + 2 + unhashedLength;
  if (unhashedEnd + 2 > body.length) throw bad('unhashed subpacket area runs past the packet');
  const all = [...subpackets(body.subarray(6, hashedEnd)), ...subpackets(body.subarray(hashedEnd + 2, unhashedEnd))];
  const issuer = all.find((s) => s.type === 16 && s.body.length === 8);
  const fpr = all.find((s) => s.type === 33 && s.body.length >= 2);
  const created = all.find((s) => s.type === 2 && s.body.length === 4);
  return {
    version,
    signatureType: body[1] as number,
    pubkeyAlgorithm: body[2] as number,
    hashAlgorithm: body[3] as number,
    issuerKeyId: issuer?.body.toString('hex'),
    issuerFingerprint: fpr?.body.subarray(1).toString('hex'),
    creationTime: created?.body.readUInt32BE(0),
  };
}

/** Header-only signature tag rpmsign uses for a public-key algorithm (rpmgensig.c makeSigTag). */
export function signatureTagFor(pubkeyAlgorithm: number): number {
  switch (pubkeyAlgorithm) {
    case PUBKEY_ALGORITHM.RSA:
      return SIGTAG.RSA;
    case PUBKEY_ALGORITHM.DSA:
    case PUBKEY_ALGORITHM.EDDSA_LEGACY:
      return SIGTAG.DSA;
    default:
      throw bad(`public-key algorithm ${pubkeyAlgorithm} is not one rpm 4.18 verifies (RSA 1, DSA 17, EdDSA 22)`);
  }
}

/**
 * Checks a packet is one rpm 4.18 can verify and that it was made with the algorithm the
 * caller states. Threat: a packet for another document type, or from an unexpected key
 * type, stored under the wrong tag.
 */
export function checkSignaturePacket(packet: Buffer, pubkeyAlgorithm: number): SignaturePacketInfo {
  const info = inspectSignaturePacket(packet);
  if (info.signatureType !== 0x00) throw bad(`signature type 0x${info.signatureType.toString(16)}, expected 0x00 (binary document)`);
  if (info.pubkeyAlgorithm !== pubkeyAlgorithm) {
    throw bad(`packet uses public-key algorithm ${info.pubkeyAlgorithm}, caller said ${pubkeyAlgorithm}`);
  }
  signatureTagFor(pubkeyAlgorithm);
  if (!PGP_HASH_ALGORITHMS.has(info.hashAlgorithm)) throw bad(`hash algorithm ${info.hashAlgorithm} is not supported by rpm`);
  if (info.issuerKeyId === undefined) throw bad('no Issuer key ID subpacket (16): rpm 4.18 could not find the key');
  return info;
}
