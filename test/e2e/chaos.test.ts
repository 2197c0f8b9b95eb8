/**
 * Chaos: `kill -9` the bridge, and separately the server, in the middle of a batch of
 * 200 packages. The batch completes once they are back (the client retries on new
 * sessions), every output verifies with rpmkeys, and no file is left half-written.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { startBridge, startServer } from '../../scripts/lib/deployment.ts';
import { BIN } from '../../scripts/lib/run.ts';
import { requireTools } from '../helpers/gpg.ts';
import { RPMKEYS_FAILURE } from '../../scripts/lib/verify-rpm.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../samples/rpms/signet-demo-hello-1.0-1.noarch.rpm');
const BATCH = 200;

interface Batch {
  signed: () => number;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts `signet sign-rpm` over the batch and counts packages as it reports them. */
function startBatch(cluster: Cluster, inputs: string[], out: string): Batch {
  const child = spawn(process.execPath, [
    BIN.client, '--config', cluster.dep.clientConfig, 'sign-rpm', '--key', cluster.dep.keyName,
    '--passphrase-file', cluster.dep.passphraseFile, '--jobs', '4', '-o', out, ...inputs,
  ]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr })),
  );
  return { signed: () => stdout.split('\n').filter((l) => l.startsWith('signed ')).length, done };
}

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}


describe.each(['bridge', 'server'] as const)('kill -9 the %s in the middle of a batch of 200', (victim) => {
  let cluster: Cluster;
  let work: string;

  beforeAll(async () => {
    requireTools('rpmkeys');
    cluster = await startCluster({ keyType: 'ed25519', poolSize: 2 });
    work = mkdtempSync(path.join(os.tmpdir(), `signet-chaos-${victim}-`));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('completes once it is back; every output verifies; nothing is half-written', async () => {
    const inDir = path.join(work, 'in');
    const out = path.join(work, 'out');
    mkdirSync(inDir);
    mkdirSync(out);
    const inputs = Array.from({ length: BATCH }, (_, i) => {
      const f = path.join(inDir, `pkg-${String(i).padStart(3, '0')}.rpm`);
      copyFileSync(SAMPLE, f);
      return f;
    });

    const batch = startBatch(cluster, inputs, out);
    await until(() => batch.signed() >= 20, 60_000, '20 packages signed');

    if (victim === 'bridge') {
      const { clientPort, serverPort } = cluster.bridge;
      cluster.bridge.child.kill('SIGKILL');
      await cluster.bridge.stop();
      await new Promise((r) => setTimeout(r, 500));
      // Back on the same ports, as a service manager would restart it.
      const fixed = path.join(cluster.dep.dir, 'bridge-fixed.json');
      writeFileSync(fixed, JSON.stringify({ listen: { host: '127.0.0.1', clientPort, serverPort }, tls: { ...cluster.dep.cert('localhost'), ca: cluster.dep.caCert } }));
      cluster.bridge = await startBridge(cluster.dep, fixed);
    } else {
      cluster.server.child.kill('SIGKILL');
      await cluster.server.stop();
      await new Promise((r) => setTimeout(r, 500));
      cluster.server = await startServer(cluster.dep);
    }

    const result = await batch.done;
    expect(result.stderr).toMatch(/retrying/); // the kill really hit the batch
    expect(result.code, result.stderr.split('\n').slice(-5).join('\n')).toBe(0);
    expect(batch.signed()).toBe(BATCH);

    const written = readdirSync(out);
    // No temp file survives: every output is whole or absent.
    expect(written.filter((f) => f.startsWith('.') || f.endsWith('.tmp'))).toEqual([]);
    expect(written.length).toBe(BATCH);

    const keyFile = path.join(work, 'RPM-GPG-KEY-demo');
    const pub = await cluster.signet(['get-public-key', cluster.dep.keyName, '-o', keyFile]);
    expect(pub.code, pub.stderr).toBe(0);
    const db = mkdtempSync(path.join(os.tmpdir(), 'signet-rpmdb-'));
    try {
      const run = (args: string[]) =>
        new Promise<{ code: number; text: string }>((resolve) => {
          const c = spawn('rpmkeys', ['--dbpath', db, ...args]);
          let text = '';
          c.stdout.on('data', (d: Buffer) => (text += d.toString()));
          c.stderr.on('data', (d: Buffer) => (text += d.toString()));
          c.on('close', (code) => resolve({ code: code ?? 1, text }));
        });
      expect((await run(['--import', keyFile])).code).toBe(0);
      const check = await run(['-Kv', ...written.map((f) => path.join(out, f))]);
      expect(check.text.match(/Header V4 EdDSA\/SHA256 Signature, key ID [0-9a-f]{8}: OK/g)?.length).toBe(BATCH);
      expect(check.text).not.toMatch(RPMKEYS_FAILURE);
      expect(check.code).toBe(0);
    } finally {
      rmSync(db, { recursive: true, force: true });
    }
  });
});
