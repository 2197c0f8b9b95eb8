import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KojiSession } from '../../packages/client/src/koji/index.ts';
import type { KojiSessionOptions } from '../../packages/client/src/koji/index.ts';
import { mintTestPki, readPair } from '../helpers/pki.ts';
import type { TestPki } from '../helpers/pki.ts';
import { buildRpm } from '../helpers/rpmbuild.ts';
import { INTEROP_DIR } from '../helpers/interop.ts';
import { startKojiHub } from './server.ts';
import type { KojiHub } from './server.ts';

/**
 * A seeded test hub for tests: users `signer` (sign), `tagger` (tag), `admin` (admin) and
 * `nobody` (no permission), all with password `pw-<name>` and a client certificate; tag
 * `f40-candidate` holding `hello-2.0-1` (x86_64, from the interop corpus), `foo-1.0-1`
 * (noarch + src) and two rpmbuild-made noarch builds; an empty tag `f40`.
 */

export const USERS = ['signer', 'tagger', 'admin', 'nobody'] as const;

export interface HubFixture {
  readonly dir: string;
  readonly pki: TestPki;
  readonly hub: KojiHub;
  /** A new session (not logged in) that trusts the hub; `user` picks the client certificate. */
  session(user?: (typeof USERS)[number], extra?: Partial<KojiSessionOptions>): KojiSession;
  /**
   * Writes `dir/koji.conf` whose profiles log in as `signer` by certificate (`authtype = ssl`),
   * reading headers over HTTP from `topurl`, or from the mounted `topdir`; returns its path.
   */
  writeKojiConf(dir: string, profiles: readonly KojiProfileSpec[]): string;
  dispose(): Promise<void>;
}

export interface KojiProfileSpec {
  readonly name: string;
  /** Read headers from the hub's topdir (mounted) instead of HTTP on topurl. */
  readonly topdir?: boolean;
}

export async function startHubFixture(): Promise<HubFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  const pki = await mintTestPki(path.join(dir, 'pki'), { users: [...USERS] });
  const topdir = path.join(dir, 'topdir');
  fs.mkdirSync(topdir);
  const server = readPair(pki.bridge);
  const hub = await startKojiHub({ topdir, cert: server.cert, key: server.key, clientCa: fs.readFileSync(pki.caCert) });
  const { state } = hub;
  state.addUser('signer', { password: 'pw-signer', perms: ['sign'] });
  state.addUser('tagger', { password: 'pw-tagger', perms: ['tag'] });
  state.addUser('admin', { password: 'pw-admin', perms: ['admin'] });
  state.addUser('nobody', { password: 'pw-nobody' });
  state.addTag('f40-candidate');
  state.addTag('f40');
  state.importBuild([path.join(INTEROP_DIR, 'hello-2.0-1.x86_64.rpm')], { tag: 'f40-candidate' });
  state.importBuild([path.join(INTEROP_DIR, 'foo-1.0-1.noarch.rpm'), path.join(INTEROP_DIR, 'foo-1.0-1.src.rpm')], { tag: 'f40-candidate' });
  state.importBuild([buildRpm({ name: 'signet-koji-a', files: 2 })], { tag: 'f40-candidate' });
  state.importBuild([buildRpm({ name: 'signet-koji-b', files: 4 })], { tag: 'f40-candidate' });
  const sessions: KojiSession[] = [];
  return {
    dir,
    pki,
    hub,
    session(user = 'signer', extra = {}) {
      const pair = readPair(pki.clients[user] as { cert: string; key: string });
      const s = new KojiSession({ server: hub.url, tls: { ca: fs.readFileSync(pki.caCert), cert: pair.cert, key: pair.key }, timeoutMs: 10_000, ...extra });
      sessions.push(s);
      return s;
    },
    writeKojiConf(confDir, profiles) {
      const signer = pki.clients['signer'] as { cert: string; key: string };
      const pem = path.join(confDir, 'signer.pem');
      fs.writeFileSync(pem, Buffer.concat([fs.readFileSync(signer.cert), fs.readFileSync(signer.key)]), { mode: 0o600 });
      const file = path.join(confDir, 'koji.conf');
      const lines = profiles.flatMap((p) => [`[${p.name}]`, `server = ${hub.url}`, p.topdir === true ? `topdir = ${hub.state.topdir}` : `topurl = ${hub.topurl}`, 'authtype = ssl', `cert = ${pem}`, `serverca = ${pki.caCert}`, '']);
      fs.writeFileSync(file, lines.join('\n'));
      return file;
    },
    async dispose() {
      for (const s of sessions) s.close();
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
