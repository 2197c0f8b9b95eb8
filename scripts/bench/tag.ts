import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startHubFixture } from '../../test/koji-hub/fixture.ts';
import type { HubFixture } from '../../test/koji-hub/fixture.ts';
import { buildRpmSet, disposeRpmBuilds } from '../../test/helpers/rpmbuild.ts';
import { BIN } from '../lib/run.ts';
import type { BenchDeployment } from './deployment.ts';
import { nowNs, processCpuSeconds, secondsSince } from './stats.ts';

/**
 * `tag_per_s`: one `signet sign-tag` process over a tag of `count` rpms in the Koji test hub
 * (test/koji-hub, run in this process: it stands for the hub, which in production is
 * another machine), wall time from spawn to exit. The tag is built like a real one: builds
 * of 50 rpms (a package and 49 subpackages) for x86_64 and aarch64, made by rpmbuild. The
 * client reads headers from the hub's topdir, as on a hub with the volume mounted; the
 * rest is the full path: list, plan (queryRPMSigs multicalls, signed-copy checks), sigmd5
 * check, sign through bridge and server, verify, addRPMSig, writeSignedRPM.
 */

export interface TagResult {
  packages: number;
  builds: number;
  jobs: number;
  seconds: number;
  perSecond: number;
  buildSeconds: number;
  cpu: { server: number; bridge: number };
}

const PER_ARCH = 50;
const ARCHES = ['x86_64', 'aarch64'];

function seedTag(fx: HubFixture, tag: string, count: number): number {
  fx.hub.state.addTag(tag);
  const builds = Math.max(1, Math.round(count / (PER_ARCH * ARCHES.length)));
  for (let i = 0; i < builds; i++) {
    fx.hub.state.importBuild(buildRpmSet({ name: `bench-tag-${String(i).padStart(3, '0')}`, arches: ARCHES, subpackages: PER_ARCH - 1 }), { tag });
  }
  return builds;
}

export async function measureTag(b: BenchDeployment, key: string, work: string, count: number, jobs: number): Promise<TagResult> {
  const fx = await startHubFixture();
  try {
    const t0 = nowNs();
    const builds = seedTag(fx, 'bench-tag', count);
    const buildSeconds = secondsSince(t0);
    const confDir = path.join(work, 'koji');
    mkdirSync(confDir, { recursive: true });
    const conf = fx.writeKojiConf(confDir, [{ name: 'bench', topdir: true }]);
    const packages = fx.hub.state.rpms.filter((r) => r.name.startsWith('bench-tag-')).length;
    const serverCpu0 = processCpuSeconds(b.serverPid);
    const bridgeCpu0 = processCpuSeconds(b.bridge.child.pid);
    const args = [BIN.client, '--config', b.dep.clientConfig, 'sign-tag', 'bench-tag', '--key', key, '--koji', 'bench', '--koji-config', conf, '--passphrase-file', b.dep.passphraseFile, '--jobs', String(jobs), '--json'];
    const start = nowNs();
    // Asynchronous: the hub answers from this process.
    const { code, out, err } = await new Promise<{ code: number; out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { env: b.envFor('client'), stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      let e = '';
      child.stdout.on('data', (d: Buffer) => (o += d.toString()));
      child.stderr.on('data', (d: Buffer) => (e += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c ?? 1, out: o, err: e }));
    });
    const seconds = secondsSince(start);
    const summary = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { signed?: number; failed?: number };
    if (code !== 0 || summary.signed !== packages) {
      throw new Error(`signet sign-tag failed (exit ${code}, ${summary.signed ?? 0}/${packages} signed, ${summary.failed ?? '?'} failed):\n${err.slice(-3000)}`);
    }
    return {
      packages,
      builds,
      jobs,
      seconds,
      perSecond: packages / seconds,
      buildSeconds,
      cpu: { server: processCpuSeconds(b.serverPid) - serverCpu0, bridge: processCpuSeconds(b.bridge.child.pid) - bridgeCpu0 },
    };
  } finally {
    await fx.dispose();
    disposeRpmBuilds();
  }
}
