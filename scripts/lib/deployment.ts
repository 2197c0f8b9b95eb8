import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, runNode, startDaemon, type Daemon, type RunResult } from './run.ts';

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

async function must(what: string, p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

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
    must('issue bridge', runNode(BIN.pki, ['issue', '--dir', pkiDir, '--role', 'bridge', '--name', 'localhost', '--ip', '127.0.0.1', '--key-bits', bits])),
    must('issue server', runNode(BIN.pki, ['issue', '--dir', pkiDir, '--role', 'server', '--name', serverName, '--key-bits', bits])),
    must('issue client', runNode(BIN.pki, ['issue', '--dir', pkiDir, '--role', 'client', '--name', user, '--key-bits', bits])),
  ]);

  const passphraseFile = path.join(dir, 'passphrase');
  writeFileSync(passphraseFile, `demo-passphrase-${Math.random().toString(36).slice(2)}\n`, { mode: 0o600 });
  const admin = (...args: string[]) => must(`signet-server admin ${args.slice(0, 2).join(' ')}`, runNode(BIN.server, ['admin', '--state', stateDir, ...args]));
  await admin('init');
  await admin('user', 'add', user);
  await admin('key', 'generate', keyName, '--type', opts.keyType ?? 'rsa4096', '--user', user, '--passphrase-file', passphraseFile, '--argon2', opts.argon2 ?? 'interactive');

  const ca = path.join(pkiDir, 'ca.crt');
  const bridgeConfig = path.join(dir, 'bridge.json');
  writeFileSync(
    bridgeConfig,
    JSON.stringify({ listen: { host: '127.0.0.1', clientPort: 0, serverPort: 0 }, tls: { ...cert('localhost'), ca }, metrics: { port: 0 } }, null, 2),
  );
  return {
    dir,
    pkiDir,
    stateDir,
    keyName,
    user,
    serverName,
    passphraseFile,
    clientConfig: path.join(dir, 'client.json'),
    bridgeConfig,
    serverConfig: path.join(dir, 'server.json'),
    cert,
    caCert: ca,
  };
}

export interface BridgeProcess extends Daemon {
  clientPort: number;
  serverPort: number;
  /** Port of GET /metrics, when the config turns metrics on. */
  metricsPort: number | null;
}

/** Starts the bridge on ephemeral loopback ports and reads back the ports it bound. */
export async function startBridge(dep: Deployment, configFile = dep.bridgeConfig): Promise<BridgeProcess> {
  const daemon = startDaemon(BIN.bridge, ['--config', configFile]);
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
  writeFileSync(
    dep.serverConfig,
    JSON.stringify(
      {
        stateDir: dep.stateDir,
        bridge: { host: '127.0.0.1', port: ports.serverPort },
        tls: { ...dep.cert(dep.serverName), ca: dep.caCert },
        poolSize: extra.poolSize ?? 2,
        ...extra.server,
      },
      null,
      2,
    ),
  );
  writeFileSync(
    dep.clientConfig,
    JSON.stringify(
      { bridge: { host: '127.0.0.1', port: ports.clientPort }, serverName: dep.serverName, tls: { ...dep.cert(dep.user), ca: dep.caCert }, ...extra.client },
      null,
      2,
    ),
  );
}

/** Starts the signing server and waits until it has a link open to the bridge. */
export async function startServer(dep: Deployment): Promise<Daemon> {
  const daemon = startDaemon(BIN.server, ['run', '--config', dep.serverConfig]);
  await daemon.waitFor((l) => l['event'] === 'link-ready');
  return daemon;
}

/** Runs the real client with the deployment's config. */
export function client(dep: Deployment, args: string[]): Promise<RunResult> {
  return runNode(BIN.client, ['--config', dep.clientConfig, ...args]);
}
