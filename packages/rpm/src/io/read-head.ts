import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { RpmError } from '../errors.ts';
import type { PackageLimits } from '../limits.ts';
import { locatePackage } from '../locate.ts';
import type { PackageLayout } from '../locate.ts';
import { READ_PACKAGE_FLAGS, readAt, withFile } from './files.ts';

export interface PackageHead {
  readonly layout: PackageLayout;
  /** Size of the file when its head was read. */
  readonly fileSize: number;
}

/**
 * Reads the lead and both headers of the package at `file`, exactly as far as the
 * locator asks (never past the main header into the payload), and parses them.
 */
export async function readPackageHead(file: string, limits?: Partial<PackageLimits>): Promise<PackageHead> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, READ_PACKAGE_FLAGS);
    const stat = await fh.stat();
    if (!stat.isFile()) throw new RpmError('RPM_IO', 'not a regular file');
    return { layout: await readHeadAt(fh, stat.size, limits, 0), fileSize: stat.size };
  } catch (err) {
    throw withFile(file, err);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Reads from an open package as far as the locator asks and parses the head: a first read
 * of `firstRead` bytes (0: only what the locator asks for, never past the main header),
 * then what each step still needs. RPM_TRUNCATED when the file ends first.
 */
export async function readHeadAt(fh: FileHandle, size: number, limits: Partial<PackageLimits> | undefined, firstRead: number): Promise<PackageLayout> {
  let buf = firstRead > 0 ? await readAt(fh, 0, Math.min(size, firstRead)) : Buffer.alloc(0);
  for (;;) {
    const step = locatePackage(buf, limits);
    if (step.complete) return step.layout;
    if (buf.length >= size) throw new RpmError('RPM_TRUNCATED', `file is ${size} bytes, its headers need ${step.need}`);
    // Read what exists up to `need`, so a short non-RPM still fails on its magic.
    const more = await readAt(fh, buf.length, Math.min(step.need, size) - buf.length);
    buf = Buffer.concat([buf, more]);
  }
}
