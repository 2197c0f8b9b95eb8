import fs from 'node:fs';
import path from 'node:path';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '@signet/protocol/e2e';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { innerClient, innerServer, sendPaired, startHostileBridge, type HostileBridge } from '../helpers/security-bridge.ts';
import { copySample, listFiles, logEvents, removeDir, runClient, sleep, startServerProcess, tempDir, writeClientConfig } from '../helpers/security-common.ts';
import type { Daemon } from '../../scripts/lib/run.ts';

/**
 * Attack: a genuine certificate of our CA used in the wrong role. Each party checks the
 * Signet role in its peer's certificate: a client certificate cannot serve as the server,
 * a server certificate cannot act as a user, the bridge's certificate cannot stand in for
 * the signing server inside the end-to-end session.
 */

let cluster: Cluster;
/** Hostile bridge in manual mode: the test drives every link itself. */
let hostile: HostileBridge;
/** A real server process attached to the hostile bridge. */
let hostileServer: Daemon;

beforeAll(async () => {
  cluster = await startCluster({ keyType: 'ed25519' });
  const dep = cluster.dep;
  hostile = await startHostileBridge({ ...dep.cert('localhost'), ca: dep.caCert, mode: 'manual' });
  hostileServer = startServerProcess(dep, { port: hostile.serverPort, poolSize: 2, name: 'behind-hostile' });
  await hostileServer.waitFor((l) => l['event'] === 'link-ready');
});

afterAll(async () => {
  await hostileServer?.stop();
  await hostile?.close();
  await cluster?.stop();
});

/** Everything a TLS socket receives until it closes or `ms` pass. */
function collect(socket: tls.TLSSocket, ms: number): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    const finish = (): void => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(finish, ms);
    socket.once('close', () => {
      closed = true;
      finish();
    });
    // The link under the TLS socket closing is what ends the session for a peer.
    socket.once('end', () => {
      closed = true;
      finish();
    });
  });
}

describe('certificates of our CA in the wrong role', () => {
  it('a client certificate on the bridge server port: the bridge refuses it (peer-refused) and logs why', async () => {
    const dep = cluster.dep;
    const server = startServerProcess(dep, { port: cluster.bridge.serverPort, tls: dep.cert(dep.user), name: 'client-as-server' });
    try {
      const refused = await cluster.bridge.waitFor((l) => l['event'] === 'peer-refused' && l['port'] === 'server', 15_000);
      expect(String(refused['reason'])).toMatch(/client certificate where a server certificate is required/);
      const failed = await server.waitFor((l) => l['event'] === 'dial-failed', 15_000);
      expect(String(failed['reason'])).toMatch(/403/);
      expect(logEvents(server).some((e) => e['event'] === 'link-ready')).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('a server certificate on the bridge client port: 403, the client reports BRIDGE_REFUSED', async () => {
    const dep = cluster.dep;
    const config = cluster.clientConfig(dep.serverName);
    const r = await cluster.signetAs(config, ['whoami']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/signet: BRIDGE_REFUSED: .*403/);
    const refused = await cluster.bridge.waitFor((l) => l['event'] === 'peer-refused' && l['port'] === 'client', 10_000);
    expect(String(refused['reason'])).toMatch(/server certificate where a client certificate is required/);
  });

  it('the bridge certificate on the bridge client port is refused as well', async () => {
    const config = cluster.clientConfig('localhost');
    const r = await cluster.signetAs(config, ['whoami']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/signet: (CONNECT_FAILED|BRIDGE_REFUSED): /);
  });

  it('control: alice through the real bridge is who she says', async () => {
    const r = await cluster.signet(['whoami']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('alice');
  });

  for (const pinned of ['localhost', 'signet-server.test']) {
    it(`the bridge certificate posing as the inner server (client pins '${pinned}'): SERVER_IDENTITY, nothing sent`, async () => {
      const dep = cluster.dep;
      const config = writeClientConfig(dep, { port: hostile.clientPort, serverName: pinned, name: `pin-${pinned}` });
      // A real package: the client reads and checks it before it opens a session.
      const work = tempDir();
      const out = path.join(work, 'out');
      fs.mkdirSync(out);
      const run = runClient(config, ['sign-rpm', '--key', dep.keyName, '--passphrase-file', dep.passphraseFile, '-o', out, copySample(work)]);
      const ws = await hostile.nextClient();
      sendPaired(ws);
      // The hostile bridge terminates the inner TLS itself with its own (genuine) certificate.
      const inner = innerServer(ws, { ...dep.cert('localhost'), ca: dep.caCert }).then(
        (socket) => collect(socket, 3_000),
        () => ({ bytes: Buffer.alloc(0), closed: true }),
      );
      const r = await run;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/signet: (\S+: )?SERVER_IDENTITY: /);
      expect(listFiles(out)).toEqual([]);
      removeDir(work);
      if (pinned === 'localhost') expect(r.stderr).toMatch(/bridge certificate where a server certificate is required/);
      // Not a byte of the session (no request, no passphrase) reached the impostor.
      expect((await inner).bytes.length).toBe(0);
    });
  }

  it('control: the hostile bridge can open an inner session as alice and is answered', async () => {
    const dep = cluster.dep;
    const ws = await hostile.nextServer();
    sendPaired(ws);
    const socket = await innerClient(ws, { ...dep.cert(dep.user), ca: dep.caCert, servername: dep.serverName });
    const got = collect(socket, 5_000);
    for (const part of encodeFrame({ t: 'req', id: 1, op: 'whoami' })) socket.write(part);
    await sleep(500);
    socket.end();
    const frames = new FrameDecoder().push((await got).bytes);
    expect(frames[0]?.json).toEqual({ t: 'res', id: 1, ok: true, result: { user: 'alice' } });
  });

  /** Set by the attack below: resolves true if the server hung up the refused link within 8 s. */
  let refusedLinkClosed: Promise<boolean> | undefined;

  it('a server certificate presented inside the inner session as a user: the server refuses, no answer ever comes', async () => {
    const dep = cluster.dep;
    const ws = await hostile.nextServer();
    refusedLinkClosed = new Promise<boolean>((resolve) => {
      ws.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 8_000);
    });
    sendPaired(ws);
    let socket: tls.TLSSocket | undefined;
    try {
      socket = await innerClient(ws, { ...dep.cert(dep.serverName), ca: dep.caCert, servername: dep.serverName });
    } catch {
      socket = undefined; // the server may abort the handshake outright: refused just the same
    }
    if (socket) {
      // In TLS 1.3 our handshake is done before the server judged our certificate; send
      // requests at once, as any client does, and wait for answers that must not come.
      const got = collect(socket, 2_000);
      for (const part of encodeFrame({ t: 'req', id: 1, op: 'whoami' })) socket.write(part);
      for (const part of encodeFrame({ t: 'req', id: 2, op: 'list-keys' })) socket.write(part);
      expect((await got).bytes.length).toBe(0);
    }
    const refused = await hostileServer.waitFor((l) => l['event'] === 'session-refused', 10_000);
    expect(String(refused['reason'])).toMatch(/server certificate where a client certificate is required/);
    expect(logEvents(hostileServer).filter((e) => e['event'] === 'session-start' && e['user'] === dep.serverName)).toEqual([]);
  });

  it('…and the server hangs up the refused link at once, even though the peer kept sending', async () => {
    // The refused session's link must not linger (holding a bridge session and a server
    // slot) until ws's 30 s close timeout.
    expect(refusedLinkClosed).toBeDefined();
    expect(await refusedLinkClosed).toBe(true);
  });
});
