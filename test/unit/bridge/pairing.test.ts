import { describe, expect, it } from 'vitest';
import { Pairing } from '@signet/bridge';

describe('pairing of clients and server links', () => {
  it('serves clients first come, first served, with the longest-idle server link', () => {
    const p = new Pairing<string, string>();
    expect(p.offerServer('s1')).toBeUndefined();
    expect(p.offerServer('s2')).toBeUndefined();
    expect(p.offerClient('c1')).toBe('s1');
    expect(p.offerClient('c2')).toBe('s2');
    expect(p.offerClient('c3')).toBeUndefined();
    expect(p.offerClient('c4')).toBeUndefined();
    expect(p.offerServer('s3')).toBe('c3');
    expect(p.waitingClients).toBe(1);
  });

  it('forgets a link that closed while idle and a client that gave up', () => {
    const p = new Pairing<string, string>();
    p.offerServer('s1');
    expect(p.removeServer('s1')).toBe(true);
    expect(p.removeServer('s1')).toBe(false);
    expect(p.offerClient('c1')).toBeUndefined();
    expect(p.removeClient('c1')).toBe(true);
    expect(p.offerServer('s2')).toBeUndefined();
    expect(p.idleServers).toBe(1);
  });
});
