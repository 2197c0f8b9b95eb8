import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignatureHeader, parsePackageHead } from '@signet/rpm';
import { encodeCall, decodeResponse, KojiFault } from '../../../packages/client/src/koji/index.ts';
import type { KojiSession, KojiStruct, KojiValue } from '../../../packages/client/src/koji/index.ts';
import { dispatch, rpmPath, sigcachePath, signedPath, spliceRpmSighdr } from '../../koji-hub/index.ts';
import type { HubRpm } from '../../koji-hub/index.ts';
import { startHubFixture } from '../../koji-hub/fixture.ts';
import type { HubFixture } from '../../koji-hub/fixture.ts';
import { disposeRpmBuilds } from '../../helpers/rpmbuild.ts';
import { requireTools } from '../../helpers/gpg.ts';
import { fakePacket, issuer } from './fake-packet.ts';

let fx: HubFixture;

beforeAll(async () => {
  requireTools('rpm', 'rpmbuild');
  fx = await startHubFixture();
});
afterAll(async () => {
  await fx?.dispose();
  disposeRpmBuilds();
});

function rpmNamed(name: string, arch: string): HubRpm {
  const r = fx.hub.state.rpms.find((x) => x.name === name && x.arch === arch);
  if (r === undefined) throw new Error(`no rpm ${name}.${arch}`);
  return r;
}

function fileOf(rpm: HubRpm): string {
  const b = fx.hub.state.builds.find((x) => x.id === rpm.buildId);
  if (b === undefined) throw new Error('no build');
  return fx.hub.state.abs(rpmPath(b, rpm));
}

function buildOf(rpm: HubRpm) {
  const b = fx.hub.state.builds.find((x) => x.id === rpm.buildId);
  if (b === undefined) throw new Error('no build');
  return b;
}

/** A signature header for `rpm` carrying `packet` (RSA tag 268), as the signer would make it. */
function sigHeaderFor(rpm: HubRpm, packet: Buffer): Buffer {
  const layout = parsePackageHead(fs.readFileSync(fileOf(rpm)));
  return buildSignatureHeader(layout.signatureHeader, packet, 1).region;
}

async function fault(p: Promise<unknown>): Promise<KojiFault> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KojiFault) return err;
    throw err;
  }
  throw new Error('expected a fault');
}

async function loggedIn(user: 'signer' | 'tagger' | 'admin' | 'nobody'): Promise<KojiSession> {
  const s = fx.session(user);
  await s.login(user, `pw-${user}`);
  return s;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: fs.readFileSync(fx.pki.caCert), headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('test hub: login', () => {
  it('logs in by password and by client certificate; refuses bad passwords and missing certificates', async () => {
    const s = await loggedIn('nobody');
    expect(await s.call('getLoggedInUser')).toMatchObject({ name: 'nobody' });
    const bad = fx.session('nobody');
    const f = await fault(bad.login('nobody', 'wrong'));
    expect([f.faultCode, f.faultString]).toEqual([1002, 'invalid username or password']);

    const ssl = fx.session('tagger');
    await ssl.sslLogin();
    expect(await ssl.call('getLoggedInUser')).toMatchObject({ name: 'tagger' });

    // sslLogin on the plain endpoint sees no certificate, as on a real hub.
    const plain = fx.session('signer');
    const raw = await plain.call('sslLogin').catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(KojiFault);
    expect((raw as KojiFault).faultCode).toBe(1002);
    expect(await fx.session('signer').call('getLoggedInUser')).toBeNull();
  });

  it('answers GET on the endpoint with 405 and sends Koji-Version', async () => {
    const r = await get(fx.hub.url);
    expect(r.status).toBe(405);
    expect(r.headers['koji-version']).toBe('1.35.3');
  });
});

describe('test hub: reads', () => {
  it('has a "" (unsigned) sig row per rpm, whose sighash is the md5 of the cached unsigned header', async () => {
    const s = fx.session();
    const rows = (await s.call('queryRPMSigs')) as KojiStruct[];
    expect(rows).toHaveLength(fx.hub.state.rpms.length);
    for (const r of fx.hub.state.rpms) {
      const row = rows.find((x) => x['rpm_id'] === r.id);
      expect(row?.['sigkey']).toBe('');
      const cache = fs.readFileSync(fx.hub.state.abs(sigcachePath(buildOf(r), r, '')));
      expect(cache.length % 8).toBe(0);
      expect(row?.['sighash']).toBe(createHash('md5').update(cache).digest('hex'));
      expect(cache.equals(fs.readFileSync(fileOf(r)).subarray(96, 96 + cache.length))).toBe(true);
    }
  });

  it('getRPM by id, N-V-R.A and dict; payloadhash is the sigmd5 rpm reports', async () => {
    const s = fx.session();
    const hello = rpmNamed('hello', 'x86_64');
    const byId = (await s.call('getRPM', [hello.id])) as KojiStruct;
    expect(await s.call('getRPM', ['hello-2.0-1.x86_64'])).toEqual(byId);
    expect(await s.call('getRPM', [{ name: 'hello', version: '2.0', release: '1', arch: 'x86_64' }])).toEqual(byId);
    const q = spawnSync('rpm', ['-qp', '--nosignature', '--qf', '%{SIGMD5}', fileOf(hello)], { encoding: 'utf8' });
    expect(byId['payloadhash']).toBe(q.stdout.trim());
    expect(await s.call('getRPM', ['nope-1-1.noarch'])).toBeNull();
    expect((await fault(s.call('getRPM', ['nope-1-1.noarch'], { strict: true }))).code).toBe('KOJI_NO_SUCH_RPM');
    expect(await s.call('getRPM', ['foo-1.0-1.src'])).toMatchObject({ arch: 'src', name: 'foo' });
  });

  it('lists tagged builds and rpms, with one row per (rpm, sigkey) under rpmsigs', async () => {
    const s = fx.session();
    const builds = (await s.call('listTagged', ['f40-candidate'], { latest: true })) as KojiStruct[];
    expect(builds.map((b) => b['nvr']).sort()).toEqual(['foo-1.0-1', 'hello-2.0-1', 'signet-koji-a-1.0-1', 'signet-koji-b-1.0-1']);
    const [rpms, tb] = (await s.call('listTaggedRPMS', ['f40-candidate'], { rpmsigs: true })) as [KojiStruct[], KojiStruct[]];
    expect(tb).toHaveLength(4);
    expect(rpms.length).toBeGreaterThanOrEqual(5);
    expect(rpms.every((r) => typeof r['sigkey'] === 'string')).toBe(true);
    const [noarch] = (await s.call('listTaggedRPMS', ['f40-candidate'], { arch: ['noarch'] })) as [KojiStruct[]];
    expect(new Set(noarch.map((r) => r['arch']))).toEqual(new Set(['noarch']));
    const fooBuild = (await s.call('getBuild', ['foo-1.0-1'])) as KojiStruct;
    expect(((await s.call('listRPMs', [], { buildID: fooBuild['id'] as number })) as KojiStruct[]).map((r) => r['arch']).sort()).toEqual(['noarch', 'src']);
    expect((await fault(s.call('listTagged', ['no-such-tag']))).faultCode).toBe(1000);
  });

  it('serves topdir under topurl with Range (206), and whole files when Range is switched off', async () => {
    const hello = rpmNamed('hello', 'x86_64');
    const rel = rpmPath(buildOf(hello), hello);
    const whole = fs.readFileSync(fileOf(hello));
    const part = await get(`${fx.hub.topurl}/${rel}`, { Range: 'bytes=0-95' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-95/${whole.length}`);
    expect(part.body.equals(whole.subarray(0, 96))).toBe(true);
    expect((await get(`${fx.hub.topurl}/${rel}`, { Range: `bytes=${whole.length + 5}-` })).status).toBe(416);
    fx.hub.rangeSupport = false;
    try {
      const full = await get(`${fx.hub.topurl}/${rel}`, { Range: 'bytes=0-95' });
      expect(full.status).toBe(200);
      expect(full.body.equals(whole)).toBe(true);
    } finally {
      fx.hub.rangeSupport = true;
    }
    expect((await get(`${fx.hub.topurl}/..%2F..%2Fetc%2Fpasswd`)).status).toBeGreaterThanOrEqual(403);
  });
});

describe('test hub: addRPMSig and writeSignedRPM', () => {
  it('needs the sign permission', async () => {
    const a = rpmNamed('signet-koji-a', 'noarch');
    const blob = sigHeaderFor(a, fakePacket([issuer('00000000deadbeef')], []));
    const anon = await fault(fx.session().addRPMSig(a.id, blob));
    expect([anon.faultCode, anon.faultString]).toEqual([1004, 'sign permission required (user not logged in)']);
    const nobody = await fault((await loggedIn('nobody')).addRPMSig(a.id, blob));
    expect([nobody.faultCode, nobody.faultString]).toEqual([1004, 'sign permission required']);
    expect((await fault((await loggedIn('nobody')).writeSignedRPM(a.id, 'deadbeef'))).faultCode).toBe(1004);
  });

  it('refuses <base64> data (fault 1 TypeError), garbage, a header for another rpm, and bad key IDs', async () => {
    const s = await loggedIn('signer');
    const a = rpmNamed('signet-koji-a', 'noarch');
    const b = rpmNamed('signet-koji-b', 'noarch');
    const good = sigHeaderFor(a, fakePacket([issuer('00000000deadbeef')], []));
    const typeErr = await fault(s.call('addRPMSig', [a.id, good]));
    expect(typeErr.faultCode).toBe(1);
    expect(typeErr.faultString).toContain('TypeError');
    const garbage = await fault(s.addRPMSig(a.id, Buffer.from('not a header at all')));
    expect([garbage.faultCode, garbage.faultString.startsWith('Invalid rpm header: bad magic')]).toEqual([1000, true]);
    const wrong = await fault(s.addRPMSig(b.id, good));
    expect(wrong.code).toBe('KOJI_WRONG_MD5');
    expect(wrong.faultString).toBe(`wrong md5 for signet-koji-b-1.0-1.noarch: ${a.payloadhash}`);
    const two = await fault(s.addRPMSig(a.id, sigHeaderFor(a, fakePacket([issuer('00000000deadbeef')], [issuer('00000000cafef00d')]))));
    expect([two.faultCode, two.faultString]).toEqual([1, "<class 'NotImplementedError'>: Unexpected number of key IDs: 2"]);
    const critical = await fault(s.addRPMSig(a.id, sigHeaderFor(a, fakePacket([issuer('00000000deadbeef', true)], []))));
    expect(critical.faultString).toContain('Unexpected number of key IDs: 0');
    expect((await fault(s.addRPMSig(9_999_999, good))).code).toBe('KOJI_NO_SUCH_RPM');
    // An unsigned header derives sigkey '', whose row every rpm already has.
    const unsigned = fs.readFileSync(fileOf(a)).subarray(96, 96 + good.length);
    const dup = await fault(s.addRPMSig(a.id, parsePackageHead(fs.readFileSync(fileOf(a))).signatureRegion));
    expect(dup.code).toBe('KOJI_SIGNATURE_EXISTS');
    expect(unsigned.length).toBe(good.length);
    expect(fx.hub.state.sigs.filter((x) => x.rpmId === a.id).map((x) => x.sigkey)).toEqual(['']);
  });

  it('stores the blob unchanged, keyed by the last 8 hex digits of the issuer; a second add fails with 1000', async () => {
    const s = await loggedIn('signer');
    const a = rpmNamed('signet-koji-a', 'noarch');
    const blob = sigHeaderFor(a, fakePacket([], [issuer('0123456712C944D0')]));
    const noCache = await fault(s.writeSignedRPM(a.id, '12c944d0'));
    expect([noCache.code, noCache.faultString]).toEqual(['KOJI_NO_CACHED_SIGNATURE', 'No cached signature for package signet-koji-a-1.0-1.noarch, key 12c944d0']);
    expect(await s.addRPMSig(a.id, blob)).toBeNull();
    const cached = fx.hub.state.abs(sigcachePath(buildOf(a), a, '12c944d0'));
    expect(fs.readFileSync(cached).equals(blob)).toBe(true);
    const rows = (await s.call('queryRPMSigs', [], { rpm_id: a.id, sigkey: '12c944d0' })) as KojiStruct[];
    expect(rows).toEqual([{ rpm_id: a.id, sigkey: '12c944d0', sighash: createHash('md5').update(blob).digest('hex') }]);
    const again = await fault(s.addRPMSig(a.id, blob));
    expect([again.faultCode, again.code, again.faultString]).toEqual([1000, 'KOJI_SIGNATURE_EXISTS', 'Signature already exists for package signet-koji-a-1.0-1.noarch, key 12c944d0']);

    // writeSignedRPM splices the cached header into the unsigned rpm (sigkey case-insensitive).
    expect(await s.writeSignedRPM(a.id, '12C944D0')).toBeNull();
    const signed = fx.hub.state.abs(signedPath(buildOf(a), a, '12c944d0'));
    const expected = spliceRpmSighdr(blob, fs.readFileSync(fileOf(a)));
    expect(fs.readFileSync(signed).equals(expected)).toBe(true);
    // An existing signed copy is kept without force, rewritten with force.
    fs.writeFileSync(signed, 'stale');
    await s.writeSignedRPM(a.id, '12c944d0');
    expect(fs.readFileSync(signed, 'utf8')).toBe('stale');
    await s.writeSignedRPM(a.id, '12c944d0', true);
    expect(fs.readFileSync(signed).equals(expected)).toBe(true);
    const [rpms] = (await s.call('listTaggedRPMS', ['f40-candidate'], { rpmsigs: true })) as [KojiStruct[]];
    expect(rpms.filter((r) => r['id'] === a.id).map((r) => r['sigkey']).sort()).toEqual(['', '12c944d0']);
  });
});

describe('test hub: multiCall, tagging, call numbers, limits', () => {
  it('multiCall returns [value] or a fault per call, each independent', async () => {
    const s = await loggedIn('signer');
    const b = rpmNamed('signet-koji-b', 'noarch');
    const results = await s.multiCall([
      { method: 'getRPM', args: [b.id] },
      { method: 'writeSignedRPM', args: [b.id, 'feedf00d'] },
      { method: 'queryRPMSigs', kwargs: { rpm_id: b.id } },
      { method: 'noSuchMethod' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false]);
    expect(results[1]?.ok === false && results[1].fault.code).toBe('KOJI_NO_CACHED_SIGNATURE');
    expect(results[2]?.ok === true && results[2].value).toEqual([expect.objectContaining({ sigkey: '' })]);
  });

  it('tagBuildBypass needs tag (or admin); tagBuild returns a task id', async () => {
    const signer = await loggedIn('signer');
    const f = await fault(signer.call('tagBuildBypass', ['f40', 'hello-2.0-1']));
    expect([f.faultCode, f.faultString]).toEqual([1004, 'tag permission required']);
    const tagger = await loggedIn('tagger');
    expect(await tagger.call('tagBuildBypass', ['f40', 'hello-2.0-1'])).toBeNull();
    expect(((await tagger.call('listTagged', ['f40'])) as KojiStruct[]).map((x) => x['nvr'])).toEqual(['hello-2.0-1']);
    expect((await fault(tagger.call('tagBuildBypass', ['f40', 'hello-2.0-1']))).faultCode).toBe(1000);
    expect(typeof (await (await loggedIn('admin')).call('tagBuild', ['f40', 'foo-1.0-1']))).toBe('number');
  });

  it('tagBuild with fromtag is a move: only a task until a builder runs it; a stale move fails in the task', async () => {
    const { state } = fx.hub;
    const tagger = await loggedIn('tagger');
    state.addTag('f40-moved');
    const nvr = 'signet-koji-a-1.0-1';
    const f = await fault((await loggedIn('signer')).call('tagBuild', ['f40-moved', nvr, false, 'f40-candidate']));
    expect(f.faultCode).toBe(1004);
    const task = await tagger.call('tagBuild', ['f40-moved', nvr, false, 'f40-candidate']);
    expect(typeof task).toBe('number');
    // Nothing moved yet: the hub only queued a task.
    expect(((await tagger.call('listTagged', ['f40-moved'])) as KojiStruct[]).map((x) => x['nvr'])).toEqual([]);
    const again = await tagger.call('moveBuild', ['f40-candidate', 'f40-moved', nvr]);
    expect(state.runTasks().filter((t) => t.id === task || t.id === again).map((t) => [t.id, t.state])).toEqual([
      [task, 'CLOSED'],
      [again, 'FAILED'],
    ]);
    expect(((await tagger.call('listTagged', ['f40-moved'])) as KojiStruct[]).map((x) => x['nvr'])).toEqual([nvr]);
    expect(((await tagger.call('listTagged', ['f40-candidate'])) as KojiStruct[]).map((x) => x['nvr'])).not.toContain(nvr);
    expect(state.tasks.find((t) => t.id === again)?.result).toContain('not in tag f40-candidate');
    expect((await fault(tagger.call('tagBuild', ['f40-moved', nvr, false, 'no-such-tag']))).faultCode).toBe(1000);
  });

  it('applies Koji call-number rules: lower → 1008, repeating a committed call → 1009, reads may repeat', async () => {
    const { state } = fx.hub;
    const login = decodeResponse(dispatch(state, { body: Buffer.from(encodeCall('login', ['tagger', 'pw-tagger'])), headers: {}, query: new URLSearchParams(), clientCN: undefined }).body) as KojiStruct;
    const call = (callnum: number, method: string, args: KojiValue[] = []): KojiValue => {
      const headers = { 'koji-session-id': String(login['session-id']), 'koji-session-key': String(login['session-key']), 'koji-session-callnum': String(callnum) };
      return decodeResponse(dispatch(state, { body: Buffer.from(encodeCall(method, args)), headers, query: new URLSearchParams(), clientCN: undefined }).body);
    };
    const faultOf = (fn: () => unknown): KojiFault => {
      try {
        fn();
      } catch (err) {
        if (err instanceof KojiFault) return err;
        throw err;
      }
      throw new Error('expected a fault');
    };
    expect(call(0, 'getLoggedInUser')).toMatchObject({ name: 'tagger' });
    expect(call(0, 'getLoggedInUser')).toMatchObject({ name: 'tagger' }); // reads commit nothing
    expect(call(5, 'tagBuildBypass', ['f40', 'signet-koji-a-1.0-1'])).toBeNull();
    const lower = faultOf(() => call(3, 'getLoggedInUser'));
    expect([lower.faultCode, lower.faultString]).toEqual([1008, `5 > 3 (session ${login['session-id']})`]);
    const retry = faultOf(() => call(5, 'tagBuildBypass', ['f40', 'signet-koji-b-1.0-1']));
    expect(retry.faultCode).toBe(1009);
    expect(retry.faultString).toContain('unable to retry call 5');
    expect(call(6, 'getLoggedInUser')).toMatchObject({ name: 'tagger' });
    // Bad key → AuthError; expired → AuthExpired.
    const badKey = decodeResponse.bind(null, dispatch(state, { body: Buffer.from(encodeCall('hello')), headers: { 'koji-session-id': String(login['session-id']), 'koji-session-key': 'x' }, query: new URLSearchParams(), clientCN: undefined }).body);
    expect(faultOf(badKey).faultCode).toBe(1002);
    const session = state.sessions.get(login['session-id'] as number);
    if (session === undefined) throw new Error('no session');
    session.expired = true;
    expect(faultOf(() => call(7, 'hello')).faultCode).toBe(1007);
  });

  it('refuses requests over MaxRequestLength (4 MiB)', () => {
    const body = Buffer.from(encodeCall('echo', ['x'.repeat(4 * 1024 * 1024 + 10)]));
    const reply = dispatch(fx.hub.state, { body, headers: {}, query: new URLSearchParams(), clientCN: undefined });
    expect(() => decodeResponse(reply.body)).toThrow(/Request too long/);
  });

  it('keeps files under build dirs named as Koji PathInfo does', () => {
    const foo = rpmNamed('foo', 'src');
    expect(rpmPath(buildOf(foo), foo)).toBe('packages/foo/1.0/1/src/foo-1.0-1.src.rpm');
    expect(sigcachePath(buildOf(foo), foo, 'abcd1234')).toBe('packages/foo/1.0/1/data/sigcache/abcd1234/src/foo-1.0-1.src.rpm.sig');
    expect(sigcachePath(buildOf(foo), foo, '')).toBe('packages/foo/1.0/1/data/sigcache/src/foo-1.0-1.src.rpm.sig');
    expect(signedPath(buildOf(foo), foo, 'abcd1234')).toBe('packages/foo/1.0/1/data/signed/abcd1234/src/foo-1.0-1.src.rpm');
    expect(fs.existsSync(fx.hub.state.abs(rpmPath(buildOf(foo), foo)))).toBe(true);
  });
});
