import { RpmError } from './errors.ts';
import { getInt32Array, getString, getStringArray, hasTag } from './header/read.ts';
import type { ParsedHeader } from './header/types.ts';
import { PGP_HASH_ALGORITHMS, TAG } from './tags.ts';

/** What the main header says about a package, for audit logs and digest checks. */
export interface PackageInfo {
  readonly name: string;
  /** EPOCH (1003), absent in most packages. */
  readonly epoch: number | undefined;
  readonly version: string;
  readonly release: string;
  /** ARCH (1022) as stored; a source package stores its build arch here. */
  readonly arch: string;
  /** rpm's rule (`headerIsSource`): no SOURCERPM (1044) tag. The lead's type is not trusted. */
  readonly isSource: boolean;
  /** `name-[epoch:]version-release.arch`, with arch `src` for source packages. */
  readonly nevra: string;
  /** PAYLOADDIGEST (5092) over the compressed payload `[E, EOF)`, with its algorithm (5093). */
  readonly payloadDigest: { readonly algorithm: number; readonly hex: string } | undefined;
  /** PAYLOADDIGESTALT (5097), over the uncompressed payload (reported, not checked here). */
  readonly payloadDigestAlt: { readonly algorithm: number; readonly hex: string } | undefined;
  /** True when a header-only (v4) signature protects the payload: 5092 or 5097 present. */
  readonly hasPayloadDigest: boolean;
}

function requiredString(h: ParsedHeader, tag: number, label: string): string {
  const value = getString(h, tag);
  if (value === undefined || value === '') {
    throw new RpmError('RPM_MISSING_TAG', `main header has no ${label} (tag ${tag})`);
  }
  return value;
}

const HEX = /^[0-9a-f]+$/;

function digestOf(h: ParsedHeader, tag: number, algorithm: number | undefined): { algorithm: number; hex: string } | undefined {
  const values = getStringArray(h, tag);
  if (values === undefined) return undefined;
  const hex = values[0] ?? '';
  // Threat: a digest we would compare loosely (case, length) and accept when it should fail.
  if (algorithm === undefined) {
    throw new RpmError('RPM_MISSING_TAG', `main header has a payload digest (tag ${tag}) but no PAYLOADDIGESTALGO (5093)`);
  }
  if (!HEX.test(hex) || hex.length % 2 !== 0) {
    throw new RpmError('RPM_BAD_ENTRY', `payload digest (tag ${tag}) is not lowercase hex`);
  }
  return { algorithm, hex };
}

/** Reads name, epoch, version, release, arch, source flag and payload digests. */
export function packageInfo(main: ParsedHeader): PackageInfo {
  const name = requiredString(main, TAG.NAME, 'NAME');
  const version = requiredString(main, TAG.VERSION, 'VERSION');
  const release = requiredString(main, TAG.RELEASE, 'RELEASE');
  const arch = requiredString(main, TAG.ARCH, 'ARCH');
  const epochs = getInt32Array(main, TAG.EPOCH);
  if (epochs !== undefined && epochs.length !== 1) throw new RpmError('RPM_BAD_ENTRY', 'EPOCH must hold one value');
  const epoch = epochs?.[0];
  const isSource = !hasTag(main, TAG.SOURCERPM);
  const algos = getInt32Array(main, TAG.PAYLOADDIGESTALGO);
  const algorithm = algos?.[0];
  const payloadDigest = digestOf(main, TAG.PAYLOADDIGEST, algorithm);
  const payloadDigestAlt = digestOf(main, TAG.PAYLOADDIGESTALT, algorithm);
  const nevra = `${name}-${epoch === undefined ? '' : `${epoch}:`}${version}-${release}.${isSource ? 'src' : arch}`;
  return {
    name,
    epoch,
    version,
    release,
    arch,
    isSource,
    nevra,
    payloadDigest,
    payloadDigestAlt,
    hasPayloadDigest: payloadDigest !== undefined || payloadDigestAlt !== undefined,
  };
}

/**
 * A header-only (v4) signature is enough only when the main header carries a payload
 * digest; otherwise rpm 4.18 adds a v3 signature over header+payload, which this code
 * does not make yet. Threat: signing a header that does not pin the payload would let
 * anyone swap the payload under a valid signature.
 */
export function requireHeaderOnlySignable(info: PackageInfo): void {
  if (!info.hasPayloadDigest) {
    throw new RpmError(
      'RPM_NEEDS_V3',
      `${info.nevra} has no payload digest (built by rpm older than 4.14); it needs a v3 header+payload signature, which is not supported yet`,
    );
  }
}

/** Node's hash name for an OpenPGP hash id, or RPM_UNSUPPORTED_DIGEST. */
export function hashName(algorithm: number): string {
  const name = PGP_HASH_ALGORITHMS.get(algorithm);
  if (name === undefined) throw new RpmError('RPM_UNSUPPORTED_DIGEST', `unsupported digest algorithm ${algorithm}`);
  return name;
}
