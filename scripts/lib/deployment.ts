import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bridgeConfigFor, clientConfigFor, serverConfigFor, writeConfigFile } from './configs.ts';
import { BIN, must, runNode, startDaemon, type Daemon, type RunResult } from './run.ts';

/**
 * A throwaway Signet deployment in one directory: a CA and certificates for the three
 * parties, a server state with one key and one user, config files, and the passphrase
 * in a file. Used by the demo, the end-to-end tests and the benchmark; each party runs
 * as its own process, exactly as installed.
 */
export interface DeploymentOptions {
  dir: string;
  keyName?: string;
  keyType?: 'rsa4096' | 'ed25519';
  user?: string;
  serverName?: string;
  /** RSA size of the TLS keys; 2048 keeps tests fast. */
  tlsKeyBits?: 2048 | 3072 | 4096;
  /** Argon2id cost of the user's access passphrase wrapping. */
  argon2?: 'moderate' | 'interactive' | 'min';
}

export interface Deployment {
  dir: string;
  pkiDir: string;
  stateDir: string;
  keyName: string;
  user: string;
  serverName: string;
  passphraseFile: string;
  clientConfig: string;
  bridgeConfig: string;
  serverConfig: string;
  cert(name: string): { cert: string; key: string };
  caCert: string;
}

/** Every party of a deployment runs on loopback. */
export const LOOPBACK = '127.0.0.1';
/** Name of the bridge's certificate (it also carries LOOPBACK as an IP SAN). */
export const LOOPBACK_BRIDGE_CERT = 'localhost';

export async function createDeployment(opts: DeploymentOptions): Promise<Deployment> {
  const dir = opts.dir;
  const keyName = opts.keyName ?? 'demo';
  const user = opts.user ?? 'alice';
  const serverName = opts.serverName ?? 'signet-server.test';
  const bits = String(opts.tlsKeyBits ?? 2048);
  const pkiDir = path.join(dir, 'pki');
  const stateDir = path.join(dir, 'server-state');
  mkdirSync(dir, { recursive: true });
  const cert = (name: string) => ({ cert: path.join(pkiDir, 'issued', `${name}.crt`), key: path.join(pkiDir, 'issued', `${name}.key`) });

  await must('signet-pki init', runNode(BIN.pki, ['init', '--dir', pkiDir, '--key-bits', bits]));
  await Promise.all([
    must('issue bridge', runNode(BIN.pki, ['issue', '--dir', pkiDir, '--role', 'bridge', '--name', LOOPBACK_BRIDGE_CERT, '--ip', LOOPBACK, '--key-bits', bits])),
    must('issue server', runNode(BIN.pki, ['issue', '--dir', pkiDir, '--role', 'server', '--name', serverName, '--key-bits', bits])),
    must('issue client', runNode(BIN.pki, ['issue', '--dir', pkiDir, '--role', 'client', '--name', user, '--key-bits', bits])),
  ]);

  const passphraseFile = path.join(dir, 'passphrase');
  writeFileSync(passphraseFile, `demo-passphrase-${Math.random().toString(36).slice(2)}\n`, { mode: 0o600 });
  const admin = (...args: string[]) => must(`signet-server admin ${args.slice(0, 2).join(' ')}`, runNode(BIN.server, ['admin', '--state', stateDir, ...args]));
  await admin('init');
  await admin('user', 'add', user);
  await admin('key', 'generate', keyName, '--type', opts.keyType ?? 'rsa4096', '--user', user, '--passphrase-file', passphraseFile, '--argon2', opts.argon2 ?? 'interactive');

  const dep: Deployment = {
    dir,
    pkiDir,
    stateDir,
    keyName,
    user,
    serverName,
    passphraseFile,
    clientConfig: path.join(dir, 'client.json'),
    bridgeConfig: path.join(dir, 'bridge.json'),
    serverConfig: path.join(dir, 'server.json'),
    cert,
    caCert: path.join(pkiDir, 'ca.crt'),
  };
  // Ephemeral loopback ports: startBridge reads back the ones bound.
  writeConfigFile(dep.bridgeConfig, bridgeConfigFor(dep, { host: LOOPBACK, clientPort: 0, serverPort: 0 }, LOOPBACK_BRIDGE_CERT, { metrics: { port: 0 } }));
  return dep;
}

export interface BridgeProcess extends Daemon {
  clientPort: number;
  serverPort: number;
  /** Port of GET /metrics, when the config turns metrics on. */
  metricsPort: number | null;
}

/** Starts the bridge on ephemeral loopback ports and reads back the ports it bound. */
export async function startBridge(dep: Deployment, configFile = dep.bridgeConfig, env: NodeJS.ProcessEnv = process.env): Promise<BridgeProcess> {
  const daemon = startDaemon(BIN.bridge, ['--config', configFile], env);
  const line = await daemon.waitFor((l) => l['event'] === 'listening');
  return Object.assign(daemon, {
    clientPort: line['clientPort'] as number,
    serverPort: line['serverPort'] as number,
    metricsPort: (line['metricsPort'] as number | null | undefined) ?? null,
  });
}

/** Writes the server's and client's configs for a bridge on `ports`. */
export function writeEndpointConfigs(
  dep: Deployment,
  ports: { clientPort: number; serverPort: number },
  extra: { poolSize?: number; server?: Record<string, unknown>; client?: Record<string, unknown> } = {},
): void {
  writeConfigFile(dep.serverConfig, serverConfigFor(dep, { host: LOOPBACK, port: ports.serverPort }, extra.poolSize ?? 2, extra.server));
  writeConfigFile(dep.clientConfig, clientConfigFor(dep, { host: LOOPBACK, port: ports.clientPort }, extra.client));
}

/** Starts the signing server and waits until it has a link open to the bridge. */
export async function startServer(dep: Deployment, env: NodeJS.ProcessEnv = process.env): Promise<Daemon> {
  const daemon = startDaemon(BIN.server, ['run', '--config', dep.serverConfig], env);
  await daemon.waitFor((l) => l['event'] === 'link-ready');
  return daemon;
}

/** Runs the real client with the deployment's config. */
export function client(dep: Deployment, args: string[]): Promise<RunResult> {
  return runNode(BIN.client, ['--config', dep.clientConfig, ...args]);
}
