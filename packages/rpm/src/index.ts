/**
 * @signet/rpm: RPM v4 package signatures.
 *
 * Pure core (Buffers in, values out): header parser, package locator, package info,
 * digest checks, signature-header builder. I/O edge (`io/`): read a package head,
 * verify a package's digests, load (open once, read, check) a package, write a signed package.
 */
export { RpmError, RPM_ERROR_CODES } from './errors.ts';
export type { RpmErrorCode } from './errors.ts';

export { DEFAULT_PACKAGE_LIMITS, resolveLimits } from './limits.ts';
export type { PackageLimits, HeaderLimits } from './limits.ts';

export { RPM_TYPE, REGION_TAG, SIGTAG, TAG, PUBKEY_ALGORITHM, PGP_HASH_ALGORITHMS } from './tags.ts';

export { HEADER_MAGIC, parseHeader, parseHeaderIntro } from './header/parse.ts';
export type { HeaderIntro } from './header/parse.ts';
export { layoutHeader, regionlessHeaderSize, signaturePadding } from './header/layout.ts';
export { findEntry, hasTag, getString, getStringArray, getInt32, getInt32Array, getInt64Array, getBin } from './header/read.ts';
export type { HeaderEntry, ParsedHeader, EntrySpec } from './header/types.ts';

export { LEAD_SIZE, parseLead } from './lead.ts';
export type { Lead } from './lead.ts';
export { locatePackage, parsePackageHead, bytesToSign } from './locate.ts';
export type { PackageLayout, LocateResult } from './locate.ts';

export { packageInfo, requireHeaderOnlySignable } from './info.ts';
export type { PackageInfo } from './info.ts';
export { checkHeaderDigests, PayloadVerifier } from './digests.ts';
export type { DigestReport } from './digests.ts';

export { inspectSignaturePacket, checkSignaturePacket, signatureTagFor } from './signature-packet.ts';
export { parseV4Signature, readSubpackets, readPacketHeader, v4HashTrailer, MAX_SIGNATURE_PACKET_BYTES } from './openpgp-packet.ts';
export type { V4Signature, Subpacket } from './openpgp-packet.ts';
export type { SignaturePacketInfo } from './signature-packet.ts';
export { buildSignatureHeader } from './sign-header.ts';
export type { SignatureHeaderBuild } from './sign-header.ts';
export { extractSignatures } from './signatures.ts';
export type { StoredSignature } from './signatures.ts';

export { readPackageHead } from './io/read-head.ts';
export type { PackageHead } from './io/read-head.ts';
export { verifyPackageDigests } from './io/verify.ts';
export { loadPackage } from './io/load.ts';
export type { LoadPackageOptions, LoadedPackage, LoadedDigests } from './io/load.ts';
export { writeSignedPackage } from './io/write.ts';
export type { WriteSignedPackageOptions, WriteSignedPackageResult, WriteMethod } from './io/write.ts';
