import { parseV4Signature, RpmError } from '@signet/rpm';
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
 * Parses one binary OpenPGP signature packet (with @signet/rpm's parser: exactly one v4
 * packet, tag 2, no trailing bytes) and applies the client's rules to its subpackets: an
 * issuer (16) must be 8 bytes and not critical (Koji ignores a critical one), and no
 * unknown critical subpacket (rpm rejects those). Pure and bounded.
 */
export function inspectSignaturePacket(buf: Buffer): SignatureFacts {
  let sig;
  try {
    sig = parseV4Signature(buf);
  } catch (err) {
    return fail(err instanceof RpmError ? err.message : 'unparseable');
  }
  const facts: SignatureFacts = {
    version: sig.version,
    signatureType: sig.signatureType,
    pubkeyAlgorithm: sig.pubkeyAlgorithm,
    hashAlgorithm: sig.hashAlgorithm,
    issuerKeyIds: [],
    created: undefined,
    expiresAfterSeconds: undefined,
    hashedPart: sig.hashedPart,
    signatureTail: sig.signatureTail,
  };
  for (const [hashed, area] of [[true, sig.hashed], [false, sig.unhashed]] as const) {
    for (const { type, critical, body } of area) {
      if (type === 16) {
        if (critical) fail('critical issuer subpacket (Koji ignores it)');
        if (body.length !== 8) fail('issuer subpacket is not 8 bytes');
        facts.issuerKeyIds.push(body.toString('hex').toUpperCase());
      } else if (type === 2 && hashed && body.length === 4) {
        facts.created = new Date(body.readUInt32BE(0) * 1000);
      } else if (type === 3 && hashed && body.length === 4) {
        facts.expiresAfterSeconds = body.readUInt32BE(0);
      } else if (critical && ![2, 3, 33].includes(type)) {
        // rpm rejects a packet with an unknown critical subpacket.
        fail(`unexpected critical subpacket ${type}`);
      }
    }
  }
  return facts;
}
