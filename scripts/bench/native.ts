import { generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * The floor: raw node:crypto signatures over header-sized inputs, with nothing around
 * them. The async (callback) form runs in the libuv thread pool, so with enough requests
 * outstanding both cores sign at once — the best this machine can do with one key.
 */

export interface NativeResult {
  /** Signatures per second, async form, `concurrency` outstanding. */
  asyncPerSecond: number;
  /** Signatures per second, synchronous form, one thread. */
  syncPerSecond: number;
}

const generate = promisify(generateKeyPair);

export async function nativeKeys(): Promise<{ rsa: KeyObject; ed: KeyObject }> {
  const [rsa, ed] = await Promise.all([generate('rsa', { modulusLength: 4096 }), generate('ed25519')]);
  return { rsa: rsa.privateKey, ed: ed.privateKey };
}

function signOnce(algorithm: string | null, data: Buffer, key: KeyObject): Promise<void> {
  return new Promise((resolve, reject) => sign(algorithm, data, key, (err) => (err ? reject(err) : resolve())));
}

/**
 * Signs ~3 KB inputs (the size of a small package's main header) for `seconds`, first
 * with `concurrency` async signatures outstanding, then synchronously on this thread.
 */
export async function measureNative(key: KeyObject, algorithm: 'sha512' | null, seconds: number, concurrency = 16): Promise<NativeResult> {
  const inputs = Array.from({ length: 64 }, () => randomBytes(3 * 1024));
  // Warm-up: the first calls pay for thread start-up and key preparation.
  await Promise.all(inputs.slice(0, 8).map((d) => signOnce(algorithm, d, key)));

  let done = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async (w: number): Promise<void> => {
    for (let i = w; performance.now() < deadline; i += concurrency) {
      await signOnce(algorithm, inputs[i % inputs.length] as Buffer, key);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const asyncPerSecond = done / ((performance.now() - start) / 1000);

  let syncDone = 0;
  const syncStart = performance.now();
  const syncDeadline = syncStart + (seconds / 2) * 1000;
  while (performance.now() < syncDeadline) {
    sign(algorithm, inputs[syncDone % inputs.length] as Buffer, key);
    syncDone++;
  }
  const syncPerSecond = syncDone / ((performance.now() - syncStart) / 1000);
  return { asyncPerSecond, syncPerSecond };
}
