import { RpmError } from './errors.ts';

export const LEAD_SIZE = 96;
const LEAD_MAGIC = Buffer.from([0xed, 0xab, 0xee, 0xdb]);
/** Lead signature type "header-style signature", the only one rpm accepts. */
const HEADERSIG = 5;

/** Whether `buf` starts like an RPM lead (checked on as few as 4 bytes). */
export function hasLeadMagic(buf: Buffer): boolean {
  return buf.length >= 4 && buf.subarray(0, 4).equals(LEAD_MAGIC);
}

/** The 96-byte lead. Vestigial and unsigned: nothing here is trusted beyond its checks. */
export interface Lead {
  readonly major: number;
  readonly minor: number;
  /** 0 binary, 1 source (unsigned hint; the header decides, see PackageInfo.isSource). */
  readonly type: number;
  readonly archnum: number;
  /** NUL-terminated name field, usually N-V-R. */
  readonly name: string;
  readonly osnum: number;
  readonly signatureType: number;
}

/**
 * Parses the lead as rpm 4.18 `rpmLeadCheck` does, but accepts only major version 3:
 * rpm 6 (v6) packages carry lead version 4 and a different signature header, which this
 * code does not write yet.
 */
export function parseLead(buf: Buffer): Lead {
  if (!hasLeadMagic(buf)) {
    throw new RpmError('RPM_NOT_RPM', 'not an RPM package (no lead magic ed ab ee db)');
  }
  if (buf.length < LEAD_SIZE) {
    throw new RpmError('RPM_TRUNCATED', `file ends inside the ${LEAD_SIZE}-byte lead`);
  }
  const major = buf.readUInt8(4);
  if (major !== 3) {
    const hint = major === 4 ? ' (an rpm 6 / v6 package; not supported yet)' : '';
    throw new RpmError('RPM_UNSUPPORTED_VERSION', `unsupported RPM lead version ${major}${hint}`);
  }
  const signatureType = buf.readUInt16BE(78);
  if (signatureType !== HEADERSIG) {
    throw new RpmError('RPM_BAD_LEAD', `lead signature type ${signatureType}, expected ${HEADERSIG}`);
  }
  const nameField = buf.subarray(10, 76);
  const nul = nameField.indexOf(0);
  return {
    major,
    minor: buf.readUInt8(5),
    type: buf.readUInt16BE(6),
    archnum: buf.readUInt16BE(8),
    name: nameField.subarray(0, nul < 0 ? nameField.length : nul).toString('latin1'),
    osnum: buf.readUInt16BE(76),
    signatureType,
  };
}
