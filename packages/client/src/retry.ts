import { isSignetError } from '@signet/protocol';
import { RemoteError } from './errors.ts';

/**
 * Failures worth another attempt on a new session: the link dropped or timed out, the
 * bridge or server is restarting, the bridge had no free server link, or the server said
 * the failure was transient. Everything else — a wrong passphrase, a refused
 * certificate, a damaged package — fails at once.
 */
const TRANSIENT = new Set(['SESSION_CLOSED', 'TIMEOUT', 'CONNECT_FAILED', 'BRIDGE_UNAVAILABLE']);

export function isRetryable(err: unknown): boolean {
  if (err instanceof RemoteError) return err.retryable;
  return isSignetError(err) && TRANSIENT.has(err.code);
}

/** Failures that mean the session itself is broken and must be replaced. */
export function isLinkFailure(err: unknown): boolean {
  return isSignetError(err) && (err.code === 'SESSION_CLOSED' || err.code === 'TIMEOUT');
}

export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Capped exponential backoff with jitter in the upper half. */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs `fn` up to `policy.maxAttempts` times while it fails with a retryable error,
 * waiting between attempts. `onRetry` hears about each failure that will be retried.
 */
export async function withRetries<T>(policy: RetryPolicy, fn: (attempt: number) => Promise<T>, onRetry?: (err: unknown, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.maxAttempts || !isRetryable(err)) throw err;
      onRetry?.(err, attempt);
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt - 1, policy)));
    }
  }
}
