import { KeyStoreError } from './errors.ts';

/**
 * Brute-force resistance for access passphrases, per (user, key) grant. Pure: state and
 * clock in, decision out; the key store keeps the state in the `unlock_limits` table, so it
 * survives restarts.
 *
 * - The first `freeFailures` wrong passphrases cost nothing but the Argon2id work.
 * - After f ≥ freeFailures failures, the next attempt is refused (UNLOCK_THROTTLED) until
 *   min(2^(f - freeFailures + 1) · baseDelaySeconds, maxDelaySeconds) after the last failure.
 * - After `lockoutAfter` failures the grant is locked (UNLOCK_LOCKED) until an administrator
 *   runs `admin user unlock USER [--key KEY]`.
 * - A successful unlock clears the count.
 *
 * Threat: an authenticated client (or a stolen client certificate) guessing a grant's
 * access passphrase online at the server's full Argon2id rate.
 */

export interface UnlockLimits {
  /** Failures allowed before delays start (default 3). */
  readonly freeFailures: number;
  /** First delay, seconds (default 2; doubles per further failure). */
  readonly baseDelaySeconds: number;
  /** Cap on one delay, seconds (default 900). */
  readonly maxDelaySeconds: number;
  /** Failures after which only an administrator can re-enable the grant (default 10). */
  readonly lockoutAfter: number;
}

export const DEFAULT_UNLOCK_LIMITS: UnlockLimits = { freeFailures: 3, baseDelaySeconds: 2, maxDelaySeconds: 900, lockoutAfter: 10 };

export interface LimiterState {
  readonly failures: number;
  /** Time of the last failure, ms since the epoch (null: none). */
  readonly lastFailure: number | null;
}

export type LimiterDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: 'UNLOCK_LOCKED'; readonly failures: number }
  | { readonly allowed: false; readonly code: 'UNLOCK_THROTTLED'; readonly failures: number; readonly retryAt: Date };

export function unlockLimits(partial: Partial<UnlockLimits> = {}): UnlockLimits {
  const limits = { ...DEFAULT_UNLOCK_LIMITS, ...partial };
  const ok = (v: number, min: number, max: number): boolean => Number.isSafeInteger(v) && v >= min && v <= max;
  if (!ok(limits.freeFailures, 0, 100) || !ok(limits.baseDelaySeconds, 1, 3600) || !ok(limits.maxDelaySeconds, 1, 86400) || !ok(limits.lockoutAfter, 1, 1000)) {
    throw new KeyStoreError('UNLOCK_LIMITS_INVALID', 'unlock limits out of range: freeFailures 0..100, baseDelaySeconds 1..3600, maxDelaySeconds 1..86400, lockoutAfter 1..1000');
  }
  return limits;
}

/** Seconds the grant stays closed after `failures` failures (0: none). */
export function delaySeconds(failures: number, limits: UnlockLimits): number {
  if (failures < limits.freeFailures) return 0;
  const exponent = Math.min(failures - limits.freeFailures + 1, 30);
  return Math.min(limits.baseDelaySeconds * 2 ** exponent, limits.maxDelaySeconds);
}

export function decide(state: LimiterState, now: Date, limits: UnlockLimits): LimiterDecision {
  if (state.failures >= limits.lockoutAfter) return { allowed: false, code: 'UNLOCK_LOCKED', failures: state.failures };
  const delay = delaySeconds(state.failures, limits);
  if (delay > 0 && state.lastFailure !== null) {
    const retryAt = state.lastFailure + delay * 1000;
    if (now.getTime() < retryAt) return { allowed: false, code: 'UNLOCK_THROTTLED', failures: state.failures, retryAt: new Date(retryAt) };
  }
  return { allowed: true };
}

export function refusal(decision: Exclude<LimiterDecision, { allowed: true }>, key: string, user: string): KeyStoreError {
  if (decision.code === 'UNLOCK_LOCKED') {
    return new KeyStoreError('UNLOCK_LOCKED', `unlocking key '${key}' as '${user}' is locked after ${decision.failures} wrong passphrases; an administrator must run 'signet-server admin user unlock ${user} --key ${key}'`);
  }
  return new KeyStoreError('UNLOCK_THROTTLED', `too many wrong passphrases for key '${key}' as '${user}' (${decision.failures}); retry after ${decision.retryAt.toISOString()}`);
}
