import { describe, expect, it } from 'vitest';
import { ClientError, RemoteError } from '@signet/client';
import { isRetryable, retryDelay, withRetries } from '../../../packages/client/src/retry.ts';

const policy = { maxAttempts: 4, initialDelayMs: 10, maxDelayMs: 40 };

describe('client retries', () => {
  it('retries transient failures only', () => {
    for (const code of ['SESSION_CLOSED', 'TIMEOUT', 'CONNECT_FAILED', 'BRIDGE_UNAVAILABLE'] as const) {
      expect(isRetryable(new ClientError(code, 'x'))).toBe(true);
    }
    for (const code of ['BRIDGE_REFUSED', 'SERVER_REFUSED', 'SERVER_IDENTITY', 'SIGNATURE_INVALID', 'USAGE'] as const) {
      expect(isRetryable(new ClientError(code, 'x'))).toBe(false);
    }
    expect(isRetryable(new RemoteError('BAD_PASSPHRASE', 'x', false))).toBe(false);
    expect(isRetryable(new RemoteError('INTERNAL', 'x', true))).toBe(true);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });

  it('backs off exponentially up to the cap', () => {
    expect(retryDelay(0, policy, () => 1)).toBe(10);
    expect(retryDelay(1, policy, () => 1)).toBe(20);
    expect(retryDelay(5, policy, () => 1)).toBe(40);
    expect(retryDelay(5, policy, () => 0)).toBe(20);
  });

  it('gives up after maxAttempts, and at once on a permanent failure', async () => {
    let calls = 0;
    await expect(
      withRetries(policy, async () => {
        calls++;
        throw new ClientError('SESSION_CLOSED', 'dropped');
      }),
    ).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    expect(calls).toBe(4);
    calls = 0;
    await expect(
      withRetries(policy, async () => {
        calls++;
        throw new RemoteError('BAD_PASSPHRASE', 'no', false);
      }),
    ).rejects.toMatchObject({ code: 'BAD_PASSPHRASE' });
    expect(calls).toBe(1);
  });

  it('returns the first success', async () => {
    let calls = 0;
    const v = await withRetries(policy, async () => {
      if (++calls < 3) throw new ClientError('CONNECT_FAILED', 'restarting');
      return 'signed';
    });
    expect(v).toBe('signed');
    expect(calls).toBe(3);
  });
});
