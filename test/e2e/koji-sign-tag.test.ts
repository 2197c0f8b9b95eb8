import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KojiStruct } from '../../packages/client/src/koji/index.ts';
import type { HubFixture } from '../koji-hub/fixture.ts';
import { rpmPath, signedPath } from '../koji-hub/index.ts';
import { requireTools } from '../helpers/gpg.ts';
import { buildRpm } from '../helpers/rpmbuild.ts';
import type { Cluster } from '../helpers/cluster.ts';
import { jsonLines, startSignetKoji, tagRpms as tagRpmsOf } from '../helpers/koji-signet.ts';
import type { SignetKoji } from '../helpers/koji-signet.ts';
import { BIN } from '../../scripts/lib/run.ts';
import { RPMKEYS_FAILURE } from '../../scripts/lib/verify-rpm.ts';

/**
 * `signet sign-tag` / `check-tag` against the test Koji hub and a real bridge and server:
 * a tag is signed header-only (Range requests, or a streamed read without Range), every
 * signed copy the hub writes verifies with rpmkeys, a rerun does nothing, a run killed
 * midway finishes on rerun, and a swapped file on the hub is refused.
 */

const TAG = 'f40-release';
const BUILDS = 10;
/** The server's header limit here: the test packages' headers are a few KB; one made to exceed it. */
const SERVER_MAX_HEADER = 16 * 1024;
let fx: HubFixture;
let cluster: Cluster;
let dir: string;
let kojiConf: string;
let sigkey: string;
let pubkey: string;

let k: SignetKoji;

beforeAll(async () => {
  requireTools('rpmkeys', 'rpmbuild');
  k = await startSignetKoji([{ name: 'testhub' }, { name: 'local', topdir: true }], (hub) => {
    hub.hub.state.addTag(TAG);
    for (let i = 0; i < BUILDS; i++) hub.hub.state.importBuild([buildRpm({ name: `signet-tag-${String(i).padStart(2, '0')}`, files: 1 + (i % 3) })], { tag: TAG });
  }, { limits: { maxHeaderBytes: SERVER_MAX_HEADER } });
  ({ fx, cluster, dir, kojiConf, sigkey, pubkey } = k);
}, 180_000);

afterAll(() => k?.dispose());

const koji = (args: string[], profile?: string) => k.koji(args, profile);
const tagRpms = (tag: string) => tagRpmsOf(fx, tag);

describe('signet sign-tag and check-tag against a Koji hub', () => {
  it('check-tag fails before; --dry-run changes nothing, even without Range support', async () => {
    const before = await koji(['check-tag', TAG, '--json']);
    expect(before.code, before.stderr).toBe(1);
    const lines = jsonLines(before.stdout);
    expect(lines.filter((l) => l['missing'] === 'unsigned')).toHaveLength(BUILDS);
    expect(lines.at(-1)).toMatchObject({ summary: true, total: BUILDS, missing: BUILDS, sigkey });

    const sigsBefore = fx.hub.state.sigs.length;
    fx.hub.rangeSupport = false;
    try {
      const dry = await koji(['sign-tag', TAG, '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      const rows = jsonLines(dry.stdout);
      expect(rows.filter((r) => r['status'] === 'would-sign' && r['via'] === 'stream')).toHaveLength(BUILDS);
      expect(rows.at(-1)).toMatchObject({ summary: true, signed: BUILDS, failed: 0, dryRun: true });
    } finally {
      fx.hub.rangeSupport = true;
    }
    expect(fx.hub.state.sigs.length).toBe(sigsBefore);
    for (const { rpm, build } of tagRpms(TAG)) expect(fs.existsSync(fx.hub.state.abs(signedPath(build, rpm, sigkey)))).toBe(false);
  }, 120_000);

  it('a run killed midway is finished by a rerun; rpmkeys accepts every signed copy; a third run does nothing', async () => {
    // Kill the first run as soon as it has signed two packages.
    const child = spawn(process.execPath, [BIN.client, '--config', cluster.dep.clientConfig, 'sign-tag', TAG, '--key', 'demo', '--koji', 'testhub', '--koji-config', kojiConf, '--passphrase-file', cluster.dep.passphraseFile, '--json', '--jobs', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if ((out.match(/"status":"signed"/g) ?? []).length >= 2) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    const signedFirst = (out.match(/"status":"signed"/g) ?? []).length;
    expect(signedFirst).toBeGreaterThanOrEqual(2);
    expect(signedFirst).toBeLessThan(BUILDS);
    // Also the worst crash point: a signature stored, its copy never written.
    const done = tagRpms(TAG).filter(({ rpm }) => fx.hub.state.sigs.some((s) => s.rpmId === rpm.id && s.sigkey === sigkey));
    const first = done[0];
    if (first === undefined) throw new Error('nothing signed before the kill');
    fs.rmSync(fx.hub.state.abs(signedPath(first.build, first.rpm, sigkey)));

    const rerun = await koji(['sign-tag', TAG, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const rows = jsonLines(rerun.stdout);
    const summary = rows.at(-1) as Record<string, unknown>;
    expect(summary).toMatchObject({ summary: true, total: BUILDS, failed: 0, written: 1 });
    expect((summary['signed'] as number) + (summary['skipped'] as number) + 1).toBe(BUILDS);
    expect(rows.find((r) => r['status'] === 'written')).toMatchObject({ id: first.rpm.id });
    // Headers came over HTTP Range (the profile has no topdir): never the whole file.
    expect(rows.filter((r) => r['status'] === 'signed').every((r) => r['via'] === 'range')).toBe(true);
    // (Requests without Range are only the existence checks of signed copies, HEAD requests.)
    expect(fx.hub.log.filter((l) => l.startsWith('GET ') && l.endsWith(' -') && !l.includes('/data/signed/'))).toEqual([]);

    // Nothing doubled: one signature row per rpm for the key; a mash-like reader finds all.
    const s = fx.session('signer');
    await s.sslLogin();
    const [listed] = (await s.call('listTaggedRPMS', [TAG], { rpmsigs: true })) as [KojiStruct[]];
    const withKey = listed.filter((r) => r['sigkey'] === sigkey);
    expect(withKey).toHaveLength(BUILDS);
    expect(new Set(withKey.map((r) => r['id'])).size).toBe(BUILDS);
    await s.logout();

    const db = fs.mkdtempSync(path.join(dir, 'rpmdb-'));
    const imp = spawnSync('rpmkeys', ['--dbpath', db, '--import', pubkey], { encoding: 'utf8' });
    expect(imp.status, imp.stderr).toBe(0);
    for (const { rpm, build } of tagRpms(TAG)) {
      const file = fx.hub.state.abs(signedPath(build, rpm, sigkey));
      const check = spawnSync('rpmkeys', ['--dbpath', db, '-Kv', file], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toMatch(new RegExp(`Header V4 RSA/SHA\\d+ Signature, key ID ${sigkey}: OK`));
      expect(check.stdout).not.toMatch(RPMKEYS_FAILURE);
    }

    const check = await koji(['check-tag', TAG]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`${BUILDS} of ${BUILDS} packages signed with ${sigkey} and written; 0 missing`);

    const callsBefore = fx.hub.log.filter((l) => l === 'call addRPMSig' || l === 'call writeSignedRPM').length;
    const again = await koji(['sign-tag', TAG, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines(again.stdout).at(-1)).toMatchObject({ summary: true, total: BUILDS, signed: 0, written: 0, skipped: BUILDS, failed: 0 });
    expect(fx.hub.log.filter((l) => l === 'call addRPMSig' || l === 'call writeSignedRPM').length).toBe(callsBefore);
  }, 240_000);

  it('refuses a package whose file on the hub was swapped (sigmd5 mismatch), read from topdir; the rest is signed', async () => {
    fx.hub.state.addTag('f40-swapped');
    const good = fx.hub.state.importBuild([buildRpm({ name: 'signet-swap-good', files: 2 })], { tag: 'f40-swapped' });
    const victim = fx.hub.state.importBuild([buildRpm({ name: 'signet-swap-victim', files: 2 })], { tag: 'f40-swapped' });
    const vrpm = fx.hub.state.rpms.find((r) => r.buildId === victim.id);
    if (vrpm === undefined) throw new Error('victim rpm missing');
    // Another package of the same name with different content, put in place of the imported one.
    fs.copyFileSync(buildRpm({ name: 'signet-swap-victim', files: 5 }), fx.hub.state.abs(rpmPath(victim, vrpm)));

    const r = await koji(['sign-tag', 'f40-swapped', '--json'], 'local');
    expect(r.code).toBe(1);
    const rows = jsonLines(r.stdout);
    expect(rows.find((x) => x['id'] === vrpm.id)).toMatchObject({ ok: false, code: 'KOJI_HEADER_MISMATCH' });
    expect(rows.find((x) => x['ok'] === true)).toMatchObject({ status: 'signed', via: 'topdir', build: `signet-swap-good-${good.version}-${good.release}` });
    expect(r.stderr).toContain('KOJI_HEADER_MISMATCH');
    expect(fx.hub.state.sigs.some((s) => s.rpmId === vrpm.id && s.sigkey === sigkey)).toBe(false);
    const check = await koji(['check-tag', 'f40-swapped', '--json'], 'local');
    expect(check.code).toBe(1);
    expect(jsonLines(check.stdout)).toContainEqual({ rpm: expect.stringContaining('signet-swap-victim') as unknown, id: vrpm.id, missing: 'unsigned' });
  }, 120_000);

  it('a package the server refuses is reported with its reason; the rest of the tag is signed', async () => {
    const state = fx.hub.state;
    state.addTag('f40-refused');
    state.importBuild([buildRpm({ name: 'signet-refused-ok', files: 2 })], { tag: 'f40-refused' });
    const big = state.importBuild([buildRpm({ name: 'signet-refused-big', files: 1500 })], { tag: 'f40-refused' });
    const bigRpm = state.rpms.find((r) => r.buildId === big.id);
    if (bigRpm === undefined) throw new Error('fixture rpm missing');
    const r = await koji(['sign-tag', 'f40-refused', '--json']);
    expect(r.code).toBe(1);
    const rows = jsonLines(r.stdout);
    expect(rows.find((x) => x['id'] === bigRpm.id)).toMatchObject({ ok: false, code: 'REQUEST_TOO_LARGE' });
    expect(rows.filter((x) => x['status'] === 'signed')).toHaveLength(1);
    expect(rows.at(-1)).toMatchObject({ summary: true, total: 2, signed: 1, failed: 1, failures: [expect.objectContaining({ code: 'REQUEST_TOO_LARGE' })] });
    expect(r.stderr).toContain('REQUEST_TOO_LARGE');
    expect(state.sigs.some((s) => s.rpmId === bigRpm.id && s.sigkey === sigkey)).toBe(false);
  }, 120_000);

  it('sign-build signs only the builds named, drawing a progress bar on a terminal', async () => {
    const nvr = 'signet-koji-a-1.0-1';
    const state = fx.hub.state;
    const inBuild = (name: string) => state.rpms.filter((r) => state.builds.find((b) => b.id === r.buildId)?.name === name);
    const [target] = inBuild('signet-koji-a');
    if (target === undefined) throw new Error('fixture build missing');
    // Under a pseudo-terminal (script(1)): a progress bar with counts, rate and ETA, then a summary line.
    const q = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
    const cmd = [process.execPath, BIN.client, '--config', cluster.dep.clientConfig, 'sign-build', nvr, '--key', 'demo', '--koji', 'testhub', '--koji-config', kojiConf, '--passphrase-file', cluster.dep.passphraseFile].map(q).join(' ');
    // Asynchronous: the hub answers from this very process.
    requireTools('script');
    const tty = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
    expect(tty.status, tty.stdout + tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/signet-koji-a-1\.0-1 \[#+\] 1\/1 +signed 1 +written 0 +skipped 0 +failed 0 +[\d.]+\/s +ETA 0:00/);
    expect(tty.stdout).toContain(`signed 1, wrote 0, skipped 0, failed 0 of 1 (sigkey ${sigkey})`);
    expect(tty.stdout).not.toContain('{"'); // no JSON lines on a terminal
    expect(state.sigs.some((s) => s.rpmId === target.id && s.sigkey === sigkey)).toBe(true);
    for (const other of inBuild('signet-koji-b')) expect(state.sigs.some((s) => s.rpmId === other.id && s.sigkey === sigkey)).toBe(false);

    // Again: nothing to do; an unknown build is reported, exit 1.
    const again = await koji(['sign-build', nvr, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines(again.stdout).at(-1)).toMatchObject({ summary: true, total: 1, skipped: 1, signed: 0 });
    const unknown = await koji(['sign-build', 'no-such-build-1-1', '--json']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No such build');
  }, 120_000);

  it('usage and configuration errors exit 2', async () => {
    expect((await cluster.signet(['sign-tag', TAG, '--koji-config', kojiConf])).code).toBe(2);
    const noProfile = await koji(['check-tag', TAG], 'nosuchprofile');
    expect(noProfile.code).toBe(2);
    expect(noProfile.stderr).toContain('KOJI_PROFILE_NOT_FOUND');
    expect((await koji(['sign-tag', TAG, '--latest', '--all'])).code).toBe(2);
  }, 60_000);
});
