import path from 'node:path';
import type { KojiValue } from './values.ts';
import { badAnswer, idOf, struct } from './hub-answer.ts';

/**
 * Rows of `listTaggedRPMS` / `queryRPMSigs`, parsed and bounded before use (the hub's
 * answer is input like any other), and Koji's `PathInfo` for the default volume.
 */

export interface BuildNames {
  readonly id: number;
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly volumeName: string | undefined;
}

export interface TaggedRpm {
  readonly id: number;
  readonly buildId: number;
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
  /** The sigmd5 (hex of signature tag 1004), as Koji stores it. */
  readonly payloadhash: string;
  readonly build: BuildNames;
}

export interface RpmSigRow {
  readonly rpmId: number;
  readonly sigkey: string;
  readonly sighash: string;
}

/** A path segment from the hub: no separators, no dot-segments (Threat: a hostile hub steering reads out of topdir). */
const SEGMENT = /^(?!\.\.?$)[A-Za-z0-9._+~^-]{1,255}$/;

function seg(s: Record<string, KojiValue>, key: string, what: string): string {
  const v = s[key];
  if (typeof v !== 'string' || !SEGMENT.test(v)) badAnswer(`${what}.${key} is not a file name segment`);
  return v;
}

export const nvra = (r: Pick<TaggedRpm, 'name' | 'version' | 'release' | 'arch'>): string => `${r.name}-${r.version}-${r.release}.${r.arch}`;
export const nvr = (b: Pick<BuildNames, 'name' | 'version' | 'release'>): string => `${b.name}-${b.version}-${b.release}`;

/** Parses `listTaggedRPMS(tag)` → `[rpms, builds]`, joining each rpm to its build. */
export function parseTaggedRpms(value: KojiValue): TaggedRpm[] {
  if (!Array.isArray(value) || value.length !== 2 || !Array.isArray(value[0]) || !Array.isArray(value[1])) badAnswer('listTaggedRPMS did not return [rpms, builds]');
  const builds = new Map<number, BuildNames>();
  for (const b of value[1] as KojiValue[]) {
    const s = struct(b, 'build');
    const id = idOf(s, 'build_id' in s ? 'build_id' : 'id', 'build');
    const vol = s['volume_name'];
    builds.set(id, { id, name: seg(s, 'name', 'build'), version: seg(s, 'version', 'build'), release: seg(s, 'release', 'build'), volumeName: typeof vol === 'string' && vol !== 'DEFAULT' && SEGMENT.test(vol) ? vol : undefined });
  }
  const seen = new Set<number>();
  const out: TaggedRpm[] = [];
  for (const r of value[0] as KojiValue[]) {
    const s = struct(r, 'rpm');
    const id = idOf(s, 'id', 'rpm');
    if (seen.has(id)) continue; // rows repeat per sigkey with rpmsigs=True
    seen.add(id);
    const buildId = idOf(s, 'build_id', 'rpm');
    const build = builds.get(buildId) ?? badAnswer(`rpm ${id} belongs to build ${buildId}, which the hub did not list`);
    const payloadhash = s['payloadhash'];
    if (typeof payloadhash !== 'string' || !/^[0-9a-f]{32}$/.test(payloadhash)) badAnswer(`rpm ${id} has no 32-hex payloadhash (sigmd5)`);
    out.push({ id, buildId, name: seg(s, 'name', 'rpm'), version: seg(s, 'version', 'rpm'), release: seg(s, 'release', 'rpm'), arch: seg(s, 'arch', 'rpm'), payloadhash, build });
  }
  return out;
}

/** Parses `queryRPMSigs(...)` rows. */
export function parseSigRows(value: KojiValue): RpmSigRow[] {
  if (!Array.isArray(value)) badAnswer('queryRPMSigs did not return a list');
  return value.map((v) => {
    const s = struct(v, 'rpmsig');
    const sigkey = s['sigkey'];
    const sighash = s['sighash'];
    if (typeof sigkey !== 'string' || !/^[0-9a-f]{0,8}$/.test(sigkey)) badAnswer('rpmsig.sigkey is not 0–8 lowercase hex digits');
    if (typeof sighash !== 'string' || sighash.length > 128) badAnswer('rpmsig.sighash is not a short string');
    return { rpmId: idOf(s, 'rpm_id', 'rpmsig'), sigkey, sighash };
  });
}

function buildDir(b: BuildNames): string {
  const base = b.volumeName === undefined ? '' : `vol/${b.volumeName}/`;
  return `${base}packages/${b.name}/${b.version}/${b.release}`;
}

/** Unsigned copy, relative to topdir: `<build dir>/<arch>/<N-V-R.A>.rpm`. */
export function rpmRelPath(r: TaggedRpm): string {
  return path.posix.join(buildDir(r.build), r.arch, `${nvra(r)}.rpm`);
}

/** Signed copy, relative to topdir: `<build dir>/data/signed/<sigkey>/<arch>/<N-V-R.A>.rpm`. */
export function signedRelPath(r: TaggedRpm, sigkey: string): string {
  return path.posix.join(buildDir(r.build), 'data', 'signed', sigkey, r.arch, `${nvra(r)}.rpm`);
}
