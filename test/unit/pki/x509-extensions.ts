import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export interface RawExtension {
  critical: boolean;
  /** DER of extnValue's contents. */
  value: Buffer;
}

/**
 * The extensions of a certificate keyed by OID, read with forge's bare ASN.1 parser
 * (forge's X.509 parser cannot read our large role OIDs, so it is not used here).
 */
export function extensionsOf(pem: string): Map<string, RawExtension> {
  const der = new X509Certificate(pem).raw;
  const cert = forge.asn1.fromDer(der.toString('binary'));
  const tbs = (cert.value as forge.asn1.Asn1[])[0] as forge.asn1.Asn1;
  const wrapper = (tbs.value as forge.asn1.Asn1[]).find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  const out = new Map<string, RawExtension>();
  if (wrapper === undefined) return out;
  const list = (wrapper.value as forge.asn1.Asn1[])[0] as forge.asn1.Asn1;
  for (const ext of list.value as forge.asn1.Asn1[]) {
    const parts = ext.value as forge.asn1.Asn1[];
    const id = forge.asn1.derToOid(parts[0]?.value as string);
    const critical = parts.length === 3 && (parts[1]?.value as string).charCodeAt(0) !== 0;
    const value = Buffer.from(parts[parts.length - 1]?.value as string, 'binary');
    out.set(id, { critical, value });
  }
  return out;
}

export const OID_BASIC_CONSTRAINTS = '2.5.29.19';
export const OID_KEY_USAGE = '2.5.29.15';
export const OID_EXT_KEY_USAGE = '2.5.29.37';
export const OID_SAN = '2.5.29.17';
export const OID_SKID = '2.5.29.14';
export const OID_AKID = '2.5.29.35';

/** basicConstraints as { ca, pathLen }. */
export function basicConstraints(ext: RawExtension): { ca: boolean; pathLen: number | undefined } {
  const seq = forge.asn1.fromDer(ext.value.toString('binary'));
  let ca = false;
  let pathLen: number | undefined;
  for (const node of seq.value as forge.asn1.Asn1[]) {
    if (node.type === forge.asn1.Type.BOOLEAN) ca = (node.value as string).charCodeAt(0) !== 0;
    if (node.type === forge.asn1.Type.INTEGER) pathLen = forge.asn1.derToInteger(node.value as string);
  }
  return { ca, pathLen };
}

const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

/** keyUsage as the sorted list of bit names set. */
export function keyUsage(ext: RawExtension): string[] {
  // BIT STRING: tag 0x03, short length, unused-bits count, then the bits.
  if (ext.value[0] !== 0x03) throw new Error('keyUsage is not a BIT STRING');
  const bytes = ext.value.subarray(3);
  return KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0).sort();
}
