import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { removeDir, tempDir } from '../helpers/security-common.ts';
import { inetSocketsOf, isTcp, watchSocketsWhileSigning, TCP_ESTABLISHED, TCP_LISTEN, type InetSocket } from '../helpers/security-sockets.ts';

/**
 * Threat: a signing server that listens can be reached. Signet's server only dials the
 * bridge. Checked from the kernel's view (/proc) of the real server process, sampled
 * while it serves a signing session and afterwards: no listening TCP socket, no UDP
 * socket at all, and every TCP connection goes to the bridge's server port.
 */

let cluster: Cluster;
let work: string;
let pid: number;
/** Every socket seen in any sample, with the sample count. */
let seen: InetSocket[] = [];
let samples = 0;
let signed: { code: number; stderr: string };

beforeAll(async () => {
  cluster = await startCluster({ keyType: 'ed25519' });
  pid = cluster.server.child.pid as number;
  work = tempDir();
  // The pool redials the link a session used, and the bridge accepts it: sample that too.
  ({ seen, samples, signed } = await watchSocketsWhileSigning(cluster, pid, work, () => cluster.server.waitFor((l) => l['event'] === 'session-end')));
});

afterAll(async () => {
  await cluster?.stop();
  if (work) removeDir(work);
});

describe('the signing server never listens', () => {
  it('served a real signing while being watched (not vacuous)', () => {
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    expect(samples).toBeGreaterThan(5);
    const established = seen.filter((s) => isTcp(s) && s.state === TCP_ESTABLISHED);
    expect(established.length).toBeGreaterThan(0);
  });

  it('control: the /proc reader does see a listening TCP socket and a UDP socket', async () => {
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise<void>((r) => srv.once('listening', () => r()));
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    try {
      const mine = inetSocketsOf(process.pid);
      const port = (srv.address() as net.AddressInfo).port;
      expect(mine.some((s) => isTcp(s) && s.state === TCP_LISTEN && s.localPort === port)).toBe(true);
      expect(mine.some((s) => s.proto === 'udp' && s.localPort === udp.address().port)).toBe(true);
    } finally {
      srv.close();
      udp.close();
    }
  });

  it('owns no TCP socket in LISTEN state', () => {
    expect(seen.filter((s) => isTcp(s) && s.state === TCP_LISTEN)).toEqual([]);
  });

  it('owns no UDP socket', () => {
    expect(seen.filter((s) => !isTcp(s))).toEqual([]);
  });

  it('every TCP socket it owns is a connection it dialled to the bridge server port', () => {
    const strays = seen.filter((s) => isTcp(s) && s.remotePort !== cluster.bridge.serverPort);
    expect(strays).toEqual([]);
  });
});
