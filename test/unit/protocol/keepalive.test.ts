import { describe, expect, it } from 'vitest';
import { KeepaliveConfig, Liveness, tickInterval } from '@signet/protocol';

describe('link liveness clock', () => {
  it('pings every interval while the peer answers, and never declares it dead', () => {
    const l = new Liveness({ intervalMs: 2000, deadAfterMs: 6000 }, 0);
    const pings: number[] = [];
    for (let t = 0; t <= 20_000; t += 500) {
      const v = l.tick(t);
      expect(v.dead).toBe(false);
      if (v.ping) {
        pings.push(t);
        l.inbound(t + 10); // the pong
      }
    }
    expect(pings).toEqual([2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000, 20000]);
  });

  it('declares a silent peer dead after deadAfterMs, whatever the pings', () => {
    const l = new Liveness({ intervalMs: 2000, deadAfterMs: 6000 }, 0);
    expect(l.tick(5999).dead).toBe(false);
    expect(l.tick(6000)).toMatchObject({ dead: true, ping: false, silentMs: 6000 });
  });

  it('with heartbeats off never pings, and deadAfterMs is an idle deadline', () => {
    const l = new Liveness({ intervalMs: 0, deadAfterMs: 10_000 }, 0);
    expect(l.tick(9000).ping).toBe(false);
    l.inbound(9000);
    expect(l.tick(18_999).dead).toBe(false);
    expect(l.tick(19_000).dead).toBe(true);
  });

  it('consults the clock often enough for the shortest deadline', () => {
    expect(tickInterval({ intervalMs: 15_000, deadAfterMs: 45_000 })).toBe(1000);
    expect(tickInterval({ intervalMs: 2000, deadAfterMs: 6000 })).toBe(1000);
    expect(tickInterval({ intervalMs: 200, deadAfterMs: 600 })).toBe(100);
    expect(tickInterval({ intervalMs: 0, deadAfterMs: 1000 })).toBe(250);
  });
});

describe('keepalive settings', () => {
  it('refuse a dead-link deadline shorter than two heartbeats; accept it with heartbeats off', () => {
    expect(KeepaliveConfig.safeParse({}).success).toBe(true);
    expect(KeepaliveConfig.safeParse({ intervalMs: 60_000 }).success).toBe(false); // default deadAfterMs 45 s
    expect(KeepaliveConfig.safeParse({ intervalMs: 2_000, deadAfterMs: 3_999 }).success).toBe(false);
    expect(KeepaliveConfig.safeParse({ intervalMs: 2_000, deadAfterMs: 4_000 }).success).toBe(true);
    expect(KeepaliveConfig.safeParse({ intervalMs: 0, deadAfterMs: 500 }).success).toBe(true);
  });
});
