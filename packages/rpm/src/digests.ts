import { createHash, timingSafeEqual } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { RpmError } from './errors.ts';
import { getBin, getInt32, getInt64Array, getString } from './header/read.ts';
import { hashName, packageInfo } from './info.ts';
import type { PackageLayout } from './locate.ts';
import { SIGTAG } from './tags.ts';

/** Which digests were present and matched. A digest absent from the package is `false`. */
export interface DigestReport {
  /** SHA256HEADER (273) over `[M, E)`. */
  readonly headerSha256: boolean;
  /** SHA1HEADER (269) over `[M, E)`. */
  readonly headerSha1: boolean;
  /** PAYLOADDIGEST (5092) over `[E, EOF)`. */
  readonly payloadDigest: boolean;
  /** MD5 (1004) over `[M, EOF)`. */
  readonly md5: boolean;
  /** SIZE (1000) or LONGSIZE (270): length of `[M, EOF)`. */
  readonly size: boolean;
}

function sameHex(actual: string, expected: string): boolean {
  const a = Buffer.from(actual, 'utf8');
  const b = Buffer.from(expected.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks SHA256HEADER and SHA1HEADER of the signature header against the main header
 * bytes. Throws RPM_HEADER_DIGEST_MISMATCH on a mismatch; returns which were present.
 */
export function checkHeaderDigests(layout: PackageLayout): { headerSha256: boolean; headerSha1: boolean } {
  const sig = layout.signatureHeader;
  const main = layout.mainHeader.bytes;
  const checks: Array<[number, string, string]> = [
    [SIGTAG.SHA256, 'sha256', 'SHA256'],
    [SIGTAG.SHA1, 'sha1', 'SHA1'],
  ];
  const present: Record<string, boolean> = {};
  for (const [tag, algorithm, label] of checks) {
    const expected = getString(sig, tag);
    present[algorithm] = expected !== undefined;
    if (expected === undefined) continue;
    // Threat: a main header altered after the package was built (or a swapped header).
    if (!sameHex(createHash(algorithm).update(main).digest('hex'), expected)) {
      throw new RpmError('RPM_HEADER_DIGEST_MISMATCH', `header ${label} digest mismatch: the main header was altered`);
    }
  }
  return { headerSha256: present['sha256'] === true, headerSha1: present['sha1'] === true };
}

/** What PayloadVerifier checked: each digest the package carries. */
export type PayloadReport = Omit<DigestReport, 'headerSha256' | 'headerSha1'>;

export interface PayloadVerifierOptions {
  /**
   * 'elsewhere': the MD5 over `[M, EOF)` is computed by the caller (on another thread),
   * starting with `md5Prefix` and then the same bytes given to `update`; its digest goes
   * to `finish`. Default 'here'.
   */
  readonly md5?: 'here' | 'elsewhere';
}

/**
 * Streaming check of everything after the headers. Feed `[E, EOF)` in order through
 * `update`, then call `finish`. Constant memory; no I/O of its own.
 */
export class PayloadVerifier {
  readonly #layout: PackageLayout;
  readonly #payloadHash: Hash | undefined;
  readonly #payloadExpected: string | undefined;
  readonly #md5: Hash | undefined;
  readonly #md5Expected: Buffer | undefined;
  readonly #md5Elsewhere: boolean;
  readonly #sizeExpected: bigint | undefined;
  #payloadBytes = 0n;

  constructor(layout: PackageLayout, options: PayloadVerifierOptions = {}) {
    this.#layout = layout;
    const info = packageInfo(layout.mainHeader);
    if (info.payloadDigest !== undefined) {
      this.#payloadHash = createHash(hashName(info.payloadDigest.algorithm));
      this.#payloadExpected = info.payloadDigest.hex;
    }
    const sig = layout.signatureHeader;
    this.#md5Expected = getBin(sig, SIGTAG.MD5);
    this.#md5Elsewhere = options.md5 === 'elsewhere';
    if (this.#md5Expected !== undefined && !this.#md5Elsewhere) {
      this.#md5 = createHash('md5').update(layout.mainHeader.bytes);
    }
    const longSize = getInt64Array(sig, SIGTAG.LONGSIZE)?.[0];
    const size = getInt32(sig, SIGTAG.SIZE);
    this.#sizeExpected = longSize ?? (size === undefined ? undefined : BigInt(size));
  }

  /** With `md5: 'elsewhere'`, the bytes the MD5 starts with (the main header); undefined when the package has no MD5. */
  get md5Prefix(): Buffer | undefined {
    return this.#md5Elsewhere && this.#md5Expected !== undefined ? this.#layout.mainHeader.bytes : undefined;
  }

  update(chunk: Buffer): void {
    this.#payloadHash?.update(chunk);
    this.#md5?.update(chunk);
    this.#payloadBytes += BigInt(chunk.length);
  }

  /** Throws RPM_PAYLOAD_DIGEST_MISMATCH / RPM_MD5_MISMATCH / RPM_SIZE_MISMATCH, in that order. */
  finish(md5Elsewhere?: Buffer): PayloadReport {
    // Threat: a payload swapped or damaged under a valid header signature; only the party
    // holding the file can notice, since the signer sees the header alone.
    if (this.#payloadHash !== undefined && this.#payloadExpected !== undefined) {
      if (!sameHex(this.#payloadHash.digest('hex'), this.#payloadExpected)) {
        throw new RpmError('RPM_PAYLOAD_DIGEST_MISMATCH', 'payload digest mismatch: the payload is damaged or was replaced');
      }
    }
    if (this.#md5Expected !== undefined) {
      const actual = this.#md5Elsewhere ? md5Elsewhere : this.#md5?.digest();
      // An MD5 computed elsewhere whose digest never came back is a mismatch, never a pass.
      if (actual === undefined) throw new RpmError('RPM_MD5_MISMATCH', 'MD5 digest of header+payload was not computed');
      if (actual.length !== this.#md5Expected.length || !timingSafeEqual(actual, this.#md5Expected)) {
        throw new RpmError('RPM_MD5_MISMATCH', 'MD5 digest of header+payload mismatch: the package is damaged');
      }
    }
    const total = BigInt(this.#layout.mainHeader.bytes.length) + this.#payloadBytes;
    if (this.#sizeExpected !== undefined && this.#sizeExpected !== total) {
      throw new RpmError('RPM_SIZE_MISMATCH', `header+payload is ${total} bytes, the signature header says ${this.#sizeExpected}`);
    }
    return {
      payloadDigest: this.#payloadHash !== undefined,
      md5: this.#md5Expected !== undefined,
      size: this.#sizeExpected !== undefined,
    };
  }
}
