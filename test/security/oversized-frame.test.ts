import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { MAX_LINK_MESSAGE, SUBPROTOCOL, isSignetError } from '@signet/protocol';
import { DEFAULT_FRAME_LIMITS, FRAME_PREFIX, FrameDecoder } from '@signet/protocol/e2e';
import { openSession } from '../../packages/client/src/connect.ts';
import { parseClientConfig } from '../../packages/client/src/config.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { copySample, listFiles, logEvents, removeDir, sleep, tempDir } from '../helpers/security-common.ts';

/**
 * Attack: messages too large to hold. (a) On the outer link, the bridge must refuse a
 * WebSocket message over MAX_LINK_MESSAGE from an authenticated peer by closing that link
 * (1009) and keep serving everyone else. (b) Inside the session, a frame whose prefix
 * declares more than the server accepts must be refused from the prefix alone, before
 * any of it is buffered, and the session closed.
 */

let cluster: Cluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ keyType: 'ed25519' });
  work = tempDir();
});

afterAll(async () => {
  vi.restoreAllMocks();
  await cluster?.stop();
  if (work) removeDir(work);
});

/** The real client signs a copy of the sample: the system still works. */
async function signStillWorks(name: string): Promise<void> {
  const dir = path.join(work, name);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out, { recursive: true });
  const input = copySample(dir);
  const r = await cluster.signet(['sign-rpm', '--key', cluster.dep.keyName, '--passphrase-file', cluster.dep.passphraseFile, '-o', out, input]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(listFiles(out)).toHaveLength(1);
}

/** A prefix declaring `jsonLength` and `binLength`, with no body. */
function prefix(jsonLength: number, binLength: number): Buffer {
  const p = Buffer.alloc(FRAME_PREFIX);
  p.writeUInt32BE(jsonLength, 0);
  p.writeUInt32BE(binLength, 4);
  return p;
}

function expectTooLarge(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isSignetError(caught, 'FRAME_TOO_LARGE')).toBe(true);
}

describe('an oversized WebSocket message at the bridge', () => {
  it('closes the sender’s link with 1009, and the bridge keeps serving others', async () => {
    const dep = cluster.dep;
    const { cert, key } = dep.cert(dep.user);
    const ws = new WebSocket(`wss://127.0.0.1:${cluster.bridge.clientPort}/`, SUBPROTOCOL, {
      minVersion: 'TLSv1.3',
      cert: fs.readFileSync(cert),
      key: fs.readFileSync(key),
      ca: fs.readFileSync(dep.caCert),
      perMessageDeflate: false,
    });
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    // Authenticated and paired with a server link, as a real client would be.
    const paired = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('close', () => reject(new Error('closed before pairing')));
    });
    expect(JSON.parse(paired)).toMatchObject({ type: 'paired' });
    ws.send(Buffer.alloc(MAX_LINK_MESSAGE + 1, 0x41), { binary: true });
    const code = await Promise.race([closed, sleep(10_000).then(() => -1)]);
    expect(code).toBe(1009);
    await signStillWorks('after-1009');
  });
});

describe('an e2e frame whose prefix declares more than the limit', () => {
  it('FrameDecoder refuses a 4 GiB declaration from the 8-byte prefix alone, without allocating', () => {
    const limits = { maxJson: DEFAULT_FRAME_LIMITS.maxJson, maxBin: 32 * 1024 * 1024 };
    const before = process.memoryUsage().arrayBuffers;
    expectTooLarge(() => new FrameDecoder(limits).push(prefix(0, 0xffffffff)));
    expectTooLarge(() => new FrameDecoder(limits).push(prefix(0xffffffff, 0)));
    expectTooLarge(() => new FrameDecoder(limits).push(prefix(0xffffffff, 0xffffffff)));
    // Just over each limit is refused too; at the limit it is merely awaited.
    expectTooLarge(() => new FrameDecoder(limits).push(prefix(limits.maxJson + 1, 0)));
    expectTooLarge(() => new FrameDecoder(limits).push(prefix(2, limits.maxBin + 1)));
    expect(new FrameDecoder(limits).push(prefix(2, limits.maxBin))).toEqual([]);
    // A prefix split across chunks is judged as soon as it is whole.
    const split = new FrameDecoder(limits);
    expect(split.push(prefix(0, 0xffffffff).subarray(0, 5))).toEqual([]);
    expectTooLarge(() => split.push(prefix(0, 0xffffffff).subarray(5)));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  it('the real server closes a real session on such a prefix, and a normal client still signs afterwards', async () => {
    const dep = cluster.dep;
    const config = parseClientConfig(
      {
        bridge: { host: '127.0.0.1', port: cluster.bridge.clientPort },
        serverName: dep.serverName,
        tls: { ...dep.cert(dep.user), ca: dep.caCert },
        limits: { requestTimeoutMs: 20_000 },
      },
      dep.dir,
    );
    // Capture the inner TLS socket openSession makes (the one over the relayed link, not
    // the outer one ws opens to the bridge), to write raw bytes on it.
    const inner: tls.TLSSocket[] = [];
    const connect = tls.connect;
    const spy = vi.spyOn(tls, 'connect').mockImplementation(((...args: Parameters<typeof tls.connect>) => {
      const s = (connect as (...a: unknown[]) => tls.TLSSocket)(...args);
      const opts = args[0] as { socket?: unknown } | undefined;
      if (typeof opts === 'object' && opts?.socket !== undefined) inner.push(s);
      return s;
    }) as typeof tls.connect);
    let rpc;
    try {
      rpc = await openSession(config);
    } finally {
      spy.mockRestore();
    }
    expect(inner).toHaveLength(1);
    const socket = inner[0] as tls.TLSSocket;
    expect((await rpc.call('whoami', {})).result.user).toBe(dep.user);

    const framingWarnings = (): number => logEvents(cluster.server).filter((e) => e['msg'] === 'client broke the framing; closing session').length;
    const warnings = framingWarnings();
    socket.write(prefix(0, 0xffffffff));
    await cluster.server.waitFor(() => framingWarnings() > warnings, 10_000);
    // The session is over: a request sent now fails as a closed session, promptly,
    // rather than by its own 20 s timeout on a session the server no longer serves.
    const started = Date.now();
    const outcome = await rpc.call('ping', {}).then(
      () => 'answered',
      (err: unknown) => (isSignetError(err) ? err.code : 'error'),
    );
    expect(outcome).toBe('SESSION_CLOSED');
    expect(Date.now() - started).toBeLessThan(10_000);
    rpc.close();
    await signStillWorks('after-4gib');
  });
});
