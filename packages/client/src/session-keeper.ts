import type { ClientConfig } from './config.ts';
import { openSession } from './connect.ts';
import type { RpcClient } from './rpc-client.ts';
import { unlockKey, type SigningKey } from './session.ts';
import { isLinkFailure, isRetryable, withRetries, type RetryPolicy } from './retry.ts';

export interface LiveSession {
  rpc: RpcClient;
  key: SigningKey;
}

/**
 * One live session with the key unlocked, shared by every worker of a batch. When the
 * session breaks, the first worker to notice invalidates it and the next `get()` opens a
 * fresh one (once, for all workers). A permanent failure — a wrong passphrase, a refused
 * certificate — is remembered, so a batch does not retry an unlock once per package.
 */
export class SessionKeeper {
  readonly #config: ClientConfig;
  readonly #keyName: string;
  readonly #passphrase: string;
  /** The session being opened or in use; `live` is set once it is open. */
  #current: { opening: Promise<LiveSession>; live?: LiveSession } | undefined;

  constructor(config: ClientConfig, keyName: string, passphrase: string) {
    this.#config = config;
    this.#keyName = keyName;
    this.#passphrase = passphrase;
  }

  get(): Promise<LiveSession> {
    if (!this.#current) {
      const entry: { opening: Promise<LiveSession>; live?: LiveSession } = { opening: this.#open() };
      this.#current = entry;
      entry.opening.then(
        (live) => {
          entry.live = live;
        },
        (err: unknown) => {
          // Transient failures are forgotten so the next get() tries again.
          if (isRetryable(err) && this.#current === entry) this.#current = undefined;
        },
      );
    }
    return this.#current.opening;
  }

  /** Drops `session` if it is still the current one (another worker may have replaced it). */
  invalidate(session: LiveSession): void {
    if (this.#current?.live === session) this.#current = undefined;
    session.rpc.close();
  }

  close(): void {
    this.#current?.live?.rpc.close();
    this.#current = undefined;
  }

  async #open(): Promise<LiveSession> {
    const rpc = await openSession(this.#config);
    try {
      return { rpc, key: await unlockKey(rpc, this.#keyName, this.#passphrase) };
    } catch (err) {
      rpc.close();
      throw err;
    }
  }
}

/**
 * Runs `fn` on the keeper's live session, retrying transient failures per `policy`. A
 * failure that means the session itself broke drops it, so the next attempt gets a new one.
 */
export function onLiveSession<T>(
  keeper: SessionKeeper,
  policy: RetryPolicy,
  fn: (session: LiveSession) => Promise<T>,
  onRetry?: (err: unknown, attempt: number) => void,
): Promise<T> {
  return withRetries(
    policy,
    async () => {
      const session = await keeper.get();
      try {
        return await fn(session);
      } catch (err) {
        if (isLinkFailure(err)) keeper.invalidate(session);
        throw err;
      }
    },
    onRetry,
  );
}
