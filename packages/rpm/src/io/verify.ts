import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { checkHeaderDigests, PayloadVerifier } from '../digests.ts';
import type { DigestReport, PayloadReport } from '../digests.ts';
import type { PackageLayout } from '../locate.ts';
import { assertUnchanged, READ_PACKAGE_FLAGS, withFile } from './files.ts';
import { OffThreadHash, OffThreadHashError } from './offthread-hash.ts';

/** Largest payload read buffer: larger payloads stream through buffers of this size. */
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
    const { size } = await fh.stat();
    return { ...header, ...(await checkPayload(fh, layout, size)) };
  } catch (err) {
    throw withFile(file, err);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Payloads from this size on have their MD5 hashed on a worker thread beside the SHA-256 on
 * this one (figures in docs/performance.md); below it, starting a worker costs more than it
 * saves.
 */
export const PARALLEL_MD5_MIN_BYTES = 64 * 1024 * 1024;

/** Starts the off-thread MD5 (a parameter so that tests can hand in one that fails). */
export type StartMd5 = (slotBytes: number) => Promise<OffThreadHash | undefined>;
const startMd5: StartMd5 = (slotBytes) => OffThreadHash.start('md5', slotBytes);

/**
 * PAYLOADDIGEST, MD5 and SIZE of `[E, EOF)` read from `fh` (`size` bytes in all), in
 * chunks of min(1 MiB, payload). A large payload's MD5 runs on a worker thread when one is
 * free; if that worker fails, the payload is checked again on this thread.
 */
export async function checkPayload(fh: FileHandle, layout: PackageLayout, size: number, start: StartMd5 = startMd5): Promise<PayloadReport> {
  const chunkBytes = Math.max(1, Math.min(PAYLOAD_CHUNK_BYTES, size - layout.mainEnd));
  if (size - layout.mainEnd >= PARALLEL_MD5_MIN_BYTES) {
    const verifier = new PayloadVerifier(layout, { md5: 'elsewhere' });
    const prefix = verifier.md5Prefix;
    const md5 = prefix === undefined ? undefined : await start(chunkBytes);
    if (md5 !== undefined && prefix !== undefined) {
      try {
        md5.prefix(prefix);
        await readPayload(fh, layout, () => md5.take(), (chunk, slot) => {
          md5.give(slot, chunk.length);
          verifier.update(chunk);
        }, (slot) => md5.putBack(slot));
        return verifier.finish(await md5.digest());
      } catch (err) {
        if (!(err instanceof OffThreadHashError)) throw err;
        // The worker failed: an optimisation only. Check the payload again, here.
      } finally {
        await md5.close();
      }
    }
  }
  const verifier = new PayloadVerifier(layout);
  const buf = Buffer.allocUnsafe(chunkBytes);
  await readPayload(fh, layout, async () => buf, (chunk) => verifier.update(chunk), () => undefined);
  return verifier.finish();
}

/** Reads `[E, EOF)` into buffers from `take`, handing each filled part to `use`; `unused` gets the last, empty one. */
async function readPayload(fh: FileHandle, layout: PackageLayout, take: () => Promise<Buffer>, use: (chunk: Buffer, buf: Buffer) => void, unused: (buf: Buffer) => void): Promise<void> {
  let position = layout.mainEnd;
  for (;;) {
    const buf = await take();
    const { bytesRead } = await fh.read(buf, 0, buf.length, position);
    if (bytesRead === 0) {
      unused(buf);
      return;
    }
    use(buf.subarray(0, bytesRead), buf);
    position += bytesRead;
  }
}
