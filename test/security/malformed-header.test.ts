import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToSign, readPackageHead } from '@signet/rpm';
import { isSignetError } from '@signet/protocol';
import { openSession } from '../../packages/client/src/connect.ts';
import { parseClientConfig } from '../../packages/client/src/config.ts';
import type { RpcClient } from '../../packages/client/src/rpc-client.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { auditRows, passphraseOf, SAMPLE_RPM } from '../helpers/security-common.ts';

/**
 * Attack: a client with a valid certificate and an unlocked key asks the server to sign
 * bytes that are not an RPM main header — to get an arbitrary-data signature passed off
 * as a package signature, or to crash the parser. The server must parse what it signs,
 * refuse with NOT_AN_RPM_HEADER, and sign (and audit) nothing.
 */

let cluster: Cluster;
let rpc: RpcClient;
let header: Buffer;

beforeAll(async () => {
  cluster = await startCluster({ keyType: 'ed25519' });
  const dep = cluster.dep;
  header = bytesToSign((await readPackageHead(SAMPLE_RPM)).layout);
  rpc = await openSession(
    parseClientConfig({ bridge: { host: '127.0.0.1', port: cluster.bridge.clientPort }, serverName: dep.serverName, tls: { ...dep.cert(dep.user), ca: dep.caCert } }, dep.dir),
  );
  await rpc.call('unlock', { key: dep.keyName, passphrase: passphraseOf(dep) });
});

afterAll(async () => {
  rpc?.close();
  await cluster?.stop();
});

/** Header index entry `i` (16 bytes: tag, type, offset, count) starts here. */
const entryAt = (i: number): number => 16 + 16 * i;

/** The real header with one index entry's data offset pointing past the data store. */
function outOfBoundsEntry(): Buffer {
  const bad = Buffer.from(header);
  const il = bad.readUInt32BE(8);
  const dl = bad.readUInt32BE(12);
  expect(il).toBeGreaterThan(2);
  bad.writeUInt32BE(dl + 4096, entryAt(1) + 8);
  return bad;
}

/** The real header with an index entry whose count runs past the data store. */
function overlongCount(): Buffer {
  const bad = Buffer.from(header);
  bad.writeUInt32BE(0x00ffffff, entryAt(2) + 12);
  return bad;
}

/** Header magic with index/data counts far beyond any limit, and nothing behind them. */
function absurdCounts(): Buffer {
  const bad = Buffer.from(header.subarray(0, 16));
  bad.writeUInt32BE(0xffffffff, 8);
  bad.writeUInt32BE(0xffffffff, 12);
  return bad;
}

const CASES: Array<[string, () => Buffer]> = [
  ['arbitrary bytes', () => randomBytes(4096)],
  ['a single byte', () => Buffer.from([0x8e])],
  ['an empty attachment', () => Buffer.alloc(0)],
  ['a truncated real header', () => header.subarray(0, header.length - 100)],
  ['a real header cut inside its index', () => header.subarray(0, entryAt(3) + 5)],
  ['a header with an out-of-bounds index entry', outOfBoundsEntry],
  ['a header with an index entry whose count overruns the data', overlongCount],
  ['a header declaring absurd counts', absurdCounts],
  ['a real header followed by trailing bytes', () => Buffer.concat([header, Buffer.from('evil')])],
  ['a real header inside a data blob', () => Buffer.concat([Buffer.from('prefix!!'), header])],
];

describe('sign-rpm-header with bytes that are not an RPM main header', () => {
  it('control: the real header signs and leaves exactly one audit row', async () => {
    const before = auditRows(cluster.dep);
    const { result, bin } = await rpc.call('sign-rpm-header', { key: cluster.dep.keyName }, header);
    expect(result.subject).toMatch(/^signet-demo-hello-/);
    expect(bin.length).toBeGreaterThan(50);
    expect(auditRows(cluster.dep)).toBe(before + 1);
  });

  for (const [what, make] of CASES) {
    it(`${what}: NOT_AN_RPM_HEADER, nothing signed, no audit row`, async () => {
      const bad = make();
      expect(bad.equals(header)).toBe(false);
      const before = auditRows(cluster.dep);
      const outcome = await rpc.call('sign-rpm-header', { key: cluster.dep.keyName }, bad).then(
        ({ bin }) => ({ code: 'SIGNED', bin }),
        (err: unknown) => ({ code: isSignetError(err) ? err.code : String(err), bin: Buffer.alloc(0) }),
      );
      expect(outcome.code).toBe('NOT_AN_RPM_HEADER');
      expect(outcome.bin.length).toBe(0);
      expect(auditRows(cluster.dep)).toBe(before);
    });
  }

  it('the session and the server survive all of it', async () => {
    const { result } = await rpc.call('whoami', {});
    expect(result.user).toBe(cluster.dep.user);
    const { result: signed } = await rpc.call('sign-rpm-header', { key: cluster.dep.keyName }, header);
    expect(signed.subject).toMatch(/^signet-demo-hello-/);
  });
});
