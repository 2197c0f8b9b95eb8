import { describe, expect, it } from 'vitest';
import { decide, delaySeconds, DEFAULT_UNLOCK_LIMITS, unlockLimits } from '../../../packages/server/src/keystore/limiter.ts';

const L = DEFAULT_UNLOCK_LIMITS;
const t0 = Date.parse('2026-01-01T00:00:00Z');

describe('unlock limiter policy', () => {
  it('lets the first failures pass, then doubles the delay up to the cap', () => {
    expect([0, 1, 2].map((f) => delaySeconds(f, L))).toEqual([0, 0, 0]);
    expect([3, 4, 5, 6].map((f) => delaySeconds(f, L))).toEqual([4, 8, 16, 32]);
    expect(delaySeconds(40, L)).toBe(L.maxDelaySeconds);
  });

  it('throttles until the delay has passed, and locks out at the limit', () => {
    expect(decide({ failures: 2, lastFailure: t0 }, new Date(t0), L)).toEqual({ allowed: true });
    const throttled = decide({ failures: 3, lastFailure: t0 }, new Date(t0 + 1000), L);
    expect(throttled).toEqual({ allowed: false, code: 'UNLOCK_THROTTLED', failures: 3, retryAt: new Date(t0 + 4000) });
    expect(decide({ failures: 3, lastFailure: t0 }, new Date(t0 + 4000), L)).toEqual({ allowed: true });
    expect(decide({ failures: 10, lastFailure: t0 }, new Date(t0 + 365 * 86400_000), L)).toMatchObject({ allowed: false, code: 'UNLOCK_LOCKED' });
    expect(decide({ failures: 2, lastFailure: t0 }, new Date(t0), unlockLimits({ lockoutAfter: 2 }))).toMatchObject({ code: 'UNLOCK_LOCKED' });
  });

  it('refuses settings out of range', () => {
    expect(() => unlockLimits({ lockoutAfter: 0 })).toThrow(expect.objectContaining({ code: 'UNLOCK_LIMITS_INVALID' }));
    expect(() => unlockLimits({ maxDelaySeconds: 1.5 })).toThrow(expect.objectContaining({ code: 'UNLOCK_LIMITS_INVALID' }));
  });
});
