import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignatureHeader, locatePackage } from '@signet/rpm';
import type { PackageLayout } from '@signet/rpm';
import type { KojiStruct } from '../../packages/client/src/koji/index.ts';
import { rpmPath, signedPath } from '../koji-hub/index.ts';
import { startHubFixture } from '../koji-hub/fixture.ts';
import type { HubFixture } from '../koji-hub/fixture.ts';
import { createGpgHome, requireTools } from '../helpers/gpg.ts';
import type { GpgHome } from '../helpers/gpg.ts';
import { disposeRpmBuilds } from '../helpers/rpmbuild.ts';
import { RPMKEYS_FAILURE } from '../../scripts/lib/verify-rpm.ts';

/**
 * The Koji session against the test hub over real mTLS: certificate login, list a tag,
 * fetch one rpm's header with two Range requests, store a gpg-made signature with
 * addRPMSig, have the hub write the signed copy, and let rpmkeys judge it.
 */

let fx: HubFixture;
let gpg: GpgHome;

beforeAll(async () => {
  requireTools('rpmkeys', 'rpmbuild', 'gpg');
  fx = await startHubFixture();
  gpg = createGpgHome();
});
afterAll(async () => {
  gpg?.dispose();
  await fx?.dispose();
  disposeRpmBuilds();
});

function rangeGet(url: string, start: number, end: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: fs.readFileSync(fx.pki.caCert), headers: { Range: `bytes=${start}-${end}` } }, (res) => {
        if (res.statusCode !== 206) {
          res.resume();
          reject(new Error(`expected 206, got ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
      .on('error', reject);
  });
}

/** Lead + signature header (and the main header's intro) first, then the rest of the main header. */
async function fetchHead(url: string): Promise<PackageLayout> {
  // rpm reserves 4 KiB in the signature header: 4.5 KiB covers lead, signature header and the main intro.
  let buf = await rangeGet(url, 0, 4607);
  for (let i = 0; i < 3; i++) {
    const step = locatePackage(buf);
    if (step.complete) return step.layout;
    buf = Buffer.concat([buf, await rangeGet(url, buf.length, step.need - 1)]);
  }
  throw new Error('header not located in 4 requests');
}

describe('Koji session against the test hub', () => {
  it('signs one rpm of a tag end to end; rpmkeys accepts the signed copy the hub wrote', async () => {
    const s = fx.session('signer');
    await s.sslLogin();
    expect(await s.call('getLoggedInUser')).toMatchObject({ name: 'signer' });

    const [rpms] = (await s.call('listTaggedRPMS', ['f40-candidate'], { latest: true, rpmsigs: true })) as [KojiStruct[]];
    const row = rpms.find((r) => r['name'] === 'signet-koji-a' && r['sigkey'] === '');
    if (row === undefined) throw new Error('signet-koji-a is not in the tag');
    const build = (await s.call('getBuild', [row['build_id'] as number])) as KojiStruct;
    const names = { name: build['name'] as string, version: build['version'] as string, release: build['release'] as string };
    const rpm = { name: row['name'] as string, version: row['version'] as string, release: row['release'] as string, arch: row['arch'] as string };

    const before = fx.hub.log.length;
    const layout = await fetchHead(`${fx.hub.topurl}/${rpmPath(names, rpm)}`);
    const gets = fx.hub.log.slice(before).filter((l) => l.startsWith('GET '));
    expect(gets).toHaveLength(2);
    expect(gets[0]).toMatch(/ bytes=0-4607$/);
    // The header on the wire matches the hub's sigmd5.
    const md5Entry = layout.signatureHeader.entries.find((e) => e.tag === 1004);
    expect(md5Entry?.data.toString('hex')).toBe(row['payloadhash']);

    const packet = gpg.detachSign(layout.mainHeader.bytes, gpg.rsa);
    const { region } = buildSignatureHeader(layout.signatureHeader, packet, gpg.rsa.pubkeyAlgorithm);
    const sigkey = gpg.rsa.keyId.slice(-8).toLowerCase();
    expect(await s.addRPMSig(row['id'] as number, region)).toBeNull();
    const sigs = (await s.call('queryRPMSigs', [], { rpm_id: row['id'] as number, sigkey })) as KojiStruct[];
    expect(sigs).toEqual([{ rpm_id: row['id'], sigkey, sighash: createHash('md5').update(region).digest('hex') }]);
    const again = await s.addRPMSig(row['id'] as number, region).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'KOJI_SIGNATURE_EXISTS', faultCode: 1000 });

    const results = await s.multiCall([{ method: 'writeSignedRPM', args: [row['id'] as number, sigkey] }]);
    expect(results).toEqual([{ ok: true, value: null }]);
    const signed = fx.hub.state.abs(signedPath(names, rpm, sigkey));
    expect(fs.existsSync(signed)).toBe(true);

    const db = fs.mkdtempSync(path.join(fx.dir, 'rpmdb-'));
    const imp = spawnSync('rpmkeys', ['--dbpath', db, '--import', gpg.rsa.publicKeyPath], { encoding: 'utf8' });
    expect(imp.status, imp.stderr).toBe(0);
    const check = spawnSync('rpmkeys', ['--dbpath', db, '-Kv', signed], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(new RegExp(`Header V4 RSA/SHA\\d+ Signature, key ID ${sigkey}: OK`));
    expect(check.stdout).not.toMatch(RPMKEYS_FAILURE);

    await s.logout();
    expect(s.loggedIn).toBe(false);
  });

  it('logs in again by certificate when the hub expires the session mid-run', async () => {
    const s = fx.session('signer');
    await s.sslLogin();
    const first = s.sessionId;
    fx.hub.state.expireSessions();
    expect(await s.call('getLoggedInUser')).toMatchObject({ name: 'signer' });
    expect(s.sessionId).not.toBe(first);
  });
});
