/**
 * Numbers from rpm's on-disk format (rpm 4.18 `rpmtag.h`, `header.c`). Plain constants:
 * erasable TypeScript has no enums.
 */

/** Entry data types and their on-disk element size (-1: NUL-terminated strings). */
export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** Element size per type, indexed by type number; -1 for string types (rpm `typeSizes`). */
export const TYPE_SIZES: readonly number[] = [0, 1, 1, 2, 4, 8, -1, 1, -1, -1];

/** Required alignment of an entry's data offset, indexed by type number (rpm `typeAlign`). */
export const TYPE_ALIGN: readonly number[] = [1, 1, 1, 2, 4, 8, 1, 1, 1, 1];

/** Region tags: entry 0 of a header, pointing at the 16-byte trailer. */
export const REGION_TAG = {
  IMAGE: 61,
  SIGNATURES: 62,
  IMMUTABLE: 63,
} as const;

/** Tags below this are reserved for regions; rpm rejects them anywhere else (`hdrchkTag`). */
export const FIRST_ORDINARY_TAG = 100;

/** Signature-header tags. */
export const SIGTAG = {
  /** Header-only DSA/EdDSA OpenPGP signature. */
  DSA: 267,
  /** Header-only RSA OpenPGP signature. */
  RSA: 268,
  SHA1: 269,
  LONGSIZE: 270,
  SHA256: 273,
  SIZE: 1000,
  /** v3 (header+payload) RSA signature. */
  PGP: 1002,
  MD5: 1004,
  /** v3 (header+payload) DSA/EdDSA signature. */
  GPG: 1005,
  PGP5: 1006,
  PAYLOADSIZE: 1007,
  RESERVEDSPACE: 1008,
} as const;

/** Signature tags `rpmsign --addsign` deletes before adding the new one (rpmgensig.c deleteSigs). */
export const REPLACED_SIGNATURE_TAGS: readonly number[] = [
  SIGTAG.GPG,
  SIGTAG.PGP,
  SIGTAG.DSA,
  SIGTAG.RSA,
  SIGTAG.PGP5,
];

/** Tags that hold one OpenPGP signature packet each. */
export const SIGNATURE_PACKET_TAGS: readonly number[] = [SIGTAG.DSA, SIGTAG.RSA, SIGTAG.PGP, SIGTAG.GPG, SIGTAG.PGP5];

/** Main-header tags this package reads. */
export const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  ARCH: 1022,
  SOURCERPM: 1044,
  PAYLOADDIGEST: 5092,
  PAYLOADDIGESTALGO: 5093,
  PAYLOADDIGESTALT: 5097,
  RPMFORMAT: 5114,
} as const;

/** OpenPGP hash algorithm ids (RFC 4880 9.4) used by PAYLOADDIGESTALGO, and node's names. */
export const PGP_HASH_ALGORITHMS: ReadonlyMap<number, string> = new Map([
  [1, 'md5'],
  [2, 'sha1'],
  [8, 'sha256'],
  [9, 'sha384'],
  [10, 'sha512'],
  [11, 'sha224'],
]);

/** OpenPGP public-key algorithm ids rpm 4.18 signs with. */
export const PUBKEY_ALGORITHM = {
  RSA: 1,
  DSA: 17,
  EDDSA_LEGACY: 22,
} as const;
