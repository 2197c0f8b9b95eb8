import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { RpmError } from '../errors.ts';
import type { PackageLimits } from '../limits.ts';
import { locatePackage } from '../locate.ts';
import type { PackageLayout } from '../locate.ts';
import { readAt, withFile } from './files.ts';

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
    fh = await open(file, 'r');
    const stat = await fh.stat();
    if (!stat.isFile()) throw new RpmError('RPM_IO', 'not a regular file');
    let buf = Buffer.alloc(0);
    for (;;) {
      const step = locatePackage(buf, limits);
      if (step.complete) return { layout: step.layout, fileSize: stat.size };
      if (buf.length >= stat.size) {
        throw new RpmError('RPM_TRUNCATED', `file is ${stat.size} bytes, its headers need ${step.need}`);
      }
      // Read what exists up to `need`, so a short non-RPM still fails on its magic.
      const more = await readAt(fh, buf.length, Math.min(step.need, stat.size) - buf.length);
      buf = Buffer.concat([buf, more]);
    }
  } catch (err) {
    throw withFile(file, err);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
