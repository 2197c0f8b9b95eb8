import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * One hash computed on a worker thread over bytes the caller reads into shared slots, so a
 * second digest of the same stream runs on another core at the same time. Used for the MD5
 * of a large package (≈ 0.77 GB/s here, the slowest of its digests) beside its SHA-256.
 *
 * A slot is a view on a SharedArrayBuffer: the caller `take()`s a free one, reads into it,
 * `give()`s it to the worker and may go on reading it (both sides only read it); the slot
 * comes back once the worker has hashed it. Nothing is copied.
 *
 * An optimisation only: `start` gives undefined when as many hashes run as there are spare
 * cores, or when the worker cannot start, and a worker that fails later surfaces as an
 * OffThreadHashError; either way the caller hashes on its own thread instead.
 */

/** The worker failed or was closed; the caller should hash on its own thread. */
export class OffThreadHashError extends Error {}

/** Hashes running at once: a worker each (an isolate and its slots); more would only compete for the cores. */
export const MAX_OFF_THREAD_HASHES = Math.max(1, availableParallelism() - 1);
let running = 0;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash(workerData.algorithm);
const shared = workerData.shared;
parentPort.on('message', (m) => {
  if (m.kind === 'prefix') hash.update(m.bytes);
  else if (m.kind === 'slot') {
    hash.update(new Uint8Array(shared, m.offset, m.length));
    parentPort.postMessage({ kind: 'free', slot: m.slot });
  } else if (m.kind === 'end') parentPort.postMessage({ kind: 'digest', digest: hash.digest() });
});
`;

type Message = { kind: 'free'; slot: number } | { kind: 'digest'; digest: Uint8Array };

export class OffThreadHash {
  readonly #worker: Worker;
  readonly #slots: Buffer[];
  readonly #free: number[];
  readonly #waiting: Array<(slot: number) => void> = [];
  #failure: Error | undefined;
  #onFailure: ((err: Error) => void) | undefined;
  #onDigest: ((digest: Buffer) => void) | undefined;

  /**
   * A running hash, once its worker is up; undefined when MAX_OFF_THREAD_HASHES are running
   * or the worker cannot start.
   */
  static async start(algorithm: string, slotBytes: number, slotCount = 3): Promise<OffThreadHash | undefined> {
    if (running >= MAX_OFF_THREAD_HASHES) return undefined;
    running++;
    let hash: OffThreadHash | undefined;
    try {
      hash = new OffThreadHash(algorithm, slotBytes, slotCount);
      await hash.#online;
      return hash;
    } catch {
      if (hash !== undefined) await hash.close();
      else running--;
      return undefined;
    }
  }

  readonly #online: Promise<void>;
  #closed = false;

  private constructor(algorithm: string, slotBytes: number, slotCount: number) {
    const shared = new SharedArrayBuffer(slotBytes * slotCount);
    this.#slots = Array.from({ length: slotCount }, (_, i) => Buffer.from(shared, i * slotBytes, slotBytes));
    this.#free = this.#slots.map((_, i) => i);
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { algorithm, shared } });
    this.#worker.on('message', (m: Message) => {
      if (m.kind === 'free') {
        const waiter = this.#waiting.shift();
        if (waiter !== undefined) waiter(m.slot);
        else this.#free.push(m.slot);
      } else {
        this.#onDigest?.(Buffer.from(m.digest));
      }
    });
    const fail = (err: Error): void => {
      this.#failure ??= new OffThreadHashError(`hash worker failed: ${err.message}`, { cause: err });
      this.#onFailure?.(this.#failure);
    };
    this.#online = new Promise((resolve, reject) => {
      this.#worker.once('online', () => resolve());
      this.#worker.once('error', reject);
      this.#worker.once('exit', (code) => reject(new Error(`exited (${code})`)));
    });
    this.#online.catch(() => undefined);
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`exited (${code})`)));
  }

  /** Bytes hashed before the first slot (copied to the worker). */
  prefix(bytes: Uint8Array): void {
    this.#worker.postMessage({ kind: 'prefix', bytes });
  }

  /** A free slot to read into; waits while the worker holds them all. */
  async take(): Promise<Buffer> {
    const index = this.#free.pop() ?? (await this.#wait());
    return this.#slots[index] as Buffer;
  }

  /** Hands `[0, length)` of a slot from `take()` to the worker. */
  give(slot: Buffer, length: number): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0 || length < 0 || length > slot.length) throw new RangeError('not a slot of this hash');
    this.#worker.postMessage({ kind: 'slot', slot: index, offset: slot.byteOffset, length });
  }

  /** Returns a slot from `take()` unused. */
  putBack(slot: Buffer): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#free.push(index);
  }

  /** The digest of the prefix and every slot given, once the worker has hashed them all. */
  digest(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.#failure !== undefined) return reject(this.#failure);
      this.#onFailure = reject;
      this.#onDigest = resolve;
      this.#worker.postMessage({ kind: 'end' });
    });
  }

  /** Stops the worker; safe to call more than once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    running--;
    this.#failure ??= new OffThreadHashError('hash closed');
    this.#onFailure?.(this.#failure);
    this.#onFailure = undefined;
    await this.#worker.terminate();
  }

  #wait(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#failure !== undefined) return reject(this.#failure);
      this.#onFailure = reject;
      this.#waiting.push(resolve);
    });
  }
}
