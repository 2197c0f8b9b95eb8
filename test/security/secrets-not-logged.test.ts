import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToSign, readPackageHead } from '@signet/rpm';
import { isSignetError } from '@signet/protocol';
import { openSession } from '../../packages/client/src/connect.ts';
import { parseClientConfig } from '../../packages/client/src/config.ts';
import { startBridge, type BridgeProcess } from '../../scripts/lib/deployment.ts';
import type { Deployment } from '../../scripts/lib/deployment.ts';
import type { Daemon, RunResult } from '../../scripts/lib/run.ts';
import { copySample, listFiles, newDeployment, passphraseOf, removeDir, runClient, SAMPLE_RPM, startServerProcess, tempDir, writeClientConfig } from '../helpers/security-common.ts';

/**
 * Threat: secrets leaking into logs and terminal output, where they outlive the session
 * and reach people and systems that must never see them. A session that first unlocks
 * with a wrong passphrase, then the right one, and signs — run with the bridge and the
 * server logging at `trace`, their most verbose — must leave no passphrase (right or
 * wrong) and no private key material in any log line or anything the client printed.
 */

let dep: Deployment;
let bridge: BridgeProcess;
let server: Daemon;
let work: string;
let wrong: string;
const runs: RunResult[] = [];
let signedOk = false;

beforeAll(async () => {
  dep = await newDeployment();
  const traceBridge = path.join(dep.dir, 'bridge-trace.json');
  const cfg = JSON.parse(fs.readFileSync(dep.bridgeConfig, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(traceBridge, JSON.stringify({ ...cfg, log: { level: 'trace' } }));
  bridge = await startBridge(dep, traceBridge);
  server = startServerProcess(dep, { port: bridge.serverPort, poolSize: 2, logLevel: 'trace', name: 'trace' });
  await server.waitFor((l) => l['event'] === 'link-ready');
  work = tempDir();
  wrong = `wrong-${passphraseOf(dep)}-x`;
  const wrongFile = path.join(work, 'wrong-passphrase');
  fs.writeFileSync(wrongFile, `${wrong}\n`, { mode: 0o600 });
  const config = writeClientConfig(dep, { port: bridge.clientPort });
  const out = path.join(work, 'out');
  fs.mkdirSync(out);
  const input = copySample(work);

  // The CLI: a wrong passphrase, then the right one.
  runs.push(await runClient(config, ['sign-rpm', '--key', dep.keyName, '--passphrase-file', wrongFile, '-o', out, input]));
  runs.push(await runClient(config, ['sign-rpm', '--key', dep.keyName, '--passphrase-file', dep.passphraseFile, '-o', out, '--json', input]));
  signedOk = runs[0]?.code !== 0 && runs[1]?.code === 0 && listFiles(out).length === 1;

  // One session doing both, through the client library.
  const rpc = await openSession(
    parseClientConfig({ bridge: { host: '127.0.0.1', port: bridge.clientPort }, serverName: dep.serverName, tls: { ...dep.cert(dep.user), ca: dep.caCert } }, dep.dir),
  );
  try {
    const bad = await rpc.call('unlock', { key: dep.keyName, passphrase: wrong }).then(
      () => 'unlocked',
      (err: unknown) => (isSignetError(err) ? err.code : 'error'),
    );
    if (bad !== 'BAD_PASSPHRASE') signedOk = false;
    await rpc.call('unlock', { key: dep.keyName, passphrase: passphraseOf(dep) });
    await rpc.call('sign-rpm-header', { key: dep.keyName }, bytesToSign((await readPackageHead(SAMPLE_RPM)).layout));
  } finally {
    rpc.close();
  }
  await server.waitFor((l) => l['event'] === 'session-end' && Number(l['durationMs']) >= 0);
});

afterAll(async () => {
  await server?.stop();
  await bridge?.stop();
  if (work) removeDir(work);
  if (dep) removeDir(dep.dir);
});

/** Every line any party wrote: bridge and server logs, client stdout and stderr. */
function everything(): Array<[string, string]> {
  return [
    ...bridge.lines.map((l): [string, string] => ['bridge', l]),
    ...server.lines.map((l): [string, string] => ['server', l]),
    ...runs.flatMap((r, i) => [...r.stdout.split('\n'), ...r.stderr.split('\n')].map((l): [string, string] => [`client#${i}`, l])),
  ];
}

/** Lines containing `needle`, labelled with who wrote them. */
function leaks(needle: string): string[] {
  return everything()
    .filter(([, l]) => l.includes(needle))
    .map(([who, l]) => `${who}: ${l}`);
}

describe('secrets never reach a log or the terminal', () => {
  it('the sessions ran: a wrong passphrase was refused, the right one signed (not vacuous)', () => {
    expect(signedOk).toBe(true);
    expect(runs[0]?.stderr).toMatch(/BAD_PASSPHRASE/);
    // Verbose logging really was on, and every party logged something.
    expect(bridge.lines.some((l) => l.includes('"level":20') || l.includes('"level":10'))).toBe(true);
    expect(server.lines.length).toBeGreaterThan(3);
    expect(everything().length).toBeGreaterThan(10);
  });

  it('no line holds the right passphrase', () => {
    const pass = passphraseOf(dep);
    expect(leaks(pass)).toEqual([]);
    // Its random tail alone would be as bad.
    expect(leaks(pass.slice(-8))).toEqual([]);
  });

  it('no line holds the wrong passphrase (a typo is usually one key from the real one)', () => {
    expect(leaks(wrong)).toEqual([]);
  });

  it('no line holds private key material', () => {
    for (const marker of ['-----BEGIN PGP PRIVATE', 'PRIVATE KEY', 'BEGIN RSA', 'BEGIN EC ']) expect(leaks(marker)).toEqual([]);
    // Nor any 32-character stretch of the stored (encrypted) secret key, nor of the TLS keys.
    const db = new DatabaseSync(path.join(dep.stateDir, 'signet.db'), { readOnly: true });
    const secret = (db.prepare('SELECT secret_armored FROM keys').get() as { secret_armored: string }).secret_armored;
    db.close();
    const tlsKeys = [dep.cert(dep.serverName).key, dep.cert('localhost').key, dep.cert(dep.user).key].map((f) => fs.readFileSync(f, 'utf8'));
    const all = everything()
      .map(([, l]) => l)
      .join('\n');
    for (const pem of [secret, ...tlsKeys]) {
      const body = pem
        .split('\n')
        .filter((l) => l.length >= 32 && !l.startsWith('-----'))
        .map((l) => l.slice(0, 32));
      expect(body.length).toBeGreaterThan(3);
      expect(body.filter((chunk) => all.includes(chunk))).toEqual([]);
    }
  });
});
