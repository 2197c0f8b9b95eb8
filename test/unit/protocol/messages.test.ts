import { describe, expect, it } from 'vitest';
import { Request, Response, Results } from '@signet/protocol/e2e';
import { Control } from '@signet/protocol';

describe('e2e message schemas', () => {
  it('accepts each operation in its exact shape', () => {
    expect(Request.safeParse({ t: 'req', id: 1, op: 'unlock', key: 'release-2026', passphrase: 'x' }).success).toBe(true);
    expect(Request.safeParse({ t: 'req', id: 2, op: 'sign-rpm-header', key: 'release' }).success).toBe(true);
  });

  it('refuses unknown keys instead of dropping them', () => {
    expect(Request.safeParse({ t: 'req', id: 1, op: 'ping', admin: true }).success).toBe(false);
    expect(Results.whoami.safeParse({ user: 'a', extra: 1 }).success).toBe(false);
  });

  it('has no administrative operation on the wire', () => {
    const ops = Request.options.map((o) => o.shape.op.value);
    // change-passphrase is the one user-side write: a user re-wraps their own access.
    expect(ops.sort()).toEqual(['change-passphrase', 'get-public-key', 'hello', 'list-keys', 'ping', 'sign-data', 'sign-rpm-header', 'unlock', 'whoami']);
    for (const op of ops) expect(op).not.toMatch(/grant|revoke|import|generate|delete|expire|rename|export-secret|user|admin|audit|backup|restore/);
    // No operation names a user other than the certificate's: none has a user field.
    for (const o of Request.options) expect(Object.keys(o.shape)).not.toContain('user');
  });

  it('bounds passphrases, key names and error codes', () => {
    expect(Request.safeParse({ t: 'req', id: 1, op: 'unlock', key: 'k', passphrase: 'x'.repeat(1025) }).success).toBe(false);
    expect(Request.safeParse({ t: 'req', id: 1, op: 'get-public-key', key: '../etc/passwd' }).success).toBe(false);
    expect(Response.safeParse({ t: 'res', id: 1, ok: false, error: { code: 'lower case', message: 'm', retryable: false } }).success).toBe(false);
  });

  it('control messages from the bridge are strict too', () => {
    expect(Control.safeParse({ type: 'paired', session: 'ab'.repeat(16) }).success).toBe(true);
    expect(Control.safeParse({ type: 'paired', session: 'ab'.repeat(16), user: 'alice' }).success).toBe(false);
    expect(Control.safeParse({ type: 'error', code: 'BRIDGE_BUSY', message: 'x'.repeat(2000) }).success).toBe(false);
  });
});

describe('key names', () => {
  it('the wire accepts exactly the names the key store accepts', async () => {
    const { KEY_NAME_PATTERN } = await import('@signet/protocol/e2e');
    const { KEY_NAME_PATTERN: STORE } = await import('../../../packages/server/src/keystore/index.ts');
    expect(KEY_NAME_PATTERN.source).toBe(STORE.source);
  });
});
