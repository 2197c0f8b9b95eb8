import { RpmError } from './errors.ts';
import { HEADER_INTRO_SIZE, parseHeader, parseHeaderIntro } from './header/parse.ts';
import { getInt32Array } from './header/read.ts';
import { signaturePadding } from './header/layout.ts';
import type { ParsedHeader } from './header/types.ts';
import { hasLeadMagic, LEAD_SIZE, parseLead } from './lead.ts';
import type { Lead } from './lead.ts';
import { resolveLimits } from './limits.ts';
import type { PackageLimits } from './limits.ts';
import { REGION_TAG, TAG } from './tags.ts';

/**
 * Where everything before the payload lies in a v4 package:
 * `[0,96)` lead, `[96,S)` signature header, `[S,M)` zero padding, `[M,E)` main header,
 * `[E,EOF)` payload. All Buffers are private copies, independent of the input.
 */
export interface PackageLayout {
  readonly lead: Lead;
  /** `file[0, 96)`. */
  readonly leadBytes: Buffer;
  /** Parsed signature header; `.bytes` is `file[96, S)`. */
  readonly signatureHeader: ParsedHeader;
  /** `file[96, M)`: the signature header plus its padding, what a re-signing replaces. */
  readonly signatureRegion: Buffer;
  /** Parsed main header; `.bytes` is `file[M, E)`, exactly the bytes a v4 signature signs. */
  readonly mainHeader: ParsedHeader;
  /** 96. */
  readonly signatureStart: number;
  /** S: end of the signature header blob. */
  readonly signatureEnd: number;
  /** M: start of the main header (S rounded up to a multiple of 8 counted from 96). */
  readonly mainStart: number;
  /** E: end of the main header, start of the payload. */
  readonly mainEnd: number;
}

export type LocateResult =
  | { readonly complete: false; /** Total bytes from offset 0 needed before asking again. */ readonly need: number }
  | { readonly complete: true; readonly layout: PackageLayout };

/**
 * Incremental package locator: give it the first bytes of a file; it either asks for
 * more (`need`, counted from offset 0) or returns the full layout. The I/O edge reads
 * only what is asked, so the payload is never read to locate the headers.
 *
 * rpm does not check the padding bytes `[S,M)`; neither do we (rpmsign writes zeros).
 */
export function locatePackage(prefix: Buffer, limitOverrides?: Partial<PackageLimits>): LocateResult {
  const limits = resolveLimits(limitOverrides);
  const sigLimits = { maxTags: limits.signatureMaxTags, maxDataBytes: limits.signatureMaxBytes };
  const mainLimits = { maxTags: limits.mainMaxTags, maxDataBytes: limits.mainMaxBytes };

  if (prefix.length < LEAD_SIZE) {
    // Check the magic as soon as we have it, so a non-RPM fails on its first 4 bytes.
    if (prefix.length >= 4 && !hasLeadMagic(prefix)) {
      throw new RpmError('RPM_NOT_RPM', 'not an RPM package (no lead magic ed ab ee db)');
    }
    return { complete: false, need: LEAD_SIZE };
  }
  const lead = parseLead(prefix);

  const sigStart = LEAD_SIZE;
  if (prefix.length < sigStart + HEADER_INTRO_SIZE) return { complete: false, need: sigStart + HEADER_INTRO_SIZE };
  const sigIntro = parseHeaderIntro(prefix, sigStart, REGION_TAG.SIGNATURES, sigLimits);
  const sigEnd = sigStart + sigIntro.size;
  const mainStart = sigEnd + signaturePadding(sigIntro.size);

  if (prefix.length < mainStart + HEADER_INTRO_SIZE) return { complete: false, need: mainStart + HEADER_INTRO_SIZE };
  const mainIntro = parseHeaderIntro(prefix, mainStart, REGION_TAG.IMMUTABLE, mainLimits);
  const mainEnd = mainStart + mainIntro.size;
  if (prefix.length < mainEnd) return { complete: false, need: mainEnd };

  const head = Buffer.from(prefix.subarray(0, mainEnd));
  const signatureHeader = parseHeader(head.subarray(sigStart, sigEnd), REGION_TAG.SIGNATURES, sigLimits);
  const mainHeader = parseHeader(head.subarray(mainStart, mainEnd), REGION_TAG.IMMUTABLE, mainLimits);

  // Threat: a v6 package behind a v3 lead; its signatures live in tags this code ignores.
  const format = getInt32Array(mainHeader, TAG.RPMFORMAT);
  if (format !== undefined && (format[0] ?? 0) >= 6) {
    throw new RpmError('RPM_UNSUPPORTED_VERSION', `package format v${format[0]} (rpm 6) is not supported yet`);
  }

  return {
    complete: true,
    layout: {
      lead,
      leadBytes: head.subarray(0, LEAD_SIZE),
      signatureHeader,
      signatureRegion: head.subarray(sigStart, mainStart),
      mainHeader,
      signatureStart: sigStart,
      signatureEnd: sigEnd,
      mainStart,
      mainEnd,
    },
  };
}

/** `locatePackage` over a buffer that should hold the whole head; RPM_TRUNCATED if not. */
export function parsePackageHead(buf: Buffer, limitOverrides?: Partial<PackageLimits>): PackageLayout {
  const result = locatePackage(buf, limitOverrides);
  if (!result.complete) {
    throw new RpmError('RPM_TRUNCATED', `package head needs ${result.need} bytes, only ${buf.length} present`);
  }
  return result.layout;
}

/** The bytes a v4 (header-only) signature signs: the main header blob, `file[M, E)`. */
export function bytesToSign(layout: PackageLayout): Buffer {
  return layout.mainHeader.bytes;
}
