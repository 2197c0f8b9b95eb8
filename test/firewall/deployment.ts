import path from 'node:path';
import { bridgeConfigFor, clientConfigFor, serverConfigFor, writeConfigFile } from '../../scripts/lib/configs.ts';
import { createDeployment, type Deployment } from '../../scripts/lib/deployment.ts';
import { BIN, must, runNode } from '../../scripts/lib/run.ts';
import { ADDR } from '../helpers/netns.ts';

/** Fixed ports: the namespaces are fresh, so nothing else can hold them. */
export const PORTS = { client: 44334, server: 44333 } as const;

export interface Keepalive {
  intervalMs: number;
  deadAfterMs: number;
  tcpKeepAliveMs: number;
}

export interface FirewallDeployment {
  dep: Deployment;
  /** The signing key's armored public half, for rpmkeys. */
  publicKey: string;
}

/**
 * A throwaway deployment (CA, certificates, server state with an ed25519 key for alice)
 * plus a bridge certificate for the bridge namespace's address, since the server and the
 * client check the bridge's certificate against the address they dial. That certificate
 * is named after the address: `dep.cert(ADDR.bridge)`.
 */
export async function createFirewallDeployment(dir: string): Promise<FirewallDeployment> {
  const dep = await createDeployment({ dir, keyType: 'ed25519', argon2: 'min' });
  await must('issue bridge certificate', runNode(BIN.pki, ['issue', '--dir', dep.pkiDir, '--role', 'bridge', '--name', ADDR.bridge, '--key-bits', '2048']));
  const publicKey = path.join(dir, `${dep.keyName}.asc`);
  await must('export public key', runNode(BIN.server, ['admin', '--state', dep.stateDir, 'key', 'export-public', dep.keyName, '-o', publicKey]));
  return { dep, publicKey };
}

export interface ConfigFiles {
  bridge: string;
  server: string;
  client: string;
}

export interface ConfigSettings {
  poolSize: number;
  /** Each party's `keepalive`; undefined leaves the key out (code without keepalive). */
  keepalive: { bridge: Keepalive; server: Keepalive; client: Keepalive } | undefined;
  /** bridge limits.probeTimeoutMs; undefined leaves it out. */
  probeTimeoutMs: number | undefined;
}

/** Writes the three configs for processes in the namespaces, into `dir`. */
export function writeConfigs(fw: FirewallDeployment, dir: string, s: ConfigSettings): ConfigFiles {
  const { dep } = fw;
  const ka = (party: 'bridge' | 'server' | 'client') => (s.keepalive === undefined ? {} : { keepalive: s.keepalive[party] });
  const files = { bridge: path.join(dir, 'bridge.json'), server: path.join(dir, 'server.json'), client: path.join(dir, 'client.json') };
  const limits = s.probeTimeoutMs === undefined ? {} : { limits: { probeTimeoutMs: s.probeTimeoutMs } };
  writeConfigFile(files.bridge, bridgeConfigFor(dep, { host: ADDR.bridge, clientPort: PORTS.client, serverPort: PORTS.server }, ADDR.bridge, { ...limits, ...ka('bridge') }));
  // link-opened is a debug event; the test counts it.
  writeConfigFile(files.server, serverConfigFor(dep, { host: ADDR.bridge, port: PORTS.server }, s.poolSize, { ...ka('server'), log: { level: 'debug' } }));
  writeConfigFile(files.client, clientConfigFor(dep, { host: ADDR.bridge, port: PORTS.client }, ka('client')));
  return files;
}
