import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { PkiError } from './errors.ts';

/** A lock older than this is left over from a crashed run and is broken. */
const STALE_MS = 60_000;
/** How long `issue` waits for another `issue` to finish with the index. */
const WAIT_MS = 15_000;

const sleep = (ms: number): void => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) as unknown as void;

/**
 * Runs `fn` holding an exclusive lock file beside index.json, so that two `signet-pki
 * issue` runs at the same time cannot both read the old index and each write back a copy
 * missing the other's certificate. The lock is a file created with O_EXCL.
 */
export function withIndexLock<T>(indexPath: string, fn: () => T): T {
  const lockPath = `${indexPath}.lock`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new PkiError('PKI_IO', `cannot create lock ${lockPath}: ${(err as Error).message}`, { cause: err });
      }
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > STALE_MS) rmSync(lockPath, { force: true });
      } catch {
        /* the other run just released it */
      }
      if (Date.now() > deadline) {
        throw new PkiError('PKI_IO', `${lockPath} is held by another signet-pki run; retry, or remove it if no run is active`);
      }
      sleep(25);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
