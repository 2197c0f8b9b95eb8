import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clientConfigFor, tlsFor, writeConfigFile } from '../../scripts/lib/configs.ts';
import { createDeployment, startBridge, startServer, writeEndpointConfigs, client, LOOPBACK, type Deployment, type BridgeProcess } from '../../scripts/lib/deployment.ts';
import type { Daemon, RunResult } from '../../scripts/lib/run.ts';
import { BIN, runNode } from '../../scripts/lib/run.ts';

export interface Cluster {
  dep: Deployment;
  bridge: BridgeProcess;
  server: Daemon;
  /** Runs `signet` as alice (the deployment's user). */
  signet(args: string[]): Promise<RunResult>;
  /** Runs `signet` with another client config file. */
  signetAs(config: string, args: string[]): Promise<RunResult>;
  /**
   * Writes a client config for certificate `certName`, pinning `serverName`. Retries are
   * off unless `retryAttempts` says otherwise: these configs serve refusal tests.
   */
  clientConfig(certName: string, opts?: { serverName?: string; tls?: { cert: string; key: string; ca: string }; retryAttempts?: number }): string;
  stop(): Promise<void>;
}

/** A whole deployment, its bridge and its server, as real processes in a temp dir. */
export async function startCluster(
  opts: { keyType?: 'rsa4096' | 'ed25519'; poolSize?: number; server?: Record<string, unknown>; client?: Record<string, unknown> } = {},
): Promise<Cluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signet-e2e-'));
  const dep = await createDeployment({ dir, keyType: opts.keyType ?? 'rsa4096', argon2: 'min' });
  const bridge = await startBridge(dep);
  writeEndpointConfigs(dep, bridge, { poolSize: opts.poolSize ?? 2, ...(opts.server ? { server: opts.server } : {}), ...(opts.client ? { client: opts.client } : {}) });
  const server = await startServer(dep);
  let n = 0;
  const cluster: Cluster = {
    dep,
    bridge,
    server,
    signet: (args) => client(dep, args),
    signetAs: (config, args) => runNode(BIN.client, ['--config', config, ...args]),
    clientConfig(certName, o = {}) {
      const file = path.join(dir, `client-${certName}-${n++}.json`);
      const config = clientConfigFor(dep, { host: LOOPBACK, port: bridge.clientPort }, {
        serverName: o.serverName ?? dep.serverName,
        tls: o.tls ?? tlsFor(dep, certName),
        retry: { maxAttempts: o.retryAttempts ?? 1 },
      });
      writeConfigFile(file, config, 'compact');
      return file;
    },
    // A test may replace bridge or server (restarts); stop whatever runs now.
    async stop() {
      await Promise.all([cluster.server.stop(), cluster.bridge.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
