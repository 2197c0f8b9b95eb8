/**
 * Threat: a certificate outside its validity (expired, or not yet valid — a stolen one
 * kept for later, or a clock attack) is used to reach the bridge. Every party refuses it
 * in the handshake, and the bridge logs why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { BIN, runNode } from '../../scripts/lib/run.ts';
import { copySample, listFiles, removeDir, startServerProcess, tempDir } from '../helpers/security-common.ts';

let cluster: Cluster;
let work: string;

const issue = async (name: string, role: string, notBefore: string, notAfter: string): Promise<{ cert: string; key: string }> => {
  const out = path.join(work, name);
  const r = await runNode(BIN.pki, ['issue', '--dir', cluster.dep.pkiDir, '--role', role, '--name', name, '--key-bits', '2048', '--not-before', notBefore, '--not-after', notAfter, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return { cert: `${out}.crt`, key: `${out}.key` };
};

beforeAll(async () => {
  cluster = await startCluster({ keyType: 'ed25519' });
  work = tempDir();
});
afterAll(async () => {
  await cluster?.stop();
  removeDir(work);
});

describe('certificates outside their validity', () => {
  for (const [label, notBefore, notAfter, reason] of [
    ['expired', '2020-01-01', '2021-01-01', 'CERT_HAS_EXPIRED'],
    ['not yet valid', '2099-01-01', '2100-01-01', 'CERT_NOT_YET_VALID'],
  ] as const) {
    it(`a client certificate that is ${label} is refused by the bridge, which logs ${reason}`, async () => {
      // Same user name as the real one: only the validity differs.
      const tls = await issue(`alice-${label.replace(/ /g, '-')}`, 'client', notBefore, notAfter);
      const config = cluster.clientConfig('alice', { tls: { ...tls, ca: cluster.dep.caCert } });
      const out = path.join(work, `out-${label}`);
      fs.mkdirSync(out);
      const r = await cluster.signetAs(config, ['sign-rpm', '--key', cluster.dep.keyName, '--passphrase-file', cluster.dep.passphraseFile, '-o', out, copySample(work, `${label}.rpm`)]);
      expect(r.code).toBe(1);
      expect(listFiles(out)).toEqual([]);
      await cluster.bridge.waitFor((l) => l['event'] === 'tls-refused' && l['port'] === 'client' && l['reason'] === reason, 10_000);
    });
  }

  it('an expired server certificate cannot attach to the bridge', async () => {
    const tls = await issue('signet-server.test', 'server', '2020-01-01', '2021-01-01');
    const server = startServerProcess(cluster.dep, { port: cluster.bridge.serverPort, tls: { ...tls, ca: cluster.dep.caCert }, name: 'expired-server' });
    try {
      await cluster.bridge.waitFor((l) => l['event'] === 'tls-refused' && l['port'] === 'server' && l['reason'] === 'CERT_HAS_EXPIRED', 15_000);
    } finally {
      await server.stop();
    }
  });
});
