import { ClientError } from '../errors.ts';

/** What the client checks in a signature packet before it trusts it structurally. */
export interface SignatureFacts {
  version: number;
  signatureType: number;
  pubkeyAlgorithm: number;
  hashAlgorithm: number;
  /** Issuer key IDs (subpacket 16) from both areas, upper-case hex. */
  issuerKeyIds: string[];
  created: Date | undefined;
  /** Signature expiration time (hashed subpacket 3), seconds after `created`; 0 or absent: never. */
  expiresAfterSeconds: number | undefined;
  /** Version through the hashed subpackets: the part of the packet the signature covers. */
  hashedPart: Buffer;
  /** What follows the unhashed area: the 2-byte hash prefix, then the algorithm's MPIs. */
  signatureTail: Buffer;
}

const fail = (why: string): never => {
  throw new ClientError('SIGNATURE_INVALID', `signature packet rejected: ${why}`);
};

/**
 * Parses one binary OpenPGP signature packet far enough to check its shape: exactly one
 * packet (tag 2), no trailing bytes, and the subpackets of both areas. Pure and bounded.
 */
export function inspectSignaturePacket(buf: Buffer): SignatureFacts {
  if (buf.length < 2) fail('too short');
  const first = buf[0] as number;
  if ((first & 0x80) === 0) fail('not an OpenPGP packet');
  let tag: number;
  let bodyStart: number;
  let bodyLength: number;
  if (first & 0x40) {
    tag = first & 0x3f;
    const l0 = buf[1] as number;
    if (l0 < 192) [bodyStart, bodyLength] = [2, l0];
    else if (l0 < 224) {
      if (buf.length < 3) fail('truncated length');
      [bodyStart, bodyLength] = [3, ((l0 - 192) << 8) + (buf[2] as number) + 192];
    } else if (l0 === 255) {
      if (buf.length < 6) fail('truncated length');
      [bodyStart, bodyLength] = [6, buf.readUInt32BE(2)];
    } else return fail('partial body lengths are not allowed in a signature');
  } else {
    tag = (first >> 2) & 0x0f;
    const lt = first & 3;
    if (lt === 0) [bodyStart, bodyLength] = [2, buf[1] as number];
    else if (lt === 1) {
      if (buf.length < 3) fail('truncated length');
      [bodyStart, bodyLength] = [3, buf.readUInt16BE(1)];
    } else if (lt === 2) {
      if (buf.length < 5) fail('truncated length');
      [bodyStart, bodyLength] = [5, buf.readUInt32BE(1)];
    } else return fail('indeterminate length');
  }
  if (tag !== 2) fail(`packet tag ${tag}, expected 2 (signature)`);
  if (bodyStart + bodyLength !== buf.length) fail('trailing or missing bytes after the packet');
  const body = buf.subarray(bodyStart);
  if (body.length < 6) fail('body too short');
  const version = body[0] as number;
  if (version !== 4) fail(`signature version ${version}; rpm 4.18 needs version 4`);
  const facts: SignatureFacts = {
    version,
    signatureType: body[1] as number,
    pubkeyAlgorithm: body[2] as number,
    hashAlgorithm: body[3] as number,
    issuerKeyIds: [],
    created: undefined,
    expiresAfterSeconds: undefined,
    hashedPart: body.subarray(0, 0),
    signatureTail: body.subarray(body.length),
  };
  let pos = 4;
  for (const hashed of [true, false]) {
    if (pos + 2 > body.length) fail('truncated subpacket area');
    const areaLength = body.readUInt16BE(pos);
    pos += 2;
    const end = pos + areaLength;
    if (end > body.length) fail('subpacket area out of bounds');
    while (pos < end) {
      const l0 = body[pos] as number;
      let len: number;
      if (l0 < 192) [len, pos] = [l0, pos + 1];
      else if (l0 < 255) {
        if (pos + 2 > end) fail('truncated subpacket length');
        [len, pos] = [((l0 - 192) << 8) + (body[pos + 1] as number) + 192, pos + 2];
      } else {
        if (pos + 5 > end) fail('truncated subpacket length');
        [len, pos] = [body.readUInt32BE(pos + 1), pos + 5];
      }
      if (len < 1 || pos + len > end) fail('subpacket out of bounds');
      const typeByte = body[pos] as number;
      const data = body.subarray(pos + 1, pos + len);
      const type = typeByte & 0x7f;
      const critical = (typeByte & 0x80) !== 0;
      if (type === 16) {
        if (critical) fail('critical issuer subpacket (Koji ignores it)');
        if (data.length !== 8) fail('issuer subpacket is not 8 bytes');
        facts.issuerKeyIds.push(data.toString('hex').toUpperCase());
      } else if (type === 2 && hashed && data.length === 4) {
        facts.created = new Date(data.readUInt32BE(0) * 1000);
      } else if (type === 3 && hashed && data.length === 4) {
        facts.expiresAfterSeconds = data.readUInt32BE(0);
      } else if (critical && ![2, 3, 33].includes(type)) {
        // rpm rejects a packet with an unknown critical subpacket.
        fail(`unexpected critical subpacket ${type}`);
      }
      pos += len;
    }
    if (hashed) facts.hashedPart = body.subarray(0, end);
  }
  facts.signatureTail = body.subarray(pos);
  return facts;
}
