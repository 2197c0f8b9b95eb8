import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KojiStruct } from '../../packages/client/src/koji/index.ts';
import type { HubFixture } from '../koji-hub/fixture.ts';
import { signedPath } from '../koji-hub/index.ts';
import { requireTools } from '../helpers/gpg.ts';
import { buildRpmSet } from '../helpers/rpmbuild.ts';
import type { Cluster } from '../helpers/cluster.ts';
import { jsonLines, startSignetKoji, tagRpms as tagRpmsOf } from '../helpers/koji-signet.ts';
import type { SignetKoji } from '../helpers/koji-signet.ts';
import { BIN } from '../../scripts/lib/run.ts';
import { RPMKEYS_FAILURE } from '../../scripts/lib/verify-rpm.ts';

/**
 * Issue 5's release tag, end to end: 200 rpms in 60 builds over 3 arches (one build with a
 * single rpm), signed by `signet sign-tag` through a real bridge and server into the test
 * hub. The first run is killed halfway, the hub's sessions expire during the second, and
 * the result must still be every rpm signed once, every signed copy written and accepted
 * by rpmkeys, found by a mash-like reader; a third run does nothing; `--move-to` then moves
 * every build on.
 */

const TAG = 'f41-signing-pending';
const NEXT = 'f41-updates-testing';
const ARCHES = ['x86_64', 'aarch64', 'ppc64le'];
let fx: HubFixture;
let cluster: Cluster;
let dir: string;
let kojiConf: string;
let sigkey: string;
let pubkey: string;

/** 49 builds × 3 arches × 1 rpm + 8 × 3 × 2 + 2 × 2 × 1 + 1 × 1 × 1 = 200 rpms in 60 builds. */
function importReleaseTag(): void {
  const { state } = fx.hub;
  state.addTag(TAG);
  const sets: { arches: string[]; subpackages: number }[] = [
    ...Array.from({ length: 49 }, () => ({ arches: ARCHES, subpackages: 0 })),
    ...Array.from({ length: 8 }, () => ({ arches: ARCHES, subpackages: 1 })),
    ...Array.from({ length: 2 }, () => ({ arches: ARCHES.slice(0, 2), subpackages: 0 })),
    { arches: ['x86_64'], subpackages: 0 },
  ];
  sets.forEach((s, i) => state.importBuild(buildRpmSet({ name: `rel-${String(i).padStart(2, '0')}`, release: `${1 + (i % 4)}.fc41`, ...s }), { tag: TAG }));
}

const tagRpms = (tag: string) => tagRpmsOf(fx, tag);

let k: SignetKoji;

beforeAll(async () => {
  requireTools('rpmkeys', 'rpmbuild');
  k = await startSignetKoji([{ name: 'testhub' }], (hub) => {
    fx = hub;
    importReleaseTag();
  });
  ({ fx, cluster, dir, kojiConf, sigkey, pubkey } = k);
}, 240_000);

afterAll(() => k?.dispose());

const koji = (args: string[], profile?: string) => k.koji(args, profile);
const count = (out: string, status: string): number => (out.match(new RegExp(`"status":"${status}"`, 'g')) ?? []).length;

/** Runs sign-tag as a child, calling `onOutput` with all stdout so far on each chunk; resolves with its exit code and output. */
function signTagChild(extra: string[], onOutput: (out: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; out: string; err: string }> {
  const args = ['--key', 'demo', '--koji', 'testhub', '--koji-config', kojiConf, '--passphrase-file', cluster.dep.passphraseFile];
  const child = spawn(process.execPath, [BIN.client, '--config', cluster.dep.clientConfig, 'sign-tag', TAG, ...args, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    onOutput(out, child);
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

describe('a release tag of 200 rpms in 60 builds over 3 arches', () => {
  it('has the shape the issue asks for', () => {
    const rpms = tagRpms(TAG);
    expect(rpms).toHaveLength(200);
    expect(new Set(rpms.map((r) => r.build.id)).size).toBe(60);
    expect(new Set(rpms.map((r) => r.rpm.arch))).toEqual(new Set(ARCHES));
    const perBuild = new Map<number, number>();
    for (const r of rpms) perBuild.set(r.build.id, (perBuild.get(r.build.id) ?? 0) + 1);
    expect([...perBuild.values()].filter((n) => n === 1)).toHaveLength(1);
  });

  it('check-tag fails before; --dry-run changes nothing', async () => {
    const before = await koji(['check-tag', TAG, '--json']);
    expect(before.code, before.stderr).toBe(1);
    expect(jsonLines(before.stdout).at(-1)).toMatchObject({ summary: true, total: 200, missing: 200, sigkey });
    const callsBefore = fx.hub.log.length;
    const dry = await koji(['sign-tag', TAG, '--dry-run', '--move-to', NEXT]);
    expect(dry.code, dry.stderr).toBe(2); // NEXT does not exist yet: refused before anything
    expect(dry.stderr).toContain(`no tag ${NEXT}`);
    fx.hub.state.addTag(NEXT);
    // Not a terminal: JSON lines without --json.
    const dry2 = await koji(['sign-tag', TAG, '--dry-run', '--move-to', NEXT]);
    expect(dry2.code, dry2.stderr).toBe(0);
    const rows = jsonLines(dry2.stdout);
    expect(rows.filter((r) => r['status'] === 'would-sign')).toHaveLength(200);
    expect(rows.filter((r) => r['status'] === 'would-move')).toHaveLength(60);
    expect(rows.at(-1)).toMatchObject({ summary: true, signed: 200, failed: 0, dryRun: true, moved: 60 });
    const writes = fx.hub.log.slice(callsBefore).filter((l) => /^call (addRPMSig|writeSignedRPM|tagBuild)$/.test(l));
    expect(writes).toEqual([]);
    expect(fx.hub.state.sigs.filter((s) => s.sigkey === sigkey)).toHaveLength(0);
    expect(fx.hub.state.tasks).toHaveLength(0);
  }, 120_000);

  it('a run killed halfway, then a run whose hub session expires midway, finish the tag: nothing missing, nothing doubled', async () => {
    const first = await signTagChild(['--json'], (out, child) => {
      if (count(out, 'signed') >= 100) child.kill('SIGKILL');
    });
    const signedFirst = count(first.out, 'signed');
    expect(signedFirst).toBeGreaterThanOrEqual(100);
    expect(signedFirst).toBeLessThan(200);

    const loginsBefore = fx.hub.log.filter((l) => l === 'call sslLogin').length;
    let expired = false;
    const second = await signTagChild(['--json'], (out) => {
      if (!expired && count(out, 'signed') >= 10) {
        expired = true;
        fx.hub.state.expireSessions();
      }
    });
    expect(second.code, second.err).toBe(0);
    expect(expired).toBe(true);
    // The expired session was replaced by a new login, not reported as failures.
    expect(fx.hub.log.filter((l) => l === 'call sslLogin').length - loginsBefore).toBeGreaterThanOrEqual(2);
    const summary = jsonLines(second.out).at(-1) as { signed: number; written: number; skipped: number };
    expect(summary).toMatchObject({ summary: true, total: 200, failed: 0, notStarted: 0 });
    expect(summary.signed + summary.written + summary.skipped).toBe(200);
    // What the first run reported signed was complete (signature and copy): skipped now.
    expect(summary.skipped).toBeGreaterThanOrEqual(signedFirst);
    expect(summary.signed).toBeLessThanOrEqual(200 - signedFirst);

    // Nothing doubled: exactly one signature row per rpm for the key; every signed copy
    // present and no temp file left behind.
    const rows = fx.hub.state.sigs.filter((s) => s.sigkey === sigkey);
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((s) => s.rpmId)).size).toBe(200);
    const files = tagRpms(TAG).map(({ rpm, build }) => fx.hub.state.abs(signedPath(build, rpm, sigkey)));
    for (const f of files) expect(fs.existsSync(f), f).toBe(true);
    const leftovers = spawnSync('find', [fx.hub.state.topdir, '-name', '*.tmp'], { encoding: 'utf8' }).stdout.trim();
    expect(leftovers).toBe('');

    // A mash-like reader: listTaggedRPMS(..., rpmsigs=True) and the data/signed path.
    const s = fx.session('signer');
    await s.sslLogin();
    const [listed, builds] = (await s.call('listTaggedRPMS', [TAG], { latest: true, rpmsigs: true })) as [KojiStruct[], KojiStruct[]];
    await s.logout();
    const byId = new Map(builds.map((b) => [b['build_id'] ?? b['id'], b]));
    const found = new Set<unknown>();
    for (const r of listed.filter((x) => x['sigkey'] === sigkey)) {
      const b = byId.get(r['build_id']) as KojiStruct;
      const p = path.join(fx.hub.state.topdir, 'packages', String(b['name']), String(b['version']), String(b['release']), 'data', 'signed', sigkey, String(r['arch']), `${String(r['name'])}-${String(r['version'])}-${String(r['release'])}.${String(r['arch'])}.rpm`);
      if (fs.existsSync(p)) found.add(r['id']);
    }
    expect(found.size).toBe(200);

    // rpmkeys accepts every signed copy, with the key's ID.
    const db = fs.mkdtempSync(path.join(dir, 'rpmdb-'));
    const imp = spawnSync('rpmkeys', ['--dbpath', db, '--import', pubkey], { encoding: 'utf8' });
    expect(imp.status, imp.stderr).toBe(0);
    for (let i = 0; i < files.length; i += 50) {
      const batch = files.slice(i, i + 50);
      const check = spawnSync('rpmkeys', ['--dbpath', db, '-Kv', ...batch], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(check.stdout.match(new RegExp(`Header V4 RSA/SHA\\d+ Signature, key ID ${sigkey}: OK`, 'g'))).toHaveLength(batch.length);
      expect(check.stdout).not.toMatch(RPMKEYS_FAILURE);
    }
  }, 300_000);

  it('a rerun does nothing; check-tag passes', async () => {
    const before = fx.hub.log.filter((l) => /^call (addRPMSig|writeSignedRPM)$/.test(l)).length;
    const again = await koji(['sign-tag', TAG]);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines(again.stdout).at(-1)).toMatchObject({ summary: true, total: 200, signed: 0, written: 0, skipped: 200, failed: 0 });
    expect(fx.hub.log.filter((l) => /^call (addRPMSig|writeSignedRPM)$/.test(l)).length).toBe(before);
    const check = await koji(['check-tag', TAG]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`200 of 200 packages signed with ${sigkey} and written; 0 missing`);
  }, 120_000);

  it('--move-to moves every fully signed build on (as a hub task), and reports a refused move', async () => {
    // Without the tag permission every move is refused; the signatures stay, exit 1.
    const refused = await koji(['sign-tag', TAG, '--move-to', NEXT]);
    expect(refused.code).toBe(1);
    const rows = jsonLines(refused.stdout);
    expect(rows.filter((r) => r['movedTo'] === NEXT && r['ok'] === false && r['code'] === 'KOJI_ACTION_NOT_ALLOWED')).toHaveLength(60);
    expect(rows.at(-1)).toMatchObject({ summary: true, skipped: 200, failed: 0, moved: 0, moveFailed: 60 });
    expect(fx.hub.state.tasks).toHaveLength(0);

    (fx.hub.state.users.find((u) => u.name === 'signer') as { perms: Set<string> }).perms.add('tag');
    const moved = await koji(['sign-tag', TAG, '--move-to', NEXT]);
    expect(moved.code, moved.stderr).toBe(0);
    const tasks = jsonLines(moved.stdout).filter((r) => r['status'] === 'move-requested');
    expect(tasks).toHaveLength(60);
    expect(tasks.every((t) => typeof t['task'] === 'number')).toBe(true);
    // Run again before any builder picked the tasks up: nothing is asked twice.
    const again = await koji(['sign-tag', TAG, '--move-to', NEXT]);
    expect(again.code, again.stderr).toBe(0);
    expect(jsonLines(again.stdout).filter((r) => r['status'] === 'move-pending')).toHaveLength(60);
    expect(fx.hub.state.tasks).toHaveLength(60);
    // A builder runs the tasks: every build is now in NEXT and gone from TAG.
    expect(fx.hub.state.runTasks().map((t) => t.state)).toEqual(Array(60).fill('CLOSED'));
    expect(tagRpms(NEXT)).toHaveLength(200);
    expect(tagRpms(TAG)).toHaveLength(0);
    const check = await koji(['check-tag', NEXT, '--json']);
    expect(check.code, check.stdout).toBe(0);
  }, 120_000);

  it('--move-to is refused with --arch and --inherit (usage, exit 2)', async () => {
    expect((await koji(['sign-tag', TAG, '--move-to', NEXT, '--arch', 'x86_64'])).code).toBe(2);
    expect((await koji(['sign-tag', TAG, '--move-to', NEXT, '--inherit'])).code).toBe(2);
    expect((await koji(['sign-tag', TAG, '--move-to', TAG])).code).toBe(2);
  }, 60_000);
});
