import path from 'node:path';
import { BIN, runNode, type Daemon } from '../lib/run.ts';
import { createDeployment, startBridge, startServer, writeEndpointConfigs, type BridgeProcess, type Deployment } from '../lib/deployment.ts';

/**
 * The benchmark's deployment: the real bridge and server as their own processes on
 * loopback, one user, an RSA-4096 key and an EdDSA (Ed25519) key under the same access
 * passphrase, Argon2id at the production default ("moderate"), and limits raised so that
 * the client's --jobs, not a config default, bounds the requests in flight.
 */

export const RSA_KEY = 'bench-rsa';
export const ED_KEY = 'bench-ed';

export interface BenchDeployment {
  dep: Deployment;
  bridge: BridgeProcess;
  /** Environment for every process spawned from here on (profiling flags, when asked). */
  envFor(role: 'server' | 'client' | 'bridge', extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Pid of the signing server now running, for CPU accounting. */
  serverPid: number | undefined;
  stop(): Promise<void>;
}

/** NODE_OPTIONS that write a V8 CPU profile per process into `dir/role` at exit. */
function profileOptions(profileDir: string | undefined, role: string): string {
  return profileDir === undefined ? '' : `--cpu-prof --cpu-prof-dir=${path.join(profileDir, role)}`;
}

export async function setUpDeployment(dir: string, profileDir: string | undefined): Promise<BenchDeployment> {
  const dep = await createDeployment({ dir, keyName: RSA_KEY, keyType: 'rsa4096', argon2: 'moderate' });
  const ed = await runNode(BIN.server, ['admin', '--state', dep.stateDir, 'key', 'generate', ED_KEY, '--type', 'ed25519', '--user', dep.user, '--passphrase-file', dep.passphraseFile, '--argon2', 'moderate']);
  if (ed.code !== 0) throw new Error(`generating the Ed25519 key failed: ${ed.stderr}${ed.stdout}`);

  const envFor = (role: 'server' | 'client' | 'bridge', extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const options = [process.env['NODE_OPTIONS'] ?? '', profileOptions(profileDir, role), extra['NODE_OPTIONS'] ?? ''].filter((s) => s !== '').join(' ');
    return { ...process.env, ...extra, NODE_OPTIONS: options };
  };

  const bridge = await startBridge(dep, dep.bridgeConfig, envFor('bridge'));
  writeEndpointConfigs(dep, bridge, {
    poolSize: 2,
    server: { limits: { maxInFlightPerSession: 1024, maxInFlight: 4096 } },
    client: { limits: { inFlight: 1024, requestTimeoutMs: 600_000 } },
  });
  return { dep, bridge, envFor, serverPid: undefined, stop: () => bridge.stop() };
}

/** Starts the signing server (with the deployment's environment) and waits for its link. */
export async function startBenchServer(b: BenchDeployment): Promise<Daemon> {
  const server = await startServer(b.dep, b.envFor('server'));
  b.serverPid = server.child.pid;
  return server;
}
