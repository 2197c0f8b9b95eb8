import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { RpmError } from '../errors.ts';
import type { PackageLayout } from '../locate.ts';

/**
 * Flags to open a package for reading: O_NONBLOCK so that opening a FIFO does not wait for
 * a writer (the caller then refuses anything that is not a regular file; on a regular
 * file the flag changes nothing).
 */
export const READ_PACKAGE_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Re-labels an error with the file it concerns: RpmErrors keep their code, others become RPM_IO. */
export function withFile(file: string, err: unknown): RpmError {
  if (err instanceof RpmError) {
    if (err.message.startsWith(`${file}: `)) return err;
    return new RpmError(err.code, `${file}: ${err.message}`, { cause: err });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new RpmError('RPM_IO', `${file}: ${reason}`, { cause: err });
}

/** Reads exactly `length` bytes at `position`, or throws RPM_TRUNCATED. */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new RpmError('RPM_TRUNCATED', `file ends at byte ${position + done}, expected at least ${position + length}`);
    }
    done += bytesRead;
  }
  return buf;
}

/** Writes all of `buf` at `position`. */
export async function writeAt(fh: FileHandle, buf: Buffer, position: number | null): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position === null ? null : position + done);
    done += bytesWritten;
  }
}

/**
 * Threat: the file at the path was replaced or rewritten between parsing its head and
 * writing the signature (a different package would get our signature header, or a
 * half-parsed one be patched). Re-reads `[0, E)` and compares it with the layout.
 */
export async function assertUnchanged(fh: FileHandle, layout: PackageLayout): Promise<void> {
  const expected = Buffer.concat([layout.leadBytes, layout.signatureRegion, layout.mainHeader.bytes]);
  let actual: Buffer;
  try {
    actual = await readAt(fh, 0, expected.length);
  } catch (err) {
    if (err instanceof RpmError && err.code === 'RPM_TRUNCATED') {
      throw new RpmError('RPM_CHANGED', 'the package became shorter since its head was read', { cause: err });
    }
    throw err;
  }
  if (!actual.equals(expected)) {
    throw new RpmError('RPM_CHANGED', 'the package head changed since it was read; read it again before signing');
  }
}

/** An unused hidden path next to `target`, in the same directory so rename is atomic. */
export function tempPathFor(target: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.signet-${randomBytes(6).toString('hex')}.tmp`);
}

/** Makes a rename durable. Best effort: some file systems refuse fsync on directories. */
export async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // The rename already happened; a file system without directory fsync is not an error.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

interface DirSyncState {
  /** The directory fsync under way, if any. */
  running: Promise<void> | undefined;
  /** The next one, not started yet: it covers every caller who joins it. */
  queued: Promise<void> | undefined;
}

const dirSyncs = new Map<string, DirSyncState>();

function startDirSync(dir: string, state: DirSyncState): Promise<void> {
  const run: Promise<void> = syncDir(dir).finally(() => {
    if (state.running === run) state.running = undefined;
    if (state.running === undefined && state.queued === undefined) dirSyncs.delete(dir);
  });
  state.running = run;
  return run;
}

/**
 * `syncDir` shared by concurrent callers: resolves after a directory fsync that *started*
 * after this call, so a rename done before the call is durable when it resolves, as with
 * `syncDir`. Callers that arrive while one fsync runs share the single next one, so a
 * batch of renames into one directory costs about two directory fsyncs, not one each.
 */
export function syncDirShared(dir: string): Promise<void> {
  let state = dirSyncs.get(dir);
  if (state === undefined) {
    state = { running: undefined, queued: undefined };
    dirSyncs.set(dir, state);
  }
  if (state.queued !== undefined) return state.queued;
  if (state.running === undefined) return startDirSync(dir, state);
  // The running fsync may have begun before the caller's rename: wait for the next one.
  const s = state;
  const queued = state.running.then(() => {
    s.queued = undefined;
    return startDirSync(dir, s);
  });
  s.queued = queued;
  return queued;
}

export async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}
