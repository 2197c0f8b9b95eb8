import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { checkHeaderDigests, PayloadVerifier } from '../digests.ts';
import type { DigestReport, PayloadReport } from '../digests.ts';
import { RpmError } from '../errors.ts';
import type { PackageLimits } from '../limits.ts';
import { locatePackage } from '../locate.ts';
import type { PackageLayout } from '../locate.ts';
import { READ_PACKAGE_FLAGS, withFile } from './files.ts';
import { readHeadAt } from './read-head.ts';
import { checkPayload } from './verify.ts';

/** Packages up to this size are read whole, in one read, and kept in memory for the write. */
export const WHOLE_FILE_MAX_BYTES = 512 * 1024;
/** First read of a large package's head; the locator asks for more if the headers are larger. */
const HEAD_FIRST_READ = 64 * 1024;

export interface LoadPackageOptions {
  readonly limits?: Partial<PackageLimits> | undefined;
  /** Check PAYLOADDIGEST, MD5 and SIZE too (else only the header digests). */
  readonly verifyPayload: boolean;
  /** Override of WHOLE_FILE_MAX_BYTES (0: always stream). */
  readonly wholeFileMaxBytes?: number | undefined;
  /** Called with the parsed head before the header digests and any payload byte are checked; may throw. */
  readonly checkHead?: ((layout: PackageLayout) => void) | undefined;
}

export type LoadedDigests = Pick<DigestReport, 'headerSha256' | 'headerSha1'> & Partial<Omit<DigestReport, 'headerSha256' | 'headerSha1'>>;

export interface LoadedPackage {
  readonly layout: PackageLayout;
  /** Size of the file as read. */
  readonly fileSize: number;
  /** Permission bits of the file (`mode & 0o7777`), for a signed copy. */
  readonly mode: number;
  /** The whole file when it was small enough to read at once, else undefined (it was streamed). */
  readonly bytes: Buffer | undefined;
  /** The digests checked; the payload ones only with `verifyPayload`. */
  readonly digests: LoadedDigests;
}

const changed = (why: string): RpmError => new RpmError('RPM_CHANGED', `the package ${why} while it was read; read it again before signing`);

/** Reads the whole file, expecting exactly `size` bytes: one read for a regular file. */
async function readWhole(fh: FileHandle, size: number): Promise<Buffer> {
  // One spare byte shows a file that grew since fstat. Every byte used is read first.
  const buf = Buffer.allocUnsafe(size + 1);
  let done = 0;
  while (done <= size) {
    const { bytesRead } = await fh.read(buf, done, size + 1 - done, done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done !== size) throw changed(done > size ? 'grew' : 'shrank');
  return buf.subarray(0, size);
}

/**
 * Opens a package once and checks it for signing: parses the lead and both headers, runs
 * `checkHead`, checks SHA256HEADER/SHA1HEADER and, with `verifyPayload`, PAYLOADDIGEST,
 * MD5 over `[M, EOF)` and SIZE. A small package (≤ `wholeFileMaxBytes`) is read whole in
 * one read and checked from memory; its bytes are returned so the signed copy can be
 * written from them. A larger one is read head first, then its payload streamed in
 * constant memory (only with `verifyPayload`).
 *
 * Throws the RpmErrors of `readPackageHead` and `verifyPackageDigests`, and RPM_CHANGED if
 * the file changed size while it was read.
 */
export async function loadPackage(file: string, options: LoadPackageOptions): Promise<LoadedPackage> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, READ_PACKAGE_FLAGS);
    const stat = await fh.stat();
    if (!stat.isFile()) throw new RpmError('RPM_IO', 'not a regular file');
    const size = stat.size;
    const mode = stat.mode & 0o7777;
    const whole = size <= (options.wholeFileMaxBytes ?? WHOLE_FILE_MAX_BYTES);
    const bytes = whole ? await readWhole(fh, size) : undefined;
    let layout: PackageLayout;
    if (bytes !== undefined) {
      const step = locatePackage(bytes, options.limits);
      if (!step.complete) throw new RpmError('RPM_TRUNCATED', `file is ${size} bytes, its headers need ${step.need}`);
      layout = step.layout;
    } else {
      layout = await readHeadAt(fh, size, options.limits, HEAD_FIRST_READ);
    }
    options.checkHead?.(layout);
    const header = checkHeaderDigests(layout);
    if (!options.verifyPayload) return { layout, fileSize: size, mode, bytes, digests: header };
    let payload: PayloadReport;
    if (bytes !== undefined) {
      const verifier = new PayloadVerifier(layout);
      verifier.update(bytes.subarray(layout.mainEnd));
      payload = verifier.finish();
    } else {
      payload = await checkPayload(fh, layout, size);
    }
    return { layout, fileSize: size, mode, bytes, digests: { ...header, ...payload } };
  } catch (err) {
    throw withFile(file, err);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
