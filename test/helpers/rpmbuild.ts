import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTools } from './gpg.ts';

/**
 * Builds real noarch packages with `rpmbuild` from a generated spec, in a temp topdir.
 * Packages are cached per test process (per options); call `disposeRpmBuilds()` in
 * `afterAll` to remove the topdir.
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
  const blob = payloadBytes > 0 ? `head -c ${payloadBytes} /dev/urandom > %{buildroot}/usr/share/${name}/blob\n` : '';
  return `Name: ${name}
Version: 1.0
Release: 1
Summary: Signet test package
License: MIT
BuildArch: noarch

%description
Package built by Signet's tests.

%install
mkdir -p %{buildroot}/usr/share/${name}
i=1
while [ $i -le ${files} ]; do echo "file $i of ${name}" > %{buildroot}/usr/share/${name}/f$i; i=$((i+1)); done
${blob}
%files
/usr/share/${name}
`;
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
  const specPath = path.join(topdir, `${name}.spec`);
  fs.writeFileSync(specPath, specFor(name, files, payloadBytes));
  const defines = [
    `_topdir ${topdir}`,
    // Fast, still-compressed payload: keeps a 50 MB random payload quick to build.
    '_binary_payload w1.gzdio',
    // No brp scripts: nothing to strip in a noarch data package, and they cost seconds.
    '__os_install_post %{nil}',
    ...(reserved === undefined ? [] : [`__gpg_reserved_space ${reserved}`]),
  ].flatMap((d) => ['--define', d]);
  const result = spawnSync('rpmbuild', ['-bb', '--quiet', ...defines, specPath], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`rpmbuild failed (${result.status}): ${result.stdout}${result.stderr}`);
  const out = path.join(topdir, 'RPMS', 'noarch', `${name}-1.0-1.noarch.rpm`);
  if (!fs.existsSync(out)) throw new Error(`rpmbuild did not produce ${out}`);
  cache.set(key, out);
  return out;
}

/** Removes everything `buildRpm` made in this process. */
export function disposeRpmBuilds(): void {
  if (topdir !== undefined) fs.rmSync(topdir, { recursive: true, force: true });
  topdir = undefined;
  cache.clear();
}
