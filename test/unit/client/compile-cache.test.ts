/**
 * The client's compile cache: only in a directory that is this user's alone, never one
 * another user could write (cached code runs in the process that holds the passphrase).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileCacheDir, isPrivateDir } from '../../../packages/client/src/compile-cache.ts';
import { BIN, runNode } from '../../../scripts/lib/run.ts';

describe('compile cache directory', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-cc-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('lives under XDG_CACHE_HOME, else ~/.cache, else nowhere', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/c', HOME: '/h' })).toBe('/c/signet/node-compile-cache');
    expect(compileCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).toBe('/h/.cache/signet/node-compile-cache');
    expect(compileCacheDir({ HOME: '/h' })).toBe('/h/.cache/signet/node-compile-cache');
    expect(compileCacheDir({ HOME: 'relative' })).toBeUndefined();
    expect(compileCacheDir({})).toBeUndefined();
  });

  it('is made private (0700) when missing', () => {
    const dir = path.join(work, 'a', 'b');
    expect(isPrivateDir(dir)).toBe(true);
  });

  it('is refused when others can write it or its parent, or when it is a symlink', () => {
    const open = path.join(work, 'open', 'cache');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    expect(isPrivateDir(open)).toBe(false);

    const parentOpen = path.join(work, 'parent', 'cache');
    mkdirSync(parentOpen, { recursive: true, mode: 0o700 });
    chmodSync(path.dirname(parentOpen), 0o777);
    expect(isPrivateDir(parentOpen)).toBe(false);

    const real = path.join(work, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = path.join(work, 'linked', 'cache');
    mkdirSync(path.dirname(link), { mode: 0o700 });
    symlinkSync(real, link);
    expect(isPrivateDir(link)).toBe(false);
  });

  it('is filled by a signet run in a private directory and left alone in a shared one', async () => {
    const envWith = (cacheHome: string): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome };
      delete env['NODE_DISABLE_COMPILE_CACHE'];
      delete env['NODE_COMPILE_CACHE'];
      return env;
    };
    const privateHome = path.join(work, 'private');
    const ok = await runNode(BIN.client, ['--help'], { env: envWith(privateHome) });
    expect(ok.code, ok.stderr).toBe(0);
    const cache = path.join(privateHome, 'signet', 'node-compile-cache');
    const versions = readdirSync(cache);
    expect(versions.length).toBe(1);
    expect(readdirSync(path.join(cache, versions[0] as string)).length).toBeGreaterThan(10);

    const shared = path.join(work, 'shared');
    const sharedCache = path.join(shared, 'signet', 'node-compile-cache');
    mkdirSync(sharedCache, { recursive: true });
    chmodSync(sharedCache, 0o777);
    const refused = await runNode(BIN.client, ['--help'], { env: envWith(shared) });
    expect(refused.code, refused.stderr).toBe(0);
    expect(refused.stdout).toBe(ok.stdout);
    expect(readdirSync(sharedCache)).toEqual([]);
  });
});
