import path from 'node:path';

/** Koji's `PathInfo` for the default volume: where a build's files live under `topdir`. */
export interface BuildNames {
  readonly name: string;
  readonly version: string;
  readonly release: string;
}
export interface RpmNames {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
}

export function nvra(r: RpmNames): string {
  return `${r.name}-${r.version}-${r.release}.${r.arch}`;
}

/** `packages/<name>/<version>/<release>`, relative to topdir. */
export function buildDir(b: BuildNames): string {
  return path.posix.join('packages', b.name, b.version, b.release);
}

/** Unsigned copy: `<build dir>/<arch>/<N-V-R.A>.rpm`. */
export function rpmPath(b: BuildNames, r: RpmNames): string {
  return path.posix.join(buildDir(b), r.arch, `${nvra(r)}.rpm`);
}

/** Sigcache: `<build dir>/data/sigcache/<sigkey>/<arch>/<N-V-R.A>.rpm.sig` (no key dir for ''). */
export function sigcachePath(b: BuildNames, r: RpmNames, sigkey: string): string {
  return path.posix.join(buildDir(b), 'data', 'sigcache', sigkey, r.arch, `${nvra(r)}.rpm.sig`);
}

/** Signed copy: `<build dir>/data/signed/<sigkey>/<arch>/<N-V-R.A>.rpm`. */
export function signedPath(b: BuildNames, r: RpmNames, sigkey: string): string {
  return path.posix.join(buildDir(b), 'data', 'signed', sigkey, r.arch, `${nvra(r)}.rpm`);
}
