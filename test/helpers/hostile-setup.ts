import type { Deployment } from '../../scripts/lib/deployment.ts';
import type { Daemon } from '../../scripts/lib/run.ts';
import { startHostileBridge, type HostileBridge } from './security-bridge.ts';
import { newDeployment, removeDir, startServerProcess, tempDir, writeClientConfig } from './security-common.ts';

/**
 * The set-up of the attacks by the bridge: a deployment, the hostile bridge in its place,
 * a real signing-server process linked to it, a client config for it, and a work dir.
 */

export interface BehindHostileBridge {
  readonly dep: Deployment;
  readonly bridge: HostileBridge;
  readonly server: Daemon;
  /** A client config for the hostile bridge's client port (one attempt, 30 s timeout). */
  readonly config: string;
  readonly work: string;
  stop(): Promise<void>;
}

export async function behindHostileBridge(o: { mode: 'relay' | 'manual'; name: string; keyType?: 'rsa4096' | 'ed25519'; poolSize?: number }): Promise<BehindHostileBridge> {
  const dep = await newDeployment(o.keyType === undefined ? {} : { keyType: o.keyType });
  const bridge = await startHostileBridge({ ...dep.cert('localhost'), ca: dep.caCert, mode: o.mode });
  const server = startServerProcess(dep, { port: bridge.serverPort, poolSize: o.poolSize ?? 2, name: o.name });
  await server.waitFor((l) => l['event'] === 'link-ready');
  const work = tempDir();
  return {
    dep,
    bridge,
    server,
    config: writeClientConfig(dep, { port: bridge.clientPort }),
    work,
    async stop() {
      await server.stop();
      await bridge.close();
      removeDir(work);
      removeDir(dep.dir);
    },
  };
}
