import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseDefines, buildNoarchRpm, noarchSpec, runRpmbuild } from '../../scripts/lib/rpmbuild.ts';
import { requireTools } from './gpg.ts';

/**
 * Builds real packages with `rpmbuild` from a generated spec, in a temp topdir: single noarch
 * packages (`buildRpm`) and whole multi-arch builds with subpackages (`buildRpmSet`, what
 * one Koji build holds). Packages are cached per test process (per options); call
 * `disposeRpmBuilds()` in `afterAll` to remove the topdir.
 */

export interface RpmBuildOptions {
  /** Package name; default derived from the other options. */
  readonly name?: string;
  /** Number of small files under /usr/share/<name>. Default 3. */
  readonly files?: number;
  /** Bytes of random (incompressible) data in one extra file. Default 0 (no such file). */
  readonly payloadBytes?: number;
  /** `%__gpg_reserved_space`; undefined keeps rpm's default (4096). */
  readonly reservedSpace?: number;
}

let topdir: string | undefined;
const cache = new Map<string, string>();

function specFor(name: string, files: number, payloadBytes: number): string {
  const lines = [
    'i=1',
    `while [ $i -le ${files} ]; do echo "file $i of ${name}" > %{buildroot}/usr/share/${name}/f$i; i=$((i+1)); done`,
    ...(payloadBytes > 0 ? [`head -c ${payloadBytes} /dev/urandom > %{buildroot}/usr/share/${name}/blob`] : []),
  ];
  return noarchSpec({ name, summary: 'Signet test package', description: "Package built by Signet's tests.", install: lines.join('\n') });
}

/** Builds (or returns the cached) package for `options`; returns its path. Do not modify it: copy it. */
export function buildRpm(options: RpmBuildOptions = {}): string {
  requireTools('rpmbuild');
  const files = options.files ?? 3;
  const payloadBytes = options.payloadBytes ?? 0;
  const reserved = options.reservedSpace;
  const name =
    options.name ?? `signet-test-f${files}-p${payloadBytes}${reserved === undefined ? '' : `-r${reserved}`}`;
  const key = JSON.stringify({ name, files, payloadBytes, reserved });
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  topdir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'signet-rpmbuild-'));
  const defines = [...commonDefines(topdir), ...(reserved === undefined ? [] : [`__gpg_reserved_space ${reserved}`])];
  const out = buildNoarchRpm(topdir, name, specFor(name, files, payloadBytes), defines);
  cache.set(key, out);
  return out;
}

function commonDefines(dir: string): string[] {
  return [
    // Fast, still-compressed payload: keeps a 50 MB random payload quick to build.
    ...baseDefines(dir, 'w1.gzdio'),
    // No debuginfo: nothing to extract from a data package.
    'debug_package %{nil}',
  ];
}

export interface RpmSetOptions {
  /** Source package name (the Koji build's name). */
  readonly name: string;
  readonly version?: string;
  readonly release?: string;
  /** Target arches, e.g. `['x86_64', 'aarch64', 'ppc64le']`; each gets every (sub)package. */
  readonly arches: readonly string[];
  /** Subpackages besides the main one (`<name>-sub1`, …). Default 0. */
  readonly subpackages?: number;
}

function setSpec(o: RpmSetOptions): string {
  const subs = Array.from({ length: o.subpackages ?? 0 }, (_, i) => `sub${i + 1}`);
  const lines = [
    `Name: ${o.name}`,
    `Version: ${o.version ?? '1.0'}`,
    `Release: ${o.release ?? '1'}`,
    'Summary: Signet test build',
    'License: MIT',
    '',
    '%description',
    'Build made by Signet tests.',
    ...subs.flatMap((s) => ['', `%package ${s}`, `Summary: Signet test subpackage ${s}`, `%description ${s}`, `Subpackage ${s}.`]),
    '',
    '%install',
    `mkdir -p %{buildroot}/usr/share/${o.name}`,
    ...['main', ...subs].map((s) => `echo "${o.name} ${s} %{_target_cpu}" > %{buildroot}/usr/share/${o.name}/${s}`),
    '',
    '%files',
    `/usr/share/${o.name}/main`,
    ...subs.flatMap((s) => ['', `%files ${s}`, `/usr/share/${o.name}/${s}`]),
    '',
  ];
  return lines.join('\n');
}

/**
 * Builds one source package for several arches in one rpmbuild run (no compiler involved:
 * `--target` only labels the packages); returns every binary rpm, arch by arch.
 */
export function buildRpmSet(o: RpmSetOptions): string[] {
  requireTools('rpmbuild');
  if (!/^[a-z][a-z0-9-]*$/.test(o.name) || o.arches.length === 0) throw new Error('buildRpmSet: bad name or no arches');
  topdir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'signet-rpmbuild-'));
  const key = JSON.stringify(o);
  const cached = setCache.get(key);
  if (cached !== undefined) return cached;
  const specPath = path.join(topdir, `${o.name}-set.spec`);
  fs.writeFileSync(specPath, setSpec(o));
  runRpmbuild(specPath, commonDefines(topdir), ['--target', o.arches.join(',')]);
  const vr = `${o.version ?? '1.0'}-${o.release ?? '1'}`;
  const names = [o.name, ...Array.from({ length: o.subpackages ?? 0 }, (_, i) => `${o.name}-sub${i + 1}`)];
  const out = o.arches.flatMap((arch) => names.map((n) => path.join(topdir as string, 'RPMS', arch, `${n}-${vr}.${arch}.rpm`)));
  for (const f of out) if (!fs.existsSync(f)) throw new Error(`rpmbuild did not produce ${f}`);
  setCache.set(key, out);
  return out;
}

const setCache = new Map<string, string[]>();

/** Removes everything `buildRpm` made in this process. */
export function disposeRpmBuilds(): void {
  if (topdir !== undefined) fs.rmSync(topdir, { recursive: true, force: true });
  topdir = undefined;
  cache.clear();
  setCache.clear();
}
