/**
 * The client's compile cache: only in a directory that is this user's alone, never one
 * another user could write or swap (cached code runs in the process that holds the
 * passphrase), and nothing created in a home that is not ours.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileCacheDir, preparePrivateCacheDir } from '../../../packages/client/src/compile-cache.ts';
import { BIN, runNode } from '../../../scripts/lib/run.ts';

describe('compile cache directory', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-cc-'));
    chmodSync(work, 0o700);
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('lives under XDG_CACHE_HOME, else ~/.cache, else nowhere', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/c', HOME: '/h' })).toEqual({ base: '/c', dir: '/c/signet/node-compile-cache' });
    expect(compileCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' })?.dir).toBe('/h/.cache/signet/node-compile-cache');
    expect(compileCacheDir({ HOME: '/h' })?.base).toBe('/h/.cache');
    expect(compileCacheDir({ HOME: 'relative' })).toBeUndefined();
    expect(compileCacheDir({})).toBeUndefined();
  });

  it('is made, every level mode 0700, under a private parent', () => {
    const base = path.join(work, 'cache');
    expect(preparePrivateCacheDir(base)).toBe(true);
    for (const d of [base, path.join(base, 'signet'), path.join(base, 'signet', 'node-compile-cache')]) {
      expect(statSync(d).mode & 0o777).toBe(0o700);
    }
    // In a sticky world-writable parent (like /tmp) the base cannot be swapped by others.
    const sticky = path.join(work, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    expect(preparePrivateCacheDir(path.join(sticky, 'cache'))).toBe(true);
  });

  it('is refused when others can write or swap a level, when a level is a symlink, or when the base is not ours', () => {
    const openBase = path.join(work, 'open');
    mkdirSync(openBase);
    chmodSync(openBase, 0o777);
    expect(preparePrivateCacheDir(openBase)).toBe(false);

    const openSub = path.join(work, 'opensub');
    mkdirSync(path.join(openSub, 'signet'), { recursive: true, mode: 0o700 });
    chmodSync(path.join(openSub, 'signet'), 0o777);
    expect(preparePrivateCacheDir(openSub)).toBe(false);

    const swappable = path.join(work, 'swappable');
    mkdirSync(swappable);
    chmodSync(swappable, 0o777); // world-writable, not sticky: anyone could rename the base
    expect(preparePrivateCacheDir(path.join(swappable, 'cache'))).toBe(false);
    expect(existsSync(path.join(swappable, 'cache'))).toBe(false);

    const linked = path.join(work, 'linked');
    mkdirSync(linked, { mode: 0o700 });
    const elsewhere = path.join(work, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, path.join(linked, 'signet'));
    expect(preparePrivateCacheDir(linked)).toBe(false);

    // Another user's cache base (as under `sudo` with the caller's HOME): refused, nothing made in it.
    const theirs = path.join(work, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    const someoneElse = (process.getuid?.() ?? 0) + 4242;
    expect(preparePrivateCacheDir(theirs, someoneElse)).toBe(false);
    expect(readdirSync(theirs)).toEqual([]);
  });

  it('is filled by a signet run in a private directory, and left alone when shared or turned off', async () => {
    const envWith = (cacheHome: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome, ...extra };
      if (extra['NODE_DISABLE_COMPILE_CACHE'] === undefined) delete env['NODE_DISABLE_COMPILE_CACHE'];
      delete env['NODE_COMPILE_CACHE'];
      return env;
    };
    const privateBase = path.join(work, 'private');
    const ok = await runNode(BIN.client, ['--help'], { env: envWith(privateBase) });
    expect(ok.code, ok.stderr).toBe(0);
    const cache = path.join(privateBase, 'signet', 'node-compile-cache');
    const versions = readdirSync(cache);
    expect(versions.length).toBe(1);
    expect(readdirSync(path.join(cache, versions[0] as string)).length).toBeGreaterThan(10);

    const shared = path.join(work, 'shared');
    const sharedCache = path.join(shared, 'signet', 'node-compile-cache');
    mkdirSync(sharedCache, { recursive: true, mode: 0o700 });
    chmodSync(sharedCache, 0o777);
    const refused = await runNode(BIN.client, ['--help'], { env: envWith(shared) });
    expect(refused.code, refused.stderr).toBe(0);
    expect(refused.stdout).toBe(ok.stdout);
    expect(readdirSync(sharedCache)).toEqual([]);

    const offBase = path.join(work, 'off');
    const off = await runNode(BIN.client, ['--help'], { env: envWith(offBase, { NODE_DISABLE_COMPILE_CACHE: '1' }) });
    expect(off.code, off.stderr).toBe(0);
    expect(existsSync(offBase)).toBe(false);
  });
});
