/**
 * Revocation through the real processes: a client certificate revoked with signet-pki
 * is refused by the running bridge and server once the new CRL is installed — no restart —
 * and a session it opened before is ended by the server.
 */
import { copyFileSync, mkdtempSync, rmSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, LOOPBACK, LOOPBACK_BRIDGE_CERT, startBridge, startServer, writeEndpointConfigs, type Deployment, type BridgeProcess } from '../../scripts/lib/deployment.ts';
import { BIN, runNode, type Daemon } from '../../scripts/lib/run.ts';
import { bridgeConfigFor, tlsFor, writeConfigFile } from '../../scripts/lib/configs.ts';
import { loadClientConfig, openSession, unlockKey } from '@signet/client';
import { bytesToSign, readPackageHead } from '@signet/rpm';

const SAMPLE = path.resolve(import.meta.dirname, '../../samples/rpms/signet-demo-hello-1.0-1.noarch.rpm');

describe('certificate revocation without restart', () => {
  let dep: Deployment;
  let bridge: BridgeProcess;
  let server: Daemon;
  /** The bridge's and the server's copies of the CRL bundle (each party reads its own, as the runbook installs it). */
  let bridgeCrl: string;
  let serverCrl: string;
  const install = (...copies: string[]): void => {
    for (const to of copies) copyFileSync(path.join(dep.pkiDir, 'crl-bundle.pem'), to);
  };

  beforeAll(async () => {
    dep = await createDeployment({ dir: mkdtempSync(path.join(os.tmpdir(), 'signet-revoke-')), keyType: 'ed25519', argon2: 'min' });
    bridgeCrl = path.join(dep.dir, 'bridge-crl-bundle.pem');
    serverCrl = path.join(dep.dir, 'server-crl-bundle.pem');
    install(bridgeCrl, serverCrl);
    const bridgeConfig = path.join(dep.dir, 'bridge-crl.json');
    const listen = { host: LOOPBACK, clientPort: 0, serverPort: 0 };
    writeConfigFile(bridgeConfig, bridgeConfigFor(dep, listen, LOOPBACK_BRIDGE_CERT, { tls: { ...tlsFor(dep, LOOPBACK_BRIDGE_CERT), crl: bridgeCrl } }));
    bridge = await startBridge(dep, bridgeConfig);
    writeEndpointConfigs(dep, bridge, { server: { tls: { ...tlsFor(dep, dep.serverName), crl: serverCrl } }, client: { retry: { maxAttempts: 1 } } });
    server = await startServer(dep);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), bridge?.stop()]);
    rmSync(dep.dir, { recursive: true, force: true });
  });

  const sign = async (): Promise<{ code: number; stderr: string }> => {
    const out = mkdtempSync(path.join(dep.dir, 'out-'));
    const input = path.join(out, '..', `${path.basename(out)}.rpm`);
    copyFileSync(SAMPLE, input);
    mkdirSync(out, { recursive: true });
    const r = await runNode(BIN.client, ['--config', dep.clientConfig, 'sign-rpm', '--key', dep.keyName, '--passphrase-file', dep.passphraseFile, '-o', out, input]);
    return { code: r.code, stderr: r.stderr + (existsSync(path.join(out, path.basename(input))) ? '' : ' [no output]') };
  };

  it('signs before, is refused after the CRL is updated, and the bridge logs why; a session already open is ended', async () => {
    const before = await sign();
    expect(before.code, before.stderr).toBe(0);
    // A session opened before the revocation, held across it (as a long sign-tag would).
    const rpc = await openSession(loadClientConfig(dep.clientConfig));
    const key = await unlockKey(rpc, dep.keyName, readFileSync(dep.passphraseFile, 'utf8').split('\n')[0] ?? '');
    const header = bytesToSign((await readPackageHead(SAMPLE)).layout);
    const first = await rpc.call('sign-rpm-header', { key: key.info.name }, header);
    expect(first.bin.length).toBeGreaterThan(50);

    const revoked = await runNode(BIN.pki, ['revoke', '--dir', dep.pkiDir, '--name', dep.user, '--reason', 'keyCompromise']);
    expect(revoked.code, revoked.stderr).toBe(0);
    // The server's copy first: the session it holds is ended by the server itself.
    install(serverCrl);
    await server.waitFor((l) => l['event'] === 'session-revoked' && l['user'] === dep.user, 10_000);
    await expect(rpc.call('sign-rpm-header', { key: key.info.name }, header)).rejects.toThrow();
    rpc.close();

    // Then the bridge's: new connections are refused there.
    install(bridgeCrl);
    await bridge.waitFor((l) => l['event'] === 'crl-reloaded', 10_000);

    const after = await sign();
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/no output/);
    await bridge.waitFor((l) => l['event'] === 'tls-refused' && /revoked/i.test(String(l['reason'])), 10_000);

  });

  it('revoking the server certificate ends its open links at the bridge, and its redials are refused', async () => {
    await server.waitFor((l) => l['event'] === 'link-ready', 10_000);
    const revoked = await runNode(BIN.pki, ['revoke', '--dir', dep.pkiDir, '--name', dep.serverName, '--reason', 'keyCompromise']);
    expect(revoked.code, revoked.stderr).toBe(0);
    install(bridgeCrl, serverCrl);
    await bridge.waitFor((l) => l['event'] === 'link-revoked' && l['port'] === 'server' && l['user'] === dep.serverName, 10_000);
    await bridge.waitFor((l) => l['event'] === 'tls-refused' && l['port'] === 'server' && /revoked/i.test(String(l['reason'])), 10_000);
  });
});
