import { describe, expect, it } from 'vitest';
import { parseBridgeConfig } from '@signet/bridge';

describe('bridge config', () => {
  const tls = { cert: 'b.crt', key: 'b.key', ca: 'ca.crt' };

  it('fills documented defaults and resolves paths against the config directory', () => {
    const c = parseBridgeConfig({ tls }, '/etc/signet');
    expect(c.listen).toEqual({ host: '0.0.0.0', clientPort: 44334, serverPort: 44333 });
    expect(c.limits.pairTimeoutMs).toBe(30_000);
    expect(c.tls.cert).toBe('/etc/signet/b.crt');
  });

  it('refuses unknown keys, by name', () => {
    expect(() => parseBridgeConfig({ tls, listen: { hots: 'x' } }, '/')).toThrow(/hots/);
    expect(() => parseBridgeConfig({ tls, limits: { pairTimeoutMs: -1 } }, '/')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
