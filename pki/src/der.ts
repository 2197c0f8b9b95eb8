import { oidToDerBytes } from './oid.ts';

/**
 * A small DER writer (X.690), enough for a CRL: forge has no CRL support and cannot encode
 * our large role OIDs, so the few structures we need are built here on Buffers. Writers
 * take values already checked by their callers. Reading DER uses the bounded reader of
 * @signet/protocol (readDerWhole, readDerChildren).
 */

const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
} as const;

/** One TLV with a definite, minimal length. */
export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let header: Buffer;
  if (n < 0x80) {
    header = Buffer.from([tag, n]);
  } else {
    const len: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    header = Buffer.from([tag, 0x80 | len.length, ...len]);
  }
  return Buffer.concat([header, content]);
}

export const derSequence = (...items: Buffer[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));
export const derOid = (oid: string): Buffer => tlv(TAG.OID, oidToDerBytes(oid));
export const derNull = (): Buffer => Buffer.from([TAG.NULL, 0x00]);
export const derOctetString = (content: Buffer): Buffer => tlv(TAG.OCTET_STRING, content);
/** A BIT STRING of whole bytes (no unused bits), as signatures are. */
export const derBitString = (content: Buffer): Buffer => tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), content]));
export const derBoolean = (value: boolean): Buffer => Buffer.from([TAG.BOOLEAN, 0x01, value ? 0xff : 0x00]);
/** [n] EXPLICIT, constructed context-specific tag around `content`. */
export const derExplicit = (n: number, content: Buffer): Buffer => tlv(0xa0 | n, content);
/** [n] IMPLICIT primitive context-specific tag (e.g. AKID's keyIdentifier). */
export const derImplicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);

/** Two's-complement content octets of a non-negative integer given as big-endian bytes. */
function unsignedContent(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const body = bytes.length === 0 ? Buffer.from([0]) : bytes.subarray(start);
  // A set high bit would read as negative: prefix a zero octet.
  return (body[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body;
}

/** INTEGER from a non-negative safe integer or an unsigned big-endian hex string. */
export function derInteger(value: number | string): Buffer {
  const hex = typeof value === 'number' ? value.toString(16) : value;
  return tlv(TAG.INTEGER, unsignedContent(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')));
}

export function derEnumerated(value: number): Buffer {
  return tlv(TAG.ENUMERATED, unsignedContent(Buffer.from([value])));
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Z. */
export function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? tlv(TAG.UTC_TIME, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(TAG.GENERALIZED_TIME, Buffer.from(digits, 'ascii'));
}
