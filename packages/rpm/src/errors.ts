import { SignetError } from '@signet/protocol';

/**
 * Every error `@signet/rpm` raises on purpose. Tests, the client and the server rely on
 * the code, never on the message.
 */
export const RPM_ERROR_CODES = [
  /** The file does not start with the RPM lead magic `ed ab ee db`. */
  'RPM_NOT_RPM',
  /** The lead is malformed (signature type other than 5 "header signature"). */
  'RPM_BAD_LEAD',
  /** A lead major version other than 3: rpm 6 (v6, lead version 4) packages are not supported yet. */
  'RPM_UNSUPPORTED_VERSION',
  /** The file ends before the lead, a header, or the payload that the headers promise. */
  'RPM_TRUNCATED',
  /** A header blob does not start with `8e ad e8 01 00 00 00 00`. */
  'RPM_BAD_HEADER_MAGIC',
  /** More index entries than the limit for this header (rpm: 32 in the signature header). */
  'RPM_TOO_MANY_TAGS',
  /** A data store larger than the limit for this header. */
  'RPM_HEADER_TOO_LARGE',
  /** Missing or malformed region entry / trailer (tag 62 or 63). */
  'RPM_BAD_REGION',
  /** An index entry whose offset or data lies outside the data store. */
  'RPM_INDEX_OUT_OF_BOUNDS',
  /** A malformed index entry: bad tag, type, count, alignment, overlap, duplicate, unterminated string. */
  'RPM_BAD_ENTRY',
  /** A tag the caller needs is missing or has the wrong type. */
  'RPM_MISSING_TAG',
  /** SHA256HEADER / SHA1HEADER does not match the main header bytes. */
  'RPM_HEADER_DIGEST_MISMATCH',
  /** PAYLOADDIGEST does not match the payload bytes `[E, EOF)`. */
  'RPM_PAYLOAD_DIGEST_MISMATCH',
  /** The legacy MD5 (1004) over `[M, EOF)` does not match. */
  'RPM_MD5_MISMATCH',
  /** SIZE / LONGSIZE does not match the length of `[M, EOF)`. */
  'RPM_SIZE_MISMATCH',
  /** A digest algorithm this code does not implement. */
  'RPM_UNSUPPORTED_DIGEST',
  /** The package has no payload digest, so rpm would need a v3 (header+payload) signature. */
  'RPM_NEEDS_V3',
  /** Not a single binary v4 OpenPGP signature packet rpm 4.18 can use, or algorithm mismatch. */
  'RPM_BAD_SIGNATURE_PACKET',
  /** The file changed between reading its head and writing it. */
  'RPM_CHANGED',
  /** An operating-system error while reading or writing a package. */
  'RPM_IO',
] as const;

export type RpmErrorCode = (typeof RPM_ERROR_CODES)[number];

export class RpmError extends SignetError<RpmErrorCode> {}
