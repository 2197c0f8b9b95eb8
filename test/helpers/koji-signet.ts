import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { startHubFixture } from '../koji-hub/fixture.ts';
import type { HubFixture, KojiProfileSpec } from '../koji-hub/fixture.ts';
import { startCluster } from './cluster.ts';
import type { Cluster } from './cluster.ts';
import { disposeRpmBuilds } from './rpmbuild.ts';

/** Shared set-up of the tests that run `signet` Koji commands against the test hub. */

/** The cluster's `demo` key: its Koji sigkey, and its public key written to `dir/demo.asc`. */
export async function demoKey(cluster: Cluster, dir: string): Promise<{ sigkey: string; pubkey: string }> {
  const pubkey = path.join(dir, 'demo.asc');
  const got = await cluster.signet(['get-public-key', 'demo', '-o', pubkey]);
  expect(got.code, got.stderr).toBe(0);
  const keys = await cluster.signet(['list-keys', '--json']);
  const sigkey = ((JSON.parse(keys.stdout) as { name: string; keyId: string }[]).find((k) => k.name === 'demo')?.keyId ?? '').slice(-8).toLowerCase();
  expect(sigkey).toMatch(/^[0-9a-f]{8}$/);
  return { sigkey, pubkey };
}

export const jsonLines = (out: string): Record<string, unknown>[] =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The hub's rpms (with their builds) of the builds tagged in `tag`. */
export function tagRpms(fx: HubFixture, tag: string) {
  const s = fx.hub.state;
  const tagId = s.tagIdOf(tag);
  const buildIds = new Set(s.taggings.filter((t) => t.tagId === tagId).map((t) => t.buildId));
  return s.rpms.filter((r) => buildIds.has(r.buildId)).map((r) => ({ rpm: r, build: s.builds.find((b) => b.id === r.buildId) as (typeof s.builds)[number] }));
}

export interface SignetKoji {
  readonly fx: HubFixture;
  readonly cluster: Cluster;
  /** A temp dir inside the hub fixture's, removed with it. */
  readonly dir: string;
  readonly kojiConf: string;
  readonly sigkey: string;
  /** The `demo` key's armored public key file. */
  readonly pubkey: string;
  /** Runs `signet ARGS --key demo --koji PROFILE` with the koji.conf and the passphrase file. */
  koji(args: string[], profile?: string): ReturnType<Cluster['signet']>;
  dispose(): Promise<void>;
}

/** A test hub, a real bridge and server with an RSA-4096 `demo` key, and a koji.conf; `seed` fills the hub first. */
export async function startSignetKoji(profiles: readonly KojiProfileSpec[], seed: (fx: HubFixture) => void, server?: Record<string, unknown>): Promise<SignetKoji> {
  const fx = await startHubFixture();
  const cluster = await startCluster({ keyType: 'rsa4096', ...(server === undefined ? {} : { server }) });
  const dir = fs.mkdtempSync(path.join(fx.dir, 'koji-'));
  seed(fx);
  const kojiConf = fx.writeKojiConf(dir, profiles);
  const { sigkey, pubkey } = await demoKey(cluster, dir);
  const first = profiles[0]?.name ?? 'koji';
  return {
    fx,
    cluster,
    dir,
    kojiConf,
    sigkey,
    pubkey,
    koji: (args, profile = first) => cluster.signet([...args, '--key', 'demo', '--koji', profile, '--koji-config', kojiConf, '--passphrase-file', cluster.dep.passphraseFile]),
    async dispose() {
      await cluster.stop();
      await fx.dispose();
      disposeRpmBuilds();
    },
  };
}
