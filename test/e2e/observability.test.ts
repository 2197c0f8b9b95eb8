/**
 * What the bridge tells an operator: one log line per session (user, peer, bytes,
 * duration, outcome; never a secret) and Prometheus metrics on their own listener.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../samples/rpms/signet-demo-hello-1.0-1.noarch.rpm');

describe('bridge observability', () => {
  let cluster: Cluster;
  let work: string;
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${cluster.bridge.metricsPort}/metrics`)).text();
  const value = (text: string, series: string): number => Number(text.match(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm'))?.[1] ?? NaN);

  beforeAll(async () => {
    cluster = await startCluster({ keyType: 'ed25519' });
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-obs-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('logs one line per session and counts it in /metrics', async () => {
    expect(cluster.bridge.metricsPort).toBeGreaterThan(0);
    const out = path.join(work, 'out');
    mkdirSync(out);
    const input = path.join(work, 'p.rpm');
    copyFileSync(SAMPLE, input);
    const r = await cluster.signet(['sign-rpm', '--key', 'demo', '--passphrase-file', cluster.dep.passphraseFile, '-o', out, input]);
    expect(r.code, r.stderr).toBe(0);

    const line = await cluster.bridge.waitFor((l) => l['event'] === 'session');
    expect(line).toMatchObject({ user: 'alice', outcome: expect.any(String) });
    expect(line['peer']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(line['bytesUp']).toBeGreaterThan(0);
    expect(line['bytesDown']).toBeGreaterThan(0);
    expect(line['durationMs']).toBeGreaterThanOrEqual(0);
    const passphrase = readFileSync(cluster.dep.passphraseFile, 'utf8').trim();
    expect(cluster.bridge.lines.join('\n')).not.toContain(passphrase);

    const text = await scrape();
    expect(value(text, 'signet_bridge_sessions_total{outcome="closed"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'signet_bridge_relayed_bytes_total{direction="up"}')).toBeGreaterThan(0);
    expect(value(text, 'signet_bridge_server_links_total')).toBeGreaterThanOrEqual(2);
    expect(value(text, 'signet_bridge_pair_wait_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^# TYPE signet_bridge_session_duration_seconds histogram$/m);
  });

  it('counts a peer refused for its role', async () => {
    const before = value(await scrape(), 'signet_bridge_peers_refused_total{port="client",stage="role"}');
    // The server's certificate on the client port: refused with 403 for its role.
    const cfg = cluster.clientConfig(cluster.dep.serverName);
    const r = await cluster.signetAs(cfg, ['whoami']);
    expect(r.code).not.toBe(0);
    const after = value(await scrape(), 'signet_bridge_peers_refused_total{port="client",stage="role"}');
    expect((Number.isNaN(before) ? 0 : before) + 1).toBe(after);
  });

  it('answers only GET /metrics', async () => {
    expect((await fetch(`http://127.0.0.1:${cluster.bridge.metricsPort}/`)).status).toBe(404);
  });
});
