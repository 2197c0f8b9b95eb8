import forge from 'node-forge';

const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const MAX_OID_LENGTH = 256;

/**
 * DER contents octets of an OBJECT IDENTIFIER.
 *
 * node-forge's `asn1.oidToDer` refuses arcs above 2^32, and our role OIDs live under a
 * UUID arc (`2.25.<128-bit number>`), so the encoding is done here with BigInt:
 * each subidentifier in base 128, high bit set on every byte but its last (X.690 8.19).
 */
export function oidToDerBytes(oid: string): Buffer {
  if (oid.length > MAX_OID_LENGTH || !OID_PATTERN.test(oid)) {
    throw new TypeError(`not a dotted OID: ${oid.slice(0, 64)}`);
  }
  const arcs = oid.split('.').map((arc) => BigInt(arc));
  const [first, second, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  // X.660: under arcs 0 and 1 the second arc is at most 39, else it would alias another OID.
  if (first < 2n && second > 39n) {
    throw new TypeError(`OID ${oid} has a second arc above 39 under arc ${first}`);
  }
  const out: number[] = [];
  for (const sub of [first * 40n + second, ...rest]) {
    const bytes: number[] = [];
    let value = sub;
    do {
      bytes.unshift(Number(value & 0x7fn) | (bytes.length === 0 ? 0 : 0x80));
      value >>= 7n;
    } while (value > 0n);
    out.push(...bytes);
  }
  return Buffer.from(out);
}

/** A forge ASN.1 OBJECT IDENTIFIER node for any OID, however large its arcs. */
export function oidNode(oid: string): forge.asn1.Asn1 {
  return forge.asn1.create(
    forge.asn1.Class.UNIVERSAL,
    forge.asn1.Type.OID,
    false,
    oidToDerBytes(oid).toString('binary'),
  );
}
