import { lstatSync, mkdirSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import path from 'node:path';

/**
 * Node's on-disk compile cache for the `signet` command: stripped TypeScript and V8 code of
 * every module, kept between runs, which halves the CPU of a start-up (figures in
 * docs/performance.md). The pipeline runs `signet` once per repository (sign-data) or per
 * batch: start-up is paid every time.
 *
 * Threat: a cache another local user can write is code that runs in the process that holds
 * the key passphrase (V8 trusts cached code whose source length matches). So never Node's
 * default (the shared temp directory): a directory under the user's own cache base
 * ($XDG_CACHE_HOME, else ~/.cache), used only when the base and every directory made below
 * it are real directories owned by this process's user that nobody else can write. A base
 * owned by someone else (e.g. `sudo` keeping the invoking user's HOME) turns the cache off:
 * nothing is created in another user's home. Off with NODE_DISABLE_COMPILE_CACHE=1 (Node's
 * own switch), in which case nothing is created either. Never fails the command.
 */

const SUBDIR = ['signet', 'node-compile-cache'] as const;

/** The cache base and the cache directory for `env`, or undefined when there is no absolute base. */
export function compileCacheDir(env: NodeJS.ProcessEnv): { base: string; dir: string } | undefined {
  const xdg = env['XDG_CACHE_HOME'];
  const home = env['HOME'];
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : home !== undefined && path.isAbsolute(home) ? path.join(home, '.cache') : undefined;
  return base === undefined ? undefined : { base, dir: path.join(base, ...SUBDIR) };
}

/** A real directory (not a symlink) owned by `uid` that neither group nor others can write. */
function isOwnPrivateDir(dir: string, uid: number | undefined): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * The directory holding `base` cannot be used to swap `base` away: owned by this user or
 * root, and writable by nobody else unless sticky (like /tmp, where only an entry's owner
 * may rename it).
 */
function isSafeParent(dir: string, uid: number | undefined): boolean {
  try {
    const st = lstatSync(dir);
    const owner = uid === undefined || st.uid === uid || st.uid === 0;
    return st.isDirectory() && owner && ((st.mode & 0o022) === 0 || (st.mode & 0o1000) !== 0);
  } catch {
    return false;
  }
}

/**
 * True when `base` (made 0700 when missing, as the XDG spec asks) is this user's private
 * directory in a parent nobody else can swap it in, and `base/signet/node-compile-cache`
 * exists (made 0700 when missing) with every level private too. Nothing is created under
 * a directory that is not ours.
 */
export function preparePrivateCacheDir(base: string, uid: number | undefined = process.getuid?.()): boolean {
  if (!isSafeParent(path.dirname(base), uid)) return false;
  try {
    mkdirSync(base, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  if (!isOwnPrivateDir(base, uid)) return false;
  let dir = base;
  for (const part of SUBDIR) {
    dir = path.join(dir, part);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    }
    if (!isOwnPrivateDir(dir, uid)) return false;
  }
  return true;
}

/** Turns the cache on when a private directory is available; otherwise does nothing. */
export function enablePrivateCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  if (env['NODE_DISABLE_COMPILE_CACHE'] !== undefined && env['NODE_DISABLE_COMPILE_CACHE'] !== '') return;
  const where = compileCacheDir(env);
  if (where === undefined || !preparePrivateCacheDir(where.base)) return;
  try {
    enableCompileCache(where.dir);
  } catch {
    // An optimisation only: the command runs the same without it.
  }
}
