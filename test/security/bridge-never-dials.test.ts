import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { removeDir, tempDir } from '../helpers/security-common.ts';
import { isTcp, watchSocketsWhileSigning, TCP_ESTABLISHED, TCP_LISTEN, type InetSocket } from '../helpers/security-sockets.ts';

/**
 * Threat: a compromised bridge reaching into the signing network. The bridge only
 * accepts: from the kernel's view (/proc) of the real bridge process, sampled while it
 * relays a signing session and afterwards, every TCP socket is either one of its two
 * listeners or a connection accepted on one of them (local port = a listening port),
 * and it has no UDP socket.
 */

let cluster: Cluster;
let work: string;
let pid: number;
let ports: Set<number>;
let seen: InetSocket[] = [];
let samples = 0;
let signed: { code: number; stderr: string };

beforeAll(async () => {
  cluster = await startCluster({ keyType: 'ed25519' });
  pid = cluster.bridge.child.pid as number;
  // Its two relay ports, and the metrics listener this deployment turns on.
  ports = new Set([cluster.bridge.clientPort, cluster.bridge.serverPort, ...(cluster.bridge.metricsPort ? [cluster.bridge.metricsPort] : [])]);
  work = tempDir();
  // The pool redials the link a session used, and the bridge accepts it: sample that too.
  ({ seen, samples, signed } = await watchSocketsWhileSigning(cluster, pid, work, () => cluster.bridge.waitFor((l) => l['event'] === 'session')));
});

afterAll(async () => {
  await cluster?.stop();
  if (work) removeDir(work);
});

describe('the bridge never dials', () => {
  it('relayed a real signing while being watched (not vacuous)', () => {
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    expect(samples).toBeGreaterThan(5);
    const established = seen.filter((s) => isTcp(s) && s.state === TCP_ESTABLISHED);
    // At least the server's idle links, accepted on the server port.
    expect(established.some((s) => s.localPort === cluster.bridge.serverPort)).toBe(true);
    expect(established.some((s) => s.localPort === cluster.bridge.clientPort)).toBe(true);
  });

  it('listens on exactly its configured ports (clients, server, metrics)', () => {
    const listening = new Set(seen.filter((s) => isTcp(s) && s.state === TCP_LISTEN).map((s) => s.localPort));
    expect([...listening].sort()).toEqual([...ports].sort());
  });

  it('every other TCP socket was accepted on a listening port, never dialled', () => {
    const dialled = seen.filter((s) => isTcp(s) && s.state !== TCP_LISTEN && !ports.has(s.localPort));
    expect(dialled).toEqual([]);
  });

  it('owns no UDP socket', () => {
    expect(seen.filter((s) => !isTcp(s))).toEqual([]);
  });
});
