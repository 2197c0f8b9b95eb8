import { RpmError } from './errors.ts';
import { layoutHeader, regionlessHeaderSize, signaturePadding } from './header/layout.ts';
import { parseHeader } from './header/parse.ts';
import type { EntrySpec, ParsedHeader } from './header/types.ts';
import { DEFAULT_PACKAGE_LIMITS } from './limits.ts';
import { checkSignaturePacket, signatureTagFor } from './signature-packet.ts';
import type { SignaturePacketInfo } from './signature-packet.ts';
import { REGION_TAG, REPLACED_SIGNATURE_TAGS, RPM_TYPE, SIGTAG } from './tags.ts';

/** rpm 6 OPENPGP tag: if present, rpm 6 ignores 267/268, so a re-signing here would not take effect there. */
const RPMTAG_OPENPGP = 278;

export interface SignatureHeaderBuild {
  /** The new signature header followed by zero padding to a multiple of 8: the new `file[96, M)`. */
  readonly region: Buffer;
  /** True when `region` is as long as the old `[96, M)`, so it can be patched in place. */
  readonly sameSize: boolean;
  /** Tag the packet went into: 268 (RSA) or 267 (DSA, EdDSA). */
  readonly tag: number;
  /** The new header, parsed back with the same checks as a header read from disk. */
  readonly header: ParsedHeader;
  readonly packet: SignaturePacketInfo;
}

function spec(e: EntrySpec): EntrySpec {
  return { tag: e.tag, type: e.type, count: e.count, data: e.data };
}

/**
 * Builds the signature header `rpmsign --addsign` (rpm 4.18, sign/rpmgensig.c rpmSign)
 * would write for `packet`, from the package's current signature header:
 *
 * 1. copy every entry (rpm `headerCopy`: re-laid in tag order, crud between entries dropped);
 * 2. remove 267, 268, 1002, 1005, 1006 and add the packet as BIN under 268 (RSA) or 267;
 * 3. `diff` = rpm `headerSizeof` after − before; if `0 < diff < count(RESERVEDSPACE)`,
 *    shrink RESERVEDSPACE by `diff` so the header keeps its size, else leave it;
 * 4. lay out with a region (62) and trailer, and pad with zeros to a multiple of 8.
 *
 * Pure: the old header in, bytes out. Whether the result fits in place is `sameSize`,
 * computed from real lengths (rpm assumes it from the rule above).
 */
export function buildSignatureHeader(old: ParsedHeader, packet: Buffer, pubkeyAlgorithm: number): SignatureHeaderBuild {
  if (old.regionTag !== REGION_TAG.SIGNATURES) {
    throw new RpmError('RPM_BAD_REGION', 'buildSignatureHeader needs a signature header (region 62)');
  }
  const info = checkSignaturePacket(packet, pubkeyAlgorithm);
  const tag = signatureTagFor(pubkeyAlgorithm);
  // Threat: an rpm 6 OPENPGP signature left in place would keep the old signer valid for rpm 6.
  if (old.entries.some((e) => e.tag === RPMTAG_OPENPGP)) {
    throw new RpmError('RPM_UNSUPPORTED_VERSION', 'signature header carries rpm 6 OPENPGP signatures (tag 278); re-signing those is not supported yet');
  }

  const before = old.entries.map(spec);
  const originalSize = regionlessHeaderSize(before);
  const next = before.filter((e) => !REPLACED_SIGNATURE_TAGS.includes(e.tag));
  next.push({ tag, type: RPM_TYPE.BIN, count: packet.length, data: Buffer.from(packet) });

  const diff = regionlessHeaderSize(next) - originalSize;
  const reserveAt = next.findIndex((e) => e.tag === SIGTAG.RESERVEDSPACE && e.type === RPM_TYPE.BIN);
  const reserve = next[reserveAt];
  if (reserve !== undefined && diff > 0 && diff < reserve.count) {
    const count = reserve.count - diff;
    next[reserveAt] = { ...reserve, count, data: reserve.data.subarray(0, count) };
  }

  const blob = layoutHeader(REGION_TAG.SIGNATURES, next);
  const region = Buffer.concat([blob, Buffer.alloc(signaturePadding(blob.length))]);
  // Threat: writing a header into a package that rpm (or we) would refuse to read back.
  const header = parseHeader(region, REGION_TAG.SIGNATURES, {
    maxTags: DEFAULT_PACKAGE_LIMITS.signatureMaxTags,
    maxDataBytes: DEFAULT_PACKAGE_LIMITS.signatureMaxBytes,
  });
  const oldLength = old.bytes.length + signaturePadding(old.bytes.length);
  return { region, sameSize: region.length === oldLength, tag, header, packet: info };
}
