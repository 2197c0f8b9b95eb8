import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyStore } from '../../../packages/server/src/keystore/index.ts';
import { FakeStdin, removeDir, runAdminAt, secretFileIn, tempDir } from './helpers.ts';

let dir: string;
let state: string;
const admin = (args: string[], stdin?: FakeStdin) => runAdminAt(state, args, stdin);
const secretFile = (name: string, content: string): string => secretFileIn(dir, name, content);
let binding: string;

beforeEach(() => {
  dir = tempDir();
  state = path.join(dir, 'state');
  binding = path.join(dir, 'media', 'signet.binding');
  fs.mkdirSync(path.dirname(binding));
});

afterEach(() => {
  removeDir(dir);
});

describe('admin CLI: key custody', () => {
  it('runs the key life cycle unattended, bound to a binding file', async () => {
    const alice = secretFile('alice.pw', 'alice access passphrase\n');
    const bob = secretFile('bob.pw', 'bob access passphrase\n');
    const B = ['--binding-file', binding];
    const init = await admin(['init', ...B]);
    expect(init).toMatchObject({ code: 0, stderr: '' });
    expect(init.stdout).toContain(`bound to ${binding}`);
    await admin(['user', 'add', 'alice']);
    await admin(['user', 'add', 'bob']);

    // Without the binding file nothing can be wrapped.
    const unbound = await admin(['key', 'generate', 'k', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', alice, '--argon2', 'min']);
    expect(unbound.stderr).toContain('[BINDING_REQUIRED]');

    const gen = await admin(['key', 'generate', 'k', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', alice, '--argon2', 'min', '--json', ...B]);
    expect(gen.code).toBe(0);
    const info = JSON.parse(gen.stdout) as { name: string; status: string; sigkey: string; fingerprint: string };
    expect(info).toMatchObject({ name: 'k', status: 'active', sigkey: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect((await admin(['grant', 'k', 'bob', '--by-passphrase-file', alice, '--passphrase-file', bob, '--argon2', 'min', ...B])).code).toBe(0);

    const year = new Date().getUTCFullYear() + 2;
    const exp = await admin(['key', 'expire', 'k', '--date', `${year}-03-01`, '--by-passphrase-file', alice, '--json', ...B]);
    expect(exp.code).toBe(0);
    expect(JSON.parse(exp.stdout)).toMatchObject({ expires: `${year}-03-01T00:00:00.000Z` });
    const list = await admin(['key', 'list']);
    expect(list.stdout).toMatch(/EXPIRES +STATUS +USERS/);
    expect(list.stdout).toContain(`${year}-03-01  active  alice(admin),bob`);

    // export-public into a directory: RPM-GPG-KEY-<name>, which rpm imports.
    const pubDir = path.join(dir, 'pub');
    fs.mkdirSync(pubDir);
    expect((await admin(['key', 'export-public', 'k', '-o', pubDir])).stdout).toBe(`wrote ${path.join(pubDir, 'RPM-GPG-KEY-k')}\n`);
    const rpmdb = path.join(dir, 'rpmdb');
    fs.mkdirSync(rpmdb);
    execFileSync('rpmkeys', ['--dbpath', rpmdb, '--import', path.join(pubDir, 'RPM-GPG-KEY-k')]);
    expect(execFileSync('rpm', ['--dbpath', rpmdb, '-q', 'gpg-pubkey'], { encoding: 'utf8' })).toContain(`gpg-pubkey-${info.sigkey}`);

    // revoke: needs the key admin; prints the certificate; the key is then refused.
    expect((await admin(['key', 'revoke', 'k', '--reason', 'superseded', '--by', 'bob', '--by-passphrase-file', bob, ...B])).stderr).toContain('[KEY_ADMIN_REQUIRED]');
    const rev = await admin(['key', 'revoke', 'k', '--reason', 'superseded', '--by-passphrase-file', alice, '-o', path.join(dir, 'k.rev'), ...B]);
    expect(rev.code).toBe(0);
    expect(rev.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    expect(fs.readFileSync(path.join(dir, 'k.rev'), 'utf8')).toBe(rev.stdout);
    expect(JSON.parse((await admin(['key', 'list', '--json'])).stdout)[0]).toMatchObject({ status: 'revoked', revocationReason: 'superseded' });
    const store = await KeyStore.open(state, { bindingFile: binding });
    try {
      await expect(store.unlock('k', 'bob', 'bob access passphrase')).rejects.toMatchObject({ code: 'KEY_REVOKED' });
    } finally {
      store.close();
    }

    // rename, then delete: confirmation required, grants block it without --force.
    expect((await admin(['key', 'rename', 'k', 'k-2025'])).stdout).toBe('renamed key k to k-2025\n');
    const noConfirm = await admin(['key', 'delete', 'k-2025']);
    expect(noConfirm.code).toBe(2);
    expect(noConfirm.stderr).toContain('[CONFIRM_REQUIRED]');
    expect((await admin(['key', 'delete', 'k-2025', '--yes'])).stderr).toContain('[GRANTS_EXIST]');
    const declined = await admin(['key', 'delete', 'k-2025', '--force'], new FakeStdin(true, ['k\r']));
    expect(declined.stderr).toContain('[CONFIRM_DECLINED]');
    const del = await admin(['key', 'delete', 'k-2025', '--force'], new FakeStdin(true, ['k-2025\r']));
    expect(del).toMatchObject({ code: 0, stdout: 'deleted key k-2025\n' });
    expect(del.stderr).not.toContain('k-2025\r');
    expect(JSON.parse((await admin(['key', 'list', '--json'])).stdout)).toEqual([]);
  });

  it('manages users and grants; revoke never strands a key', async () => {
    const alice = secretFile('alice.pw', 'alice access passphrase\n');
    const bob = secretFile('bob.pw', 'bob access passphrase\n');
    await admin(['init']);
    await admin(['user', 'add', 'alice']);
    await admin(['user', 'add', 'bob']);
    await admin(['key', 'generate', 'k', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', alice, '--argon2', 'min']);
    await admin(['grant', 'k', 'bob', '--by-passphrase-file', alice, '--passphrase-file', bob, '--argon2', 'min']);
    expect((await admin(['revoke', 'k', 'alice'])).stderr).toContain('[LAST_KEY_ADMIN]');
    expect((await admin(['user', 'delete', 'alice', '--yes'])).stderr).toContain('[LAST_KEY_ADMIN]');

    const store = await KeyStore.open(state);
    try {
      for (let i = 0; i < 10; i++) await store.unlock('k', 'bob', 'wrong passphrase').catch(() => undefined);
    } finally {
      store.close();
    }
    const show = JSON.parse((await admin(['user', 'show', 'bob', '--json'])).stdout) as { grants: Array<{ key: string; keyAdmin: boolean; grantedBy: string; failures: number; locked: boolean }> };
    expect(show.grants).toEqual([expect.objectContaining({ key: 'k', keyAdmin: false, grantedBy: 'alice', failures: 3, locked: false })]);
    const text = await admin(['user', 'show', 'bob']);
    expect(text.stdout).toMatch(/^user bob, created .*\nKEY +ROLE +GRANTED BY +SINCE +FAILED UNLOCKS\nk +user +alice /);
    expect((await admin(['user', 'unlock', 'bob', '--key', 'k'])).stdout).toBe('cleared failed unlocks of bob for key k (1 grant)\n');
    expect(JSON.parse((await admin(['user', 'show', 'bob', '--json'])).stdout).grants[0].failures).toBe(0);

    expect((await admin(['revoke', 'k', 'bob'])).stdout).toBe("revoked bob's access to key k\n");
    expect((await admin(['revoke', 'k', 'alice'])).stderr).toContain('[LAST_GRANT]');
    expect((await admin(['user', 'delete', 'bob', '--yes'])).stdout).toBe('deleted user bob\n');
    expect(JSON.parse((await admin(['user', 'list', '--json'])).stdout).map((u: { name: string }) => u.name)).toEqual(['alice']);
    expect((await admin(['user', 'show', 'bob'])).stderr).toContain('[USER_NOT_FOUND]');
  });

  it('exits 2 on malformed custody options', async () => {
    await admin(['init']);
    for (const args of [
      ['key', 'expire', 'k'],
      ['key', 'expire', 'k', '--date', '2030-02-30', '--by-passphrase-file', '/dev/null'],
      ['key', 'expire', 'k', '--date', '2030-01-01', '--never'],
      ['key', 'revoke', 'k'],
      ['key', 'revoke', 'k', '--reason', 'bored'],
      ['key', 'delete'],
      ['key', 'rename', 'a'],
      ['revoke', 'k'],
      ['user', 'unlock', 'bob', '--force'],
      ['user', 'delete', 'bob', '--key', 'k'],
    ]) {
      const run = await admin(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
    }
  });
});
