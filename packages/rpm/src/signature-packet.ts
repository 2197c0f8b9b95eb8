import { RpmError } from './errors.ts';
import { parseV4Signature } from './openpgp-packet.ts';
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

function bad(message: string): RpmError {
  return new RpmError('RPM_BAD_SIGNATURE_PACKET', message);
}

/**
 * Parses one binary OpenPGP signature packet (v4) far enough to place it in an RPM:
 * the packet must be exactly one definite-length signature packet, nothing before or after.
 */
export function inspectSignaturePacket(packet: Buffer): SignaturePacketInfo {
  const sig = parseV4Signature(packet);
  const all = [...sig.hashed, ...sig.unhashed];
  const issuer = all.find((s) => s.type === 16 && s.body.length === 8);
  const fpr = all.find((s) => s.type === 33 && s.body.length >= 2);
  const created = all.find((s) => s.type === 2 && s.body.length === 4);
  return {
    version: sig.version,
    signatureType: sig.signatureType,
    pubkeyAlgorithm: sig.pubkeyAlgorithm,
    hashAlgorithm: sig.hashAlgorithm,
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
