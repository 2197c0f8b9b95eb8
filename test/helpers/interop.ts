import fs from 'node:fs';
import path from 'node:path';

/**
 * Where rpm's own test packages and keys live (the interop corpus: hello-2.0-1, foo-1.0-1,
 * the rpm.org test keys). `$SIGNET_INTEROP_DIR` overrides the default.
 *
 * Checked when this module loads: a test that needs the corpus FAILS when it is missing,
 * with a message saying where it was looked for. It is never skipped, so a machine without
 * the corpus cannot pass the suite by testing less.
 */
export const DEFAULT_INTEROP_DIR = '/work/shared/interop';

export const INTEROP_DIR: string = resolveInteropDir(process.env['SIGNET_INTEROP_DIR']);

/** The corpus directory named by `override` (else the default); throws unless it exists. */
export function resolveInteropDir(override: string | undefined): string {
  const fromEnv = override !== undefined && override !== '';
  const dir = path.resolve(fromEnv ? override : DEFAULT_INTEROP_DIR);
  const source = fromEnv ? '$SIGNET_INTEROP_DIR' : `the default (${DEFAULT_INTEROP_DIR})`;
  let isDir = false;
  try {
    isDir = fs.statSync(dir).isDirectory();
  } catch {
    // Missing or unreadable: reported just below.
  }
  if (!isDir) {
    throw new Error(
      `interop corpus not found: ${dir} (from ${source}) is not a directory. ` +
        `Set SIGNET_INTEROP_DIR to the directory holding rpm's test packages and keys (hello-2.0-1.x86_64.rpm, rpm.org-rsa-2048-test.pub, ...).`,
    );
  }
  return dir;
}
