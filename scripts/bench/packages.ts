import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { baseDefines, buildNoarchRpm, noarchSpec } from '../lib/rpmbuild.ts';

/**
 * Test packages for the benchmark, built with the real rpmbuild: a small one (copied
 * many times for the batches), a ~20 KB one and a big one. The big one carries a
 * zero-filled sparse file and an uncompressed payload (`w0.ufdio`), so rpmbuild only
 * streams zeros and the build takes seconds, not minutes.
 */

export function haveTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Builds one package in `topdir`; returns its path. */
function rpmbuild(topdir: string, name: string, install: string): string {
  const spec = noarchSpec({ name, summary: 'Signet benchmark package', description: "Package built by Signet's benchmark.", install });
  // Uncompressed payload: the big package builds at disk speed.
  return buildNoarchRpm(topdir, name, spec, baseDefines(topdir, 'w0.ufdio'));
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
