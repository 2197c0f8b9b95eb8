/**
 * Runs docs/runbooks/key-rotation.md against a real deployment: every ```sh block in
 * order, with bash, the placeholders set for a throwaway site, `signet-server` and
 * `signet` defined as the real programs. The running bridge and server serve the
 * signing steps; the results are judged with rpmkeys and gpg.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellBlocks } from '../helpers/runbook.ts';
import { requireTools } from '../helpers/gpg.ts';
import { createDeployment, startBridge, startServer, writeEndpointConfigs, client, type Deployment, type BridgeProcess } from '../../scripts/lib/deployment.ts';
import { BIN, ROOT, runNode, type Daemon } from '../../scripts/lib/run.ts';
import { RPMKEYS_FAILURE } from '../../scripts/lib/verify-rpm.ts';

const RUNBOOK = path.join(ROOT, 'docs', 'runbooks', 'key-rotation.md');
const blocks = shellBlocks(fs.readFileSync(RUNBOOK, 'utf8'));
const SAMPLES = path.join(ROOT, 'samples', 'rpms');

let dep: Deployment;
let bridge: BridgeProcess;
let server: Daemon;
let env: Record<string, string>;
let signerConfig: string;

function runSection(prefix: string): string {
  const mine = blocks.filter((b) => b.heading.startsWith(prefix));
  expect(mine.length, `runbook has sh blocks under "${prefix}"`).toBeGreaterThan(0);
  let out = '';
  for (const block of mine) {
    const prelude = [
      'signet-server() { "$SIGNET_NODE" "$SIGNET_SERVER_MAIN" "$@"; }',
      'signet() { "$SIGNET_NODE" "$SIGNET_CLIENT_MAIN" "$@"; }',
      '',
    ].join('\n');
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', prelude + block.script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000, env });
    expect({ heading: block.heading, status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ heading: block.heading, status: 0, stderr: '' });
    out += r.stdout + r.stderr;
  }
  return out;
}

const gpgListing = (keyFile: string): string => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-gpg-'));
  try {
    execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', '--import', keyFile], { stdio: 'pipe' });
    return execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--list-keys'], { encoding: 'utf8' });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
};

beforeAll(async () => {
  requireTools('rpmkeys', 'gpg', 'jq');
  dep = await createDeployment({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'signet-keyrot-')), keyName: 'release-2026', keyType: 'ed25519', argon2: 'min' });
  const d = (name: string): string => {
    const p = path.join(dep.dir, name);
    fs.mkdirSync(p, { recursive: true });
    return p;
  };
  // The signer: the Koji hub's user, with its own certificate and access to the old key.
  const issued = await runNode(BIN.pki, ['issue', '--dir', dep.pkiDir, '--role', 'client', '--name', 'koji', '--key-bits', '2048']);
  expect(issued.code, issued.stderr).toBe(0);
  const signerPass = path.join(dep.dir, 'koji-passphrase');
  fs.writeFileSync(signerPass, 'koji-signs-all-day\n', { mode: 0o600 });
  const admin = (...args: string[]) => runNode(BIN.server, ['admin', '--state', dep.stateDir, ...args]);
  expect((await admin('user', 'add', 'koji')).code).toBe(0);
  const g = await admin('grant', 'release-2026', 'koji', '--by', dep.user, '--by-passphrase-file', dep.passphraseFile, '--passphrase-file', signerPass, '--argon2', 'min');
  expect(g.code, g.stderr).toBe(0);

  bridge = await startBridge(dep);
  writeEndpointConfigs(dep, bridge);
  server = await startServer(dep);
  signerConfig = path.join(dep.dir, 'koji.json');
  fs.writeFileSync(signerConfig, JSON.stringify({ ...JSON.parse(fs.readFileSync(dep.clientConfig, 'utf8')), tls: { ...dep.cert('koji'), ca: dep.caCert } }));

  // Before the rotation: packages signed with the old key, and its public key published.
  const packages = d('packages');
  for (const f of fs.readdirSync(SAMPLES)) fs.copyFileSync(path.join(SAMPLES, f), path.join(packages, f));
  const signedOld = d('signed-old');
  const s = await client(dep, ['sign-rpm', '--key', 'release-2026', '--passphrase-file', dep.passphraseFile, '-o', signedOld, ...fs.readdirSync(packages).map((f) => path.join(packages, f))]);
  expect(s.code, s.stderr).toBe(0);
  const publish = d('publish');
  expect((await admin('key', 'export-public', 'release-2026', '-o', path.join(publish, 'RPM-GPG-KEY-release-2026'))).code).toBe(0);

  const retire = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: dep.dir,
    SIGNET_NODE: process.execPath,
    SIGNET_SERVER_MAIN: BIN.server,
    SIGNET_CLIENT_MAIN: BIN.client,
    STATE: dep.stateDir,
    OLD_KEY: 'release-2026',
    NEW_KEY: 'release-2027',
    REPLACEMENT_KEY: 'release-2027b',
    KEY_ADMIN: dep.user,
    KEY_ADMIN_PASS: dep.passphraseFile,
    SIGNER: 'koji',
    SIGNER_PASS: signerPass,
    CLIENT_CONFIG: signerConfig,
    PUBLISH: publish,
    PACKAGES: packages,
    SIGNED_OLD: signedOld,
    SIGNED_NEW: d('signed-new'),
    RETIRE_DATE: retire,
    RPMDB: d('rpmdb'),
    WORK: d('work'),
  };
});

afterAll(async () => {
  await Promise.all([server?.stop(), bridge?.stop()]);
  if (dep) fs.rmSync(dep.dir, { recursive: true, force: true });
});

describe('docs/runbooks/key-rotation.md', () => {
  it('A. scheduled rotation: new key published and granted, both keys verify, old key expired and retired', async () => {
    const out = runSection('A');
    // A3: rpm itself accepts both generations of signatures.
    expect(out.match(/digests signatures OK/g)?.length).toBe(2 * fs.readdirSync(env['PACKAGES'] as string).length);
    expect(out).not.toMatch(RPMKEYS_FAILURE);
    // A4: the published old key carries its new expiry, as gpg reads it.
    const expiry = Date.parse(`${env['RETIRE_DATE']}T00:00:00Z`) / 1000;
    const pub = gpgListing(path.join(env['PUBLISH'] as string, 'RPM-GPG-KEY-release-2026'));
    const expires = Number(pub.split('\n').find((l) => l.startsWith('pub:'))?.split(':')[6]);
    expect(Math.abs(expires - expiry)).toBeLessThan(2 * 86_400);
    // The signer lost access to the old key; the new key is theirs.
    const denied = await runNode(BIN.client, ['--config', signerConfig, 'sign-data', '--key', 'release-2026', '--passphrase-file', env['SIGNER_PASS'] as string, '-o', path.join(dep.dir, 'x.sig'), RUNBOOK]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/ACCESS_DENIED/);
  });

  it('B. emergency rotation: the compromised key is revoked and published so, and what it signed is re-signed', async () => {
    const out = runSection('B');
    // B1: the revoked key never signs again, whoever holds a grant.
    const refused = await client(dep, ['sign-data', '--key', 'release-2027', '--passphrase-file', dep.passphraseFile, '-o', path.join(dep.dir, 'y.sig'), RUNBOOK]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/KEY_REVOKED/);
    // The published key and the revocation certificate each show it revoked to gpg.
    expect(gpgListing(path.join(env['PUBLISH'] as string, 'RPM-GPG-KEY-release-2027'))).toMatch(/^pub:r:/m);
    // B3: the audit log named every package the key signed in A3.
    const listed = fs.readFileSync(path.join(env['WORK'] as string, 'to-resign.txt'), 'utf8').trim().split('\n');
    expect(listed.sort()).toEqual(['signet-demo-data-1:2.3-4.noarch', 'signet-demo-hello-1.0-1.noarch']);
    // B4: rpm accepts the re-signed packages under the replacement key.
    expect(out.match(/digests signatures OK/g)?.length).toBe(listed.length);
    expect(fs.readdirSync(path.join(env['WORK'] as string, 'resigned')).sort()).toEqual(fs.readdirSync(env['PACKAGES'] as string).sort());
    // And the audit chain that told us so is intact.
    const verify = await runNode(BIN.server, ['admin', '--state', dep.stateDir, 'audit', 'verify']);
    expect(verify.code, verify.stderr).toBe(0);
  });
});
