import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Real packages from the real `rpmbuild`, for the tests and the benchmark: a generated
 * spec of one noarch data package, and the rpmbuild call. Callers choose the payload
 * (the benchmark builds uncompressed, the tests gzip) and add their own defines.
 */

export interface NoarchSpecOptions {
  /** Package name; files go under /usr/share/<name>. */
  name: string;
  summary: string;
  description: string;
  /** Shell lines of %install run after /usr/share/<name> is made in the buildroot. */
  install: string;
}

/** Spec text of `name`-1.0-1.noarch owning /usr/share/<name>. */
export function noarchSpec(o: NoarchSpecOptions): string {
  return `Name: ${o.name}
Version: 1.0
Release: 1
Summary: ${o.summary}
License: MIT
BuildArch: noarch

%description
${o.description}

%install
mkdir -p %{buildroot}/usr/share/${o.name}
${o.install}

%files
/usr/share/${o.name}
`;
}

/** Defines every build uses: `topdir` for all of rpmbuild's trees, the payload, no brp scripts. */
export function baseDefines(topdir: string, payload: 'w0.ufdio' | 'w1.gzdio'): string[] {
  return [
    `_topdir ${topdir}`,
    // w0.ufdio: uncompressed, a big package builds at disk speed; w1.gzdio: fast, still compressed.
    `_binary_payload ${payload}`,
    // No brp scripts: nothing to strip in a data package, and they cost seconds.
    '__os_install_post %{nil}',
  ];
}

/** `rpmbuild -bb --quiet [extra…] --define d… spec`; throws with rpmbuild's output on failure. */
export function runRpmbuild(specPath: string, defines: readonly string[], extra: readonly string[] = []): void {
  const r = spawnSync('rpmbuild', ['-bb', '--quiet', ...extra, ...defines.flatMap((d) => ['--define', d]), specPath], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error) throw new Error(`rpmbuild ${path.basename(specPath)} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`rpmbuild ${path.basename(specPath)} failed (${r.status}): ${r.stdout}${r.stderr}`);
}

/** Writes `spec` as `topdir/<name>.spec`, builds it; returns the noarch package's path. */
export function buildNoarchRpm(topdir: string, name: string, spec: string, defines: readonly string[]): string {
  mkdirSync(topdir, { recursive: true });
  const specPath = path.join(topdir, `${name}.spec`);
  writeFileSync(specPath, spec);
  runRpmbuild(specPath, defines);
  const out = path.join(topdir, 'RPMS', 'noarch', `${name}-1.0-1.noarch.rpm`);
  if (!existsSync(out)) throw new Error(`rpmbuild did not produce ${out}`);
  return out;
}
