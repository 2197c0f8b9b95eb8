import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDeployment, type Deployment } from '../../scripts/lib/deployment.ts';
import { BIN, runNode, type RunResult } from '../../scripts/lib/run.ts';
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
  /** The bridge's certificate, naming the bridge namespace's address (IP SAN). */
  bridgeCert: { cert: string; key: string };
  /** The signing key's armored public half, for rpmkeys. */
  publicKey: string;
}

async function must(what: string, p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

/**
 * A throwaway deployment (CA, certificates, server state with an ed25519 key for alice)
 * plus a bridge certificate for the bridge namespace's address, since the server and the
 * client check the bridge's certificate against the address they dial.
 */
export async function createFirewallDeployment(dir: string): Promise<FirewallDeployment> {
  const dep = await createDeployment({ dir, keyType: 'ed25519', argon2: 'min' });
  await must('issue bridge certificate', runNode(BIN.pki, ['issue', '--dir', dep.pkiDir, '--role', 'bridge', '--name', ADDR.bridge, '--key-bits', '2048']));
  const publicKey = path.join(dir, `${dep.keyName}.asc`);
  await must('export public key', runNode(BIN.server, ['admin', '--state', dep.stateDir, 'key', 'export-public', dep.keyName, '-o', publicKey]));
  return { dep, bridgeCert: dep.cert(ADDR.bridge), publicKey };
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
  const write = (file: string, value: unknown): void => writeFileSync(file, JSON.stringify(value, null, 2));
  write(files.bridge, {
    listen: { host: ADDR.bridge, clientPort: PORTS.client, serverPort: PORTS.server },
    tls: { ...fw.bridgeCert, ca: dep.caCert },
    ...(s.probeTimeoutMs === undefined ? {} : { limits: { probeTimeoutMs: s.probeTimeoutMs } }),
    ...ka('bridge'),
  });
  write(files.server, {
    stateDir: dep.stateDir,
    bridge: { host: ADDR.bridge, port: PORTS.server },
    tls: { ...dep.cert(dep.serverName), ca: dep.caCert },
    poolSize: s.poolSize,
    ...ka('server'),
    // link-opened is a debug event; the test counts it.
    log: { level: 'debug' },
  });
  write(files.client, {
    bridge: { host: ADDR.bridge, port: PORTS.client },
    serverName: dep.serverName,
    tls: { ...dep.cert(dep.user), ca: dep.caCert },
    ...ka('client'),
  });
  return files;
}
