import { describe, expect, it } from 'vitest';
import { planCounts, planRpm, planTag, sigkeyOf } from '../../../packages/client/src/koji/plan.ts';
import { parseSigRows, parseTaggedRpms, rpmRelPath, signedRelPath } from '../../../packages/client/src/koji/tagged.ts';
import type { RpmSigRow, TaggedRpm } from '../../../packages/client/src/koji/tagged.ts';
import { missingFromPlan } from '../../../packages/client/src/commands/check-tag.ts';

const KEY = '12c944d0';
const build = { id: 7, name: 'foo', version: '1.0', release: '1.fc40', volumeName: undefined };
const rpm = (id: number, arch = 'x86_64'): TaggedRpm => ({ id, buildId: 7, name: 'foo', version: '1.0', release: '1.fc40', arch, payloadhash: 'a'.repeat(32), build });
const sig = (rpmId: number, sigkey: string): RpmSigRow => ({ rpmId, sigkey, sighash: 'b'.repeat(32) });

describe('sigkeyOf', () => {
  it('takes the last 8 hex digits of a key ID or fingerprint, lowercase', () => {
    expect(sigkeyOf('0123456712C944D0')).toBe(KEY);
    expect(sigkeyOf('AAAABBBBCCCCDDDDEEEEFFFF0123456712C944D0')).toBe(KEY);
  });
  it('refuses what is not a key ID', () => {
    expect(() => sigkeyOf('12c944d0')).toThrow(TypeError);
    expect(() => sigkeyOf('0123456712C944DZ')).toThrow(TypeError);
  });
});

describe('planRpm', () => {
  it('signs when only the unsigned row or another key is stored', () => {
    expect(planRpm([], KEY, false)).toBe('sign');
    expect(planRpm([sig(1, '')], KEY, false)).toBe('sign');
    expect(planRpm([sig(1, ''), sig(1, 'deadbeef')], KEY, true)).toBe('sign');
  });
  it('writes only when the signature is stored but the copy is missing', () => {
    expect(planRpm([sig(1, ''), sig(1, KEY)], KEY, false)).toBe('write');
  });
  it('skips when signature and copy are both there', () => {
    expect(planRpm([sig(1, KEY)], KEY, true)).toBe('skip');
  });
  it('does not trust a signed copy without a stored signature', () => {
    expect(planRpm([sig(1, '')], KEY, true)).toBe('sign');
  });
  it('compares sigkeys exactly (an uppercase sigkey is another key to Koji)', () => {
    expect(planRpm([sig(1, KEY.toUpperCase())], KEY, true)).toBe('sign');
  });
});

describe('planTag', () => {
  it('decides per rpm, ignoring rows of other rpms', () => {
    const rpms = [rpm(1), rpm(2), rpm(3, 'noarch'), rpm(4, 'src')];
    const sigs = [sig(1, ''), sig(2, KEY), sig(3, KEY), sig(99, KEY), sig(4, 'deadbeef')];
    const plan = planTag(rpms, sigs, new Set([3, 4, 99]), KEY);
    expect(plan.map((p) => [p.rpm.id, p.action])).toEqual([
      [1, 'sign'],
      [2, 'write'],
      [3, 'skip'],
      [4, 'sign'],
    ]);
    expect(planCounts(plan)).toEqual({ skip: 1, write: 1, sign: 2 });
    expect(missingFromPlan(plan)).toEqual([
      { rpm: 'foo-1.0-1.fc40.x86_64', id: 1, missing: 'unsigned' },
      { rpm: 'foo-1.0-1.fc40.x86_64', id: 2, missing: 'no-signed-copy' },
      { rpm: 'foo-1.0-1.fc40.src', id: 4, missing: 'unsigned' },
    ]);
  });
  it('refuses a sigkey that is not 8 lowercase hex digits', () => {
    expect(() => planTag([], [], new Set(), 'ABCDEF01')).toThrow(TypeError);
  });
});

describe('hub rows', () => {
  const builds = [{ id: 7, build_id: 7, name: 'foo', version: '1.0', release: '1.fc40', volume_name: 'DEFAULT' }];
  const row = { id: 1, build_id: 7, name: 'foo', version: '1.0', release: '1.fc40', arch: 'x86_64', payloadhash: 'a'.repeat(32) };

  it('joins rpms to builds, once per rpm, and derives PathInfo paths', () => {
    const rpms = parseTaggedRpms([[row, { ...row, sigkey: KEY }], builds]);
    expect(rpms).toHaveLength(1);
    expect(rpmRelPath(rpms[0] as TaggedRpm)).toBe('packages/foo/1.0/1.fc40/x86_64/foo-1.0-1.fc40.x86_64.rpm');
    expect(signedRelPath(rpms[0] as TaggedRpm, KEY)).toBe(`packages/foo/1.0/1.fc40/data/signed/${KEY}/x86_64/foo-1.0-1.fc40.x86_64.rpm`);
  });
  it('refuses names that would leave topdir, and missing sigmd5', () => {
    expect(() => parseTaggedRpms([[{ ...row, arch: '..' }], builds])).toThrow(/KOJI_HUB_ANSWER|segment/);
    expect(() => parseTaggedRpms([[row], [{ ...builds[0], name: 'a/../../etc' }]])).toThrow(/segment/);
    expect(() => parseTaggedRpms([[{ ...row, payloadhash: null }], builds])).toThrow(/payloadhash/);
    expect(() => parseTaggedRpms([[{ ...row, build_id: 8 }], builds])).toThrow(/did not list/);
  });
  it('parses queryRPMSigs rows and refuses odd sigkeys', () => {
    expect(parseSigRows([{ rpm_id: 1, sigkey: '', sighash: 'x' }])).toEqual([{ rpmId: 1, sigkey: '', sighash: 'x' }]);
    expect(() => parseSigRows([{ rpm_id: 1, sigkey: '../x', sighash: 'x' }])).toThrow(/sigkey/);
  });
});
