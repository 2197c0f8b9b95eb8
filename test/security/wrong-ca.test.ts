import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { mintTestPki, type TestPki } from '../helpers/pki.ts';
import { startHostileBridge, type HostileBridge } from '../helpers/security-bridge.ts';
import { auditRows, copySample, listFiles, logEvents, removeDir, runClient, sleep, startServerProcess, tempDir, writeClientConfig } from '../helpers/security-common.ts';

/**
 * Attack: certificates minted by another CA, with the very same names as ours (alice,
 * signet-server.test, localhost). Trust is the CA, never the name: a rogue client, a
 * rogue server and a rogue bridge are each refused.
 */

let cluster: Cluster;
let rogue: TestPki['rogue'];
let rogueDir: string;
let work: string;

beforeAll(async () => {
  [cluster] = await Promise.all([
    startCluster({ keyType: 'ed25519' }),
    (async () => {
      rogueDir = tempDir();
      rogue = (await mintTestPki(rogueDir, { users: ['alice'] })).rogue;
    })(),
  ]);
  work = tempDir();
});

afterAll(async () => {
  await cluster?.stop();
  if (rogueDir) removeDir(rogueDir);
  if (work) removeDir(work);
});

/** Signs a copy of the sample with `config`; returns the run and what was written. */
async function trySign(config: string, name: string): Promise<{ code: number; stderr: string; written: string[] }> {
  const dir = path.join(work, name);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out, { recursive: true });
  const input = copySample(dir);
  const r = await runClient(config, ['sign-rpm', '--key', cluster.dep.keyName, '--passphrase-file', cluster.dep.passphraseFile, '-o', out, input]);
  return { code: r.code, stderr: r.stderr, written: listFiles(out) };
}

describe('certificates from a rogue CA', () => {
  it('control: the real client signs through the real bridge', async () => {
    const r = await trySign(cluster.dep.clientConfig, 'control');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.written).toHaveLength(1);
  });

  it('a client certificate for the same user from a rogue CA is refused by the bridge; nothing is signed', async () => {
    expect(rogue.client.cert).not.toBe(cluster.dep.cert('alice').cert);
    const config = cluster.clientConfig('rogue-alice', { tls: { ...rogue.client, ca: cluster.dep.caCert } });
    const audit = auditRows(cluster.dep);
    const sessions = logEvents(cluster.bridge).filter((e) => e['event'] === 'session').length;
    const r = await trySign(config, 'rogue-client');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/signet: (\S+: )?(CONNECT_FAILED|BRIDGE_REFUSED): /);
    expect(r.written).toEqual([]);
    expect(auditRows(cluster.dep)).toBe(audit);
    await cluster.bridge.waitFor((l) => l['event'] === 'tls-refused' && l['port'] === 'client', 10_000);
    // It never became a session.
    await sleep(200);
    expect(logEvents(cluster.bridge).filter((e) => e['event'] === 'session').length).toBe(sessions);
  });

  it('a server certificate from a rogue CA cannot attach to the bridge server port', async () => {
    const server = startServerProcess(cluster.dep, { port: cluster.bridge.serverPort, tls: rogue.server, name: 'rogue' });
    try {
      await server.waitFor((l) => l['event'] === 'dial-failed', 15_000);
      await cluster.bridge.waitFor((l) => l['event'] === 'tls-refused' && l['port'] === 'server', 10_000);
      await sleep(300);
      expect(logEvents(server).some((e) => e['event'] === 'link-ready')).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('a rogue bridge (rogue CA, same name and address) is refused by the client and by the server', async () => {
    const bridge: HostileBridge = await startHostileBridge({ ...rogue.bridge, ca: cluster.dep.caCert, mode: 'relay' });
    const server = startServerProcess(cluster.dep, { port: bridge.serverPort, name: 'to-rogue-bridge' });
    try {
      const config = writeClientConfig(cluster.dep, { port: bridge.clientPort, name: 'to-rogue-bridge' });
      const r = await trySign(config, 'rogue-bridge');
      expect(r.code).toBe(1);
      // A bridge we cannot authenticate is refused for good, never retried.
      expect(r.stderr).toMatch(/signet: (\S+: )?BRIDGE_REFUSED: .*(certificate|self-signed|issuer)/i);
      expect(r.written).toEqual([]);
      await server.waitFor((l) => l['event'] === 'dial-failed', 15_000);
      await sleep(300);
      // Neither endpoint let the rogue bridge get as far as a WebSocket, let alone a session.
      expect(bridge.accepted).toEqual({ client: 0, server: 0 });
      expect(bridge.sessions).toHaveLength(0);
      expect(logEvents(server).some((e) => e['event'] === 'link-ready')).toBe(false);
    } finally {
      await server.stop();
      await bridge.close();
    }
  });
});
