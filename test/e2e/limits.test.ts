/**
 * Server concurrency limits, through the real processes: at limits.maxSessions the
 * server stops offering links (clients wait at the bridge instead of being refused), and
 * a user over limits.maxSessionsPerUser is told SERVER_BUSY, which the client retries.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { loadClientConfig, openSession, unlockKey } from '@signet/client';
import { bytesToSign, readPackageHead } from '@signet/rpm';

const SAMPLE = path.resolve(import.meta.dirname, '../../samples/rpms/signet-demo-hello-1.0-1.noarch.rpm');

function batchDir(root: string, name: string, n: number): { inputs: string[]; out: string } {
  const dir = path.join(root, name);
  const out = path.join(dir, 'out');
  mkdirSync(out, { recursive: true });
  const inputs = Array.from({ length: n }, (_, i) => {
    const f = path.join(dir, `p${i}.rpm`);
    copyFileSync(SAMPLE, f);
    return f;
  });
  return { inputs, out };
}

describe('server session limits', () => {
  let cluster: Cluster;
  let work: string;

  beforeAll(async () => {
    cluster = await startCluster({ keyType: 'ed25519', poolSize: 4, server: { limits: { maxSessions: 1, maxSessionsPerUser: 1 } } });
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-limits-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('two clients at once with one session allowed: both complete, one after the other', async () => {
    const a = batchDir(work, 'a', 30);
    const b = batchDir(work, 'b', 30);
    const sign = (x: { inputs: string[]; out: string }) =>
      cluster.signet(['sign-rpm', '--key', cluster.dep.keyName, '--passphrase-file', cluster.dep.passphraseFile, '-o', x.out, ...x.inputs]);
    const [ra, rb] = await Promise.all([sign(a), sign(b)]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(readdirSync(a.out)).toHaveLength(30);
    expect(readdirSync(b.out)).toHaveLength(30);
    // The server never ran two sessions at once: each started after the previous ended.
    const events = cluster.server.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e['event'] === 'session-start' || e['event'] === 'session-end');
    let open = 0;
    for (const e of events) {
      open += e['event'] === 'session-start' ? 1 : -1;
      expect(open).toBeLessThanOrEqual(1);
    }
    // And the server kept no more idle links than it could serve.
    const parked = cluster.server.lines.filter((l) => l.includes('"event":"session-busy"'));
    expect(parked).toEqual([]);
  });
});

describe('session idle deadline', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ keyType: 'ed25519', server: { limits: { sessionIdleMs: 1000 } } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a session that asks nothing is closed by the server, freeing its link', async () => {
    const { openSession, loadClientConfig } = await import('@signet/client');
    const rpc = await openSession(loadClientConfig(cluster.dep.clientConfig));
    expect((await rpc.call('whoami', {})).result.user).toBe('alice');
    await new Promise((r) => setTimeout(r, 2000));
    await expect(rpc.call('whoami', {})).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    await cluster.server.waitFor((l) => l['event'] === 'session-idle');
  });
});

describe('session lifetime', () => {
  let cluster: Cluster;
  let work: string;

  beforeAll(async () => {
    cluster = await startCluster({ keyType: 'ed25519', server: { limits: { sessionLifetimeMs: 1000 } }, client: { retry: { maxAttempts: 6 } } });
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-lifetime-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('a busy session is closed at limits.sessionLifetimeMs, taking its unlocked key with it', async () => {
    const rpc = await openSession(loadClientConfig(cluster.dep.clientConfig));
    try {
      const key = await unlockKey(rpc, cluster.dep.keyName, readFileSync(cluster.dep.passphraseFile, 'utf8').split('\n')[0] ?? '');
      const header = bytesToSign((await readPackageHead(SAMPLE)).layout);
      // Busy all along (never idle), yet closed once its lifetime is over.
      const started = Date.now();
      let signed = 0;
      await expect(
        (async () => {
          for (;;) {
            await rpc.call('sign-rpm-header', { key: key.info.name }, header);
            signed++;
            if (Date.now() - started > 10_000) return;
          }
        })(),
      ).rejects.toThrow();
      expect(signed).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      await cluster.server.waitFor((l) => l['event'] === 'session-lifetime', 5_000);
    } finally {
      rpc.close();
    }
  });

  it('a batch longer than the lifetime still completes: the client opens a new session and unlocks again', async () => {
    const { inputs, out } = batchDir(work, 'long', 600);
    const before = cluster.server.lines.filter((l) => l.includes('"event":"session-lifetime"')).length;
    // One package at a time: 600 round trips take well over the 1 s lifetime.
    const r = await cluster.signet(['sign-rpm', '--key', cluster.dep.keyName, '--passphrase-file', cluster.dep.passphraseFile, '--jobs', '1', '-o', out, ...inputs]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out)).toHaveLength(600);
    expect(cluster.server.lines.filter((l) => l.includes('"event":"session-lifetime"')).length).toBeGreaterThan(before);
  }, 120_000);
});
