/**
 * Caps on what the parser accepts, so a hostile file cannot make us allocate or scan
 * without bound. Defaults follow rpm 4.18 (`hdrblobVerifyLengths`), except the main
 * header's data store, which rpm allows up to 256 MiB and we cap lower by default.
 */
export interface PackageLimits {
  /** Index entries in the signature header, region entry included. Default 32 (rpm's cap). */
  signatureMaxTags: number;
  /** Bytes of the signature header's data store. Default 64 MiB (rpm's cap). */
  signatureMaxBytes: number;
  /** Index entries in the main header. Default 65535 (rpm's cap). */
  mainMaxTags: number;
  /** Bytes of the main header's data store. Default 32 MiB (rpm allows 256 MiB). */
  mainMaxBytes: number;
}

export const DEFAULT_PACKAGE_LIMITS: Readonly<PackageLimits> = Object.freeze({
  signatureMaxTags: 32,
  signatureMaxBytes: 64 * 1024 * 1024,
  mainMaxTags: 65535,
  mainMaxBytes: 32 * 1024 * 1024,
});

/** rpm's absolute ceilings (`HEADER_TAGS_MAX`, `HEADER_DATA_MAX`): no setting may exceed them. */
const HARD_MAX_TAGS = 0xffff;
const HARD_MAX_BYTES = 0x0fffffff;

/** One header's caps, as the parser takes them. */
export interface HeaderLimits {
  maxTags: number;
  maxDataBytes: number;
}

/** Merges caller overrides with the defaults; rejects values that are not sane integers. */
export function resolveLimits(overrides?: Partial<PackageLimits>): PackageLimits {
  const merged: PackageLimits = { ...DEFAULT_PACKAGE_LIMITS, ...(overrides ?? {}) };
  for (const [key, value] of Object.entries(merged)) {
    const hard = key.endsWith('Tags') ? HARD_MAX_TAGS : HARD_MAX_BYTES;
    if (!Number.isSafeInteger(value) || value < 1 || value > hard) {
      throw new RangeError(`rpm limit ${key} must be an integer between 1 and ${hard}, got ${String(value)}`);
    }
  }
  return merged;
}
