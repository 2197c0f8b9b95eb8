import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { checkHeaderDigests, PayloadVerifier } from '../digests.ts';
import type { DigestReport } from '../digests.ts';
import type { PackageLayout } from '../locate.ts';
import { assertUnchanged, READ_PACKAGE_FLAGS, withFile } from './files.ts';
import { OffThreadHash } from './offthread-hash.ts';

/** Largest payload read buffer: larger payloads stream through one buffer of this size. */
export const PAYLOAD_CHUNK_BYTES = 1024 * 1024;

/**
 * Checks every digest the package carries: SHA256HEADER/SHA1HEADER against the main
 * header, then streams `[E, EOF)` once (constant memory) through PAYLOADDIGEST, MD5 over
 * `[M, EOF)` and SIZE. First confirms the file's head is still the one in `layout`.
 * Throws RPM_HEADER_DIGEST_MISMATCH, RPM_PAYLOAD_DIGEST_MISMATCH, RPM_MD5_MISMATCH,
 * RPM_SIZE_MISMATCH or RPM_CHANGED.
 */
export async function verifyPackageDigests(file: string, layout: PackageLayout): Promise<DigestReport> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, READ_PACKAGE_FLAGS);
    await assertUnchanged(fh, layout);
    const header = checkHeaderDigests(layout);
    const verifier = new PayloadVerifier(layout);
    const { size } = await fh.stat();
    await streamPayload(fh, layout, size, verifier);
    return { ...header, ...verifier.finish() };
  } catch (err) {
    throw withFile(file, err);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Payloads from this size on have their MD5 hashed on a worker thread beside the SHA-256 on
 * this one (2 GiB: ≈ 2.7 s instead of ≈ 3.9 s here); below it, starting the worker costs more
 * than it saves.
 */
export const PARALLEL_MD5_MIN_BYTES = 64 * 1024 * 1024;

/** Streams `[E, EOF)` through `verifier` with one buffer of min(1 MiB, payload size). */
export async function streamPayload(fh: FileHandle, layout: PackageLayout, size: number, verifier: PayloadVerifier): Promise<void> {
  const payloadBytes = size - layout.mainEnd;
  const chunkBytes = Math.max(1, Math.min(PAYLOAD_CHUNK_BYTES, payloadBytes));
  const md5Prefix = payloadBytes >= PARALLEL_MD5_MIN_BYTES ? verifier.offloadMd5() : undefined;
  if (md5Prefix === undefined) {
    const buf = Buffer.allocUnsafe(chunkBytes);
    let position = layout.mainEnd;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      verifier.update(buf.subarray(0, bytesRead));
      position += bytesRead;
    }
    return;
  }
  const md5 = new OffThreadHash('md5', chunkBytes);
  try {
    md5.prefix(md5Prefix);
    let position = layout.mainEnd;
    for (;;) {
      const slot = await md5.take();
      const { bytesRead } = await fh.read(slot, 0, slot.length, position);
      if (bytesRead === 0) {
        md5.putBack(slot);
        break;
      }
      md5.give(slot, bytesRead);
      verifier.update(slot.subarray(0, bytesRead));
      position += bytesRead;
    }
    verifier.settleMd5(await md5.digest());
  } finally {
    await md5.close();
  }
}
