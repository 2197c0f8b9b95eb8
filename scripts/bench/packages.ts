import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Test packages for the benchmark, built with the real rpmbuild: a small one (copied
 * many times for the batches), a ~20 KB one and a big one. The big one carries a
 * zero-filled sparse file and an uncompressed payload (`w0.ufdio`), so rpmbuild only
 * streams zeros and the build takes seconds, not minutes.
 */

export function haveTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

function spec(name: string, install: string): string {
  return `Name: ${name}
Version: 1.0
Release: 1
Summary: Signet benchmark package
License: MIT
BuildArch: noarch

%description
Package built by Signet's benchmark.

%install
mkdir -p %{buildroot}/usr/share/${name}
${install}

%files
/usr/share/${name}
`;
}

/** Builds one package in `topdir`; returns its path. */
function rpmbuild(topdir: string, name: string, install: string): string {
  mkdirSync(topdir, { recursive: true });
  const specPath = path.join(topdir, `${name}.spec`);
  writeFileSync(specPath, spec(name, install));
  const defines = [
    `_topdir ${topdir}`,
    // Uncompressed payload: the big package builds at disk speed.
    '_binary_payload w0.ufdio',
    '__os_install_post %{nil}',
  ].flatMap((d) => ['--define', d]);
  const r = spawnSync('rpmbuild', ['-bb', '--quiet', ...defines, specPath], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`rpmbuild ${name} failed (${r.status}): ${r.stdout}${r.stderr}`);
  const out = path.join(topdir, 'RPMS', 'noarch', `${name}-1.0-1.noarch.rpm`);
  if (!existsSync(out)) throw new Error(`rpmbuild did not produce ${out}`);
  return out;
}

/** A small package: a few text files, a main header of about 3 KB. */
export function buildSmallRpm(topdir: string): string {
  return rpmbuild(topdir, 'signet-bench-small', 'for i in 1 2 3 4 5; do echo "file $i" > %{buildroot}/usr/share/signet-bench-small/f$i; done');
}

/** A package of about `bytes` on disk, random (incompressible) content. */
export function buildSizedRpm(topdir: string, name: string, payloadBytes: number): string {
  return rpmbuild(topdir, name, `head -c ${payloadBytes} /dev/urandom > %{buildroot}/usr/share/${name}/blob`);
}

/** A package holding one zero-filled file of `bytes` (sparse in the buildroot). */
export function buildBigRpm(topdir: string, name: string, bytes: number): string {
  return rpmbuild(topdir, name, `truncate -s ${bytes} %{buildroot}/usr/share/${name}/blob`);
}

/** `count` copies of `src` in `dir` with distinct names; returns their paths. */
export function copies(src: string, dir: string, count: number): string[] {
  mkdirSync(dir, { recursive: true });
  const base = path.basename(src, '.rpm');
  return Array.from({ length: count }, (_, i) => {
    const dest = path.join(dir, `${base}-${String(i).padStart(5, '0')}.rpm`);
    copyFileSync(src, dest);
    return dest;
  });
}

export function sizeOf(file: string): number {
  return statSync(file).size;
}
