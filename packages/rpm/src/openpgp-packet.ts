import { RpmError } from './errors.ts';

/**
 * The one parser of OpenPGP v4 signature packets and subpacket areas (RFC 4880 §4.2,
 * §5.2.3), pure and bounded, shared by the rpm signature header builder, the client's
 * checks of every returned signature, and the server's key certifications. Errors are
 * RPM_BAD_SIGNATURE_PACKET; callers that report in their own terms map them.
 */

/** Far above any real signature packet; caps what we parse and store. */
export const MAX_SIGNATURE_PACKET_BYTES = 64 * 1024;

export interface Subpacket {
  readonly type: number;
  readonly critical: boolean;
  /** Offset of the type byte within the area given to `readSubpackets`. */
  readonly typeOffset: number;
  readonly body: Buffer;
}

export interface V4Signature {
  readonly version: 4;
  readonly signatureType: number;
  readonly pubkeyAlgorithm: number;
  readonly hashAlgorithm: number;
  readonly hashed: readonly Subpacket[];
  readonly unhashed: readonly Subpacket[];
  /** Version through the hashed subpackets: the part of the packet its signature covers. */
  readonly hashedPart: Buffer;
  /** What follows the unhashed area: the 2-byte hash prefix, then the algorithm's MPIs. */
  readonly signatureTail: Buffer;
}

function bad(message: string): RpmError {
  return new RpmError('RPM_BAD_SIGNATURE_PACKET', message);
}

/** A packet header: tag, header length and body length. Definite lengths only. */
export function readPacketHeader(p: Buffer): { tag: number; headerLength: number; bodyLength: number } {
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

/** The subpackets of one area (without its 2-byte length). Every length is checked against the area. */
export function readSubpackets(area: Buffer): Subpacket[] {
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
    const typeByte = area[at] as number;
    out.push({ type: typeByte & 0x7f, critical: (typeByte & 0x80) !== 0, typeOffset: at, body: area.subarray(at + 1, at + length) });
    at += length;
  }
  return out;
}

/**
 * Parses exactly one definite-length v4 signature packet (tag 2), nothing before or after,
 * with both subpacket areas and at least the 2-byte hash prefix after them.
 */
export function parseV4Signature(packet: Buffer): V4Signature {
  if (packet.length < 2 || packet.length > MAX_SIGNATURE_PACKET_BYTES) {
    throw bad(`signature packet of ${packet.length} bytes is out of range`);
  }
  const { tag, headerLength, bodyLength } = readPacketHeader(packet);
  if (tag !== 2) throw bad(`OpenPGP packet tag ${tag}, expected a signature packet (2)`);
  // Threat: trailing bytes (a second packet) that rpm would read differently from us.
  if (headerLength + bodyLength !== packet.length) {
    throw bad(`packet length ${headerLength + bodyLength} differs from the ${packet.length} bytes given (exactly one packet expected)`);
  }
  const body = packet.subarray(headerLength);
  const version = body[0];
  if (version !== 4) throw bad(`signature packet version ${version ?? 'missing'}; rpm 4.18 needs version 4`);
  if (body.length < 6) throw bad('truncated v4 signature');
  const hashedEnd = 6 + body.readUInt16BE(4);
  if (hashedEnd + 2 > body.length) throw bad('hashed subpacket area runs past the packet');
  const unhashedEnd = hashedEnd + 2 + body.readUInt16BE(hashedEnd);
  if (unhashedEnd + 2 > body.length) throw bad('unhashed subpacket area runs past the packet');
  return {
    version,
    signatureType: body[1] as number,
    pubkeyAlgorithm: body[2] as number,
    hashAlgorithm: body[3] as number,
    hashed: readSubpackets(body.subarray(6, hashedEnd)),
    unhashed: readSubpackets(body.subarray(hashedEnd + 2, unhashedEnd)),
    hashedPart: body.subarray(0, hashedEnd),
    signatureTail: body.subarray(unhashedEnd),
  };
}

/**
 * The trailer a v4 signature hashes after the data and its hashed part (RFC 4880 §5.2.4):
 * 0x04 0xFF ‖ u32(length of the hashed part). One definition for the signer and the verifier.
 */
export function v4HashTrailer(hashedLength: number): Buffer {
  const trailer = Buffer.from([4, 0xff, 0, 0, 0, 0]);
  trailer.writeUInt32BE(hashedLength, 2);
  return trailer;
}
