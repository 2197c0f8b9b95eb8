import { constants } from 'node:fs';
import { copyFile, open, rename, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RpmError } from '../errors.ts';
import { signaturePadding } from '../header/layout.ts';
import { parseHeader } from '../header/parse.ts';
import { DEFAULT_PACKAGE_LIMITS } from '../limits.ts';
import type { PackageLayout } from '../locate.ts';
import { REGION_TAG } from '../tags.ts';
import { assertUnchanged, removeQuietly, syncDirShared, tempPathFor, withFile, writeAt } from './files.ts';

export interface WriteSignedPackageOptions {
  /** The package whose head `layout` describes. */
  readonly src: string;
  /** Where to write the signed package; absent: replace `src` in place. */
  readonly dest?: string | undefined;
  /** From `readPackageHead(src)`. */
  readonly layout: PackageLayout;
  /** `buildSignatureHeader(...).region`: the new `[96, M)`. */
  readonly newSignatureRegion: Buffer;
  /** Optional cross-check of `buildSignatureHeader(...).sameSize`; must agree with the lengths. */
  readonly sameSize?: boolean | undefined;
  /**
   * The whole of `src` as `loadPackage` read it (`bytes`, `mode`). With a `dest`, the signed
   * copy is written from these bytes in one write instead of copying and patching `src`.
   */
  readonly contents?: { readonly bytes: Buffer; readonly mode: number } | undefined;
}

export type WriteMethod = 'patched-in-place' | 'copied-and-patched' | 'rewritten' | 'written';

export interface WriteSignedPackageResult {
  /** The signed package's path (`dest` or `src`). */
  readonly path: string;
  readonly method: WriteMethod;
  /** Start of the main header in the written file (moves when the size changed). */
  readonly mainStart: number;
}

const COPY_CHUNK = 1024 * 1024;

/** Threat: writing a malformed signature header into a package. Parse it first, as rpm will. */
function checkRegion(region: Buffer): void {
  const header = parseHeader(region, REGION_TAG.SIGNATURES, {
    maxTags: DEFAULT_PACKAGE_LIMITS.signatureMaxTags,
    maxDataBytes: DEFAULT_PACKAGE_LIMITS.signatureMaxBytes,
  });
  const pad = signaturePadding(header.bytes.length);
  const tail = region.subarray(header.bytes.length);
  if (tail.length !== pad || tail.some((b) => b !== 0)) {
    throw new RpmError('RPM_BAD_REGION', `new signature region must be the header plus ${pad} zero bytes of padding`);
  }
}

/** Same length: patch `[96, M)` of an open file in place, after checking its head is unchanged. */
async function patch(file: string, layout: PackageLayout, region: Buffer): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, 'r+');
    await assertUnchanged(fh, layout);
    await writeAt(fh, region, layout.signatureStart);
    await fh.sync();
  } finally {
    await fh?.close();
  }
}

/** Different length: lead, new signature region, then `[M, EOF)` of `src` streamed into `tmp`. */
async function rewrite(src: string, tmp: string, layout: PackageLayout, region: Buffer): Promise<void> {
  let input: FileHandle | undefined;
  let output: FileHandle | undefined;
  try {
    input = await open(src, 'r');
    await assertUnchanged(input, layout);
    const mode = (await input.stat()).mode & 0o7777;
    output = await open(tmp, 'wx', 0o600);
    await writeAt(output, layout.leadBytes, null);
    await writeAt(output, region, null);
    const buf = Buffer.alloc(COPY_CHUNK);
    let position = layout.mainStart;
    for (;;) {
      const { bytesRead } = await input.read(buf, 0, COPY_CHUNK, position);
      if (bytesRead === 0) break;
      await writeAt(output, buf.subarray(0, bytesRead), null);
      position += bytesRead;
    }
    await output.chmod(mode);
    await output.sync();
  } finally {
    await input?.close();
    await output?.close();
  }
}

/** Lead, new signature region, then `[M, EOF)` of the bytes in memory, into a new `tmp`. */
async function writeFromMemory(tmp: string, layout: PackageLayout, region: Buffer, bytes: Buffer, mode: number): Promise<void> {
  // Threat: bytes of another package (or another version of this one) getting this
  // signature region. They must hold exactly the head the signature was made over.
  const head = bytes.subarray(0, layout.mainEnd);
  const expected = [layout.leadBytes, layout.signatureRegion, layout.mainHeader.bytes];
  let at = 0;
  for (const part of expected) {
    if (!head.subarray(at, at + part.length).equals(part)) {
      throw new RpmError('RPM_CHANGED', 'the bytes to write do not hold the head that was read');
    }
    at += part.length;
  }
  let output: FileHandle | undefined;
  try {
    output = await open(tmp, 'wx', 0o600);
    await writeAt(output, Buffer.concat([layout.leadBytes, region, bytes.subarray(layout.mainStart)]), null);
    await output.chmod(mode & 0o7777);
    await output.sync();
  } finally {
    await output?.close();
  }
}

/**
 * Writes a package carrying `newSignatureRegion` instead of `[96, M)`:
 *
 * - same size, in place: re-checks the head and patches `[96, M)`; the payload is never read;
 * - to `dest` with `contents`: writes lead + new region + `[M, EOF)` from memory into a
 *   temp file beside `dest` (one write), renames it over `dest`;
 * - same size, to `dest`: copies `src` to a temp file beside `dest`, patches it, renames over `dest`;
 * - size changed: streams lead + new region + `[M, EOF)` into a temp file beside the
 *   target, then renames it over `dest` (or `src`).
 *
 * Every path fsyncs before returning (after a rename, the directory too: `syncDirShared`).
 * On failure the temp file is removed and the original is left as it was. The lead is kept as it is (rpmsign instead regenerates it
 * from the header and the signing host's arch/os when it rewrites a file).
 */
export async function writeSignedPackage(options: WriteSignedPackageOptions): Promise<WriteSignedPackageResult> {
  const { src, dest, layout, newSignatureRegion: region } = options;
  const target = dest ?? src;
  try {
    checkRegion(region);
  } catch (err) {
    throw withFile(target, err);
  }
  const sameSize = region.length === layout.signatureRegion.length;
  if (options.sameSize !== undefined && options.sameSize !== sameSize) {
    throw new RpmError('RPM_BAD_REGION', `${target}: sameSize=${options.sameSize} but the new region is ${region.length} bytes and the old ${layout.signatureRegion.length}`);
  }
  const mainStart = layout.signatureStart + region.length;

  if (sameSize && dest === undefined) {
    try {
      await patch(src, layout, region);
    } catch (err) {
      throw withFile(src, err);
    }
    return { path: src, method: 'patched-in-place', mainStart };
  }

  const tmp = tempPathFor(target);
  const contents = dest === undefined ? undefined : options.contents;
  try {
    if (contents !== undefined) {
      await writeFromMemory(tmp, layout, region, contents.bytes, contents.mode);
    } else if (sameSize) {
      await copyFile(src, tmp, constants.COPYFILE_EXCL);
      await patch(tmp, layout, region);
    } else {
      await rewrite(src, tmp, layout, region);
    }
    if (dest !== undefined) {
      // Threat: dest silently being a directory or special file we would clobber oddly.
      const existing = await stat(dest).catch(() => undefined);
      if (existing !== undefined && !existing.isFile()) throw new RpmError('RPM_IO', 'destination exists and is not a regular file');
    }
    await rename(tmp, target);
  } catch (err) {
    await removeQuietly(tmp);
    throw withFile(target, err);
  }
  await syncDirShared(path.dirname(target));
  const method: WriteMethod = contents !== undefined ? 'written' : sameSize ? 'copied-and-patched' : 'rewritten';
  return { path: target, method, mainStart };
}
