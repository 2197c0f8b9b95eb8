import fs from 'node:fs';
import path from 'node:path';

/**
 * Where rpm's own test packages and keys live (the interop corpus: hello-2.0-1, foo-1.0-1,
 * the rpm.org test keys): `$SIGNET_INTEROP_DIR`, else `shared/interop` beside the
 * checkout, else this machine's `/work/shared/interop` (for a checkout elsewhere, as CI
 * may make).
 *
 * Checked when this module loads: a test that needs the corpus FAILS when it is missing,
 * with a message saying where it was looked for. It is never skipped, so a machine without
 * the corpus cannot pass the suite by testing less.
 */
export const DEFAULT_INTEROP_DIRS: readonly string[] = [
  path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'interop'),
  '/work/shared/interop',
];

export const INTEROP_DIR: string = resolveInteropDir(process.env['SIGNET_INTEROP_DIR']);

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The corpus directory named by `override`, else the first default that exists; throws unless one does. */
export function resolveInteropDir(override: string | undefined, defaults: readonly string[] = DEFAULT_INTEROP_DIRS): string {
  const fromEnv = override !== undefined && override !== '';
  const candidates = fromEnv ? [path.resolve(override)] : defaults;
  const found = candidates.find(isDirectory);
  if (found === undefined) {
    throw new Error(
      `interop corpus not found: ${candidates.join(', ')} ${fromEnv ? '(from $SIGNET_INTEROP_DIR) is' : '(the defaults) are'} not a directory. ` +
        `Set SIGNET_INTEROP_DIR to the directory holding rpm's test packages and keys (hello-2.0-1.x86_64.rpm, rpm.org-rsa-2048-test.pub, ...).`,
    );
  }
  return found;
}
