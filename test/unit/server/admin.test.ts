import fs from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAdmin } from '../../../packages/server/src/admin/index.ts';
import { KeyStore } from '../../../packages/server/src/keystore/index.ts';
import { FakeStdin, gpgVerify, INTEROP, removeDir, runAdminAt, secretFileIn, tempDir } from './helpers.ts';

let dir: string;
let state: string;
const admin = (args: string[], stdin?: FakeStdin) => runAdminAt(state, args, stdin);
const secretFile = (name: string, content: string): string => secretFileIn(dir, name, content);

beforeEach(() => {
  dir = tempDir();
  state = path.join(dir, 'state');
});

afterEach(() => {
  removeDir(dir);
});

describe('admin CLI', () => {
  it('runs the whole provisioning flow with passphrase files', async () => {
    const alicePw = secretFile('alice.pw', 'alice access passphrase\n');
    const bobPw = secretFile('bob.pw', 'bob access passphrase\r\nsecond line ignored\n');
    expect(await admin(['init'])).toMatchObject({ code: 0 });
    expect(fs.existsSync(path.join(state, 'signet.db'))).toBe(true);
    expect((await admin(['init'])).code).toBe(1);
    expect(await admin(['user', 'add', 'alice'])).toMatchObject({ code: 0, stdout: 'added user alice\n' });
    expect((await admin(['user', 'add', 'bob'])).code).toBe(0);

    const gen = await admin(['key', 'generate', 'fedora-test', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', alicePw, '--argon2', 'min', '--uid', 'Fedora Test <test@example.org>']);
    expect(gen).toMatchObject({ code: 0, stderr: '' });
    expect(gen.stdout).toMatch(/^key fedora-test: eddsa256 fingerprint [0-9A-F]{40} key ID [0-9A-F]{16} \(Koji sigkey [0-9a-f]{8}\)\n/);

    const imp = await admin(['key', 'import', 'rpm-rsa', path.join(INTEROP, 'rpm.org-rsa-2048-test.secret'), '--user', 'alice', '--passphrase-file', alicePw, '--argon2', 'min']);
    expect(imp).toMatchObject({ code: 0 });
    expect(imp.stdout).toContain('key ID 4344591E1964C5FC (Koji sigkey 1964c5fc)');

    const grant = await admin(['grant', 'rpm-rsa', 'bob', '--by-passphrase-file', alicePw, '--passphrase-file', bobPw, '--argon2', 'min']);
    expect(grant).toMatchObject({ code: 0, stdout: 'granted key rpm-rsa to bob (by alice)\n' });

    const list = await admin(['key', 'list', '--json']);
    expect(list.code).toBe(0);
    const keys = JSON.parse(list.stdout) as Array<{ name: string; keyId: string; sigkey: string; users: Array<{ name: string; keyAdmin: boolean }> }>;
    expect(keys.map((k) => k.name)).toEqual(['fedora-test', 'rpm-rsa']);
    expect(keys[1]).toMatchObject({ keyId: '4344591E1964C5FC', sigkey: '1964c5fc', users: [{ name: 'alice', keyAdmin: true }, { name: 'bob', keyAdmin: false }] });
    const text = await admin(['key', 'list']);
    expect(text.stdout).toMatch(/^NAME +ALGORITHM +KEY ID +SIGKEY/);
    expect(text.stdout).toContain('alice(admin),bob');

    const pubFile = path.join(dir, 'pub.asc');
    expect((await admin(['key', 'export-public', 'rpm-rsa', '-o', pubFile])).code).toBe(0);
    const stdoutPub = await admin(['key', 'export-public', 'rpm-rsa']);
    expect(stdoutPub.stdout).toBe(fs.readFileSync(pubFile, 'utf8'));
    expect(stdoutPub.stdout).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);

    // bob's passphrase (first line of his file, CR LF stripped) opens his grant.
    const store = await KeyStore.open(state);
    try {
      const signer = await store.unlock('rpm-rsa', 'bob', 'bob access passphrase');
      const data = Buffer.from('header');
      expect(gpgVerify(fs.readFileSync(pubFile, 'utf8'), data, await signer.sign(data))).toContain('VALIDSIG 771B18D3D7BAA28734333C424344591E1964C5FC');
    } finally {
      store.close();
    }
    const users = JSON.parse((await admin(['user', 'list', '--json'])).stdout) as Array<{ name: string; keys: string[] }>;
    expect(users.map((u) => [u.name, u.keys])).toEqual([['alice', ['fedora-test', 'rpm-rsa']], ['bob', ['rpm-rsa']]]);
  });

  it('imports a passphrase-protected key with --key-passphrase-file', async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'p' }], type: 'ecc', curve: 'ed25519Legacy', passphrase: 'file key passphrase', format: 'armored' });
    const keyFile = secretFile('key.asc', privateKey);
    const pw = secretFile('pw', 'alice access passphrase\n');
    await admin(['init']);
    await admin(['user', 'add', 'alice']);
    const missing = await admin(['key', 'import', 'k', keyFile, '--user', 'alice', '--passphrase-file', pw, '--argon2', 'min']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[KEY_PASSPHRASE_REQUIRED]');
    const ok = await admin(['key', 'import', 'k', keyFile, '--user', 'alice', '--passphrase-file', pw, '--key-passphrase-file', secretFile('kp', 'file key passphrase'), '--argon2', 'min']);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
  });

  it('prompts without echo on a terminal, confirming new passphrases', async () => {
    await admin(['init']);
    await admin(['user', 'add', 'alice']);
    const tty = new FakeStdin(true, ['typed passphrase\r', 'typed passphrase\r']);
    const gen = await admin(['key', 'generate', 'k', '--type', 'ed25519', '--user', 'alice', '--argon2', 'min'], tty);
    expect(gen.code).toBe(0);
    expect(gen.stderr).toBe('New access passphrase for alice: \nRepeat to confirm: \n');
    expect(gen.stderr).not.toContain('typed passphrase');
    expect(tty.raw).toBe(false);
    const store = await KeyStore.open(state);
    try {
      await store.unlock('k', 'alice', 'typed passphrase');
    } finally {
      store.close();
    }
    const mismatch = await admin(['key', 'generate', 'k2', '--type', 'ed25519', '--user', 'alice', '--argon2', 'min'], new FakeStdin(true, ['one passphrase\r', 'another passphrase\r']));
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('[PASSPHRASE_MISMATCH]');
  });

  it('exits 2 on usage errors and when no passphrase source exists', async () => {
    await admin(['init']);
    await admin(['user', 'add', 'alice']);
    for (const args of [
      [],
      ['frobnicate'],
      ['key'],
      ['key', 'generate', 'k', '--user', 'alice'],
      ['key', 'generate', 'k', '--type', 'dsa', '--user', 'alice', '--passphrase-file', '/dev/null'],
      ['key', 'list', '--bogus'],
      ['key', 'list', 'extra'],
      ['user', 'add', 'bob', '--json'],
      ['init', '--argon2', 'min'],
      ['key', 'generate', 'k', '--type', 'ed25519', '--user', 'alice', '--argon2', 'fast', '--passphrase-file', '/dev/null'],
      ['key', 'generate', 'k', '--type', 'ed25519', '--user', 'alice'],
    ]) {
      const run = await admin(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/^signet-server admin: /);
    }
    const noState = await runAdmin(['init'], { stdin: new FakeStdin(false), stdout: { write: () => true }, stderr: { write: () => true }, env: {} });
    expect(noState).toBe(2);
  });

  it('exits 1 with the error code on failures, never echoing passphrases', async () => {
    const pw = secretFile('pw', 'alice access passphrase\n');
    const wrong = secretFile('wrong', 'not alice passphrase\n');
    expect((await admin(['user', 'add', 'alice'])).stderr).toContain('[STATE_NOT_INITIALIZED]');
    await admin(['init']);
    await admin(['user', 'add', 'alice']);
    await admin(['user', 'add', 'bob']);
    await admin(['key', 'generate', 'k', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', pw, '--argon2', 'min']);
    const bad = await admin(['grant', 'k', 'bob', '--by', 'alice', '--by-passphrase-file', wrong, '--passphrase-file', pw, '--argon2', 'min']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[BAD_PASSPHRASE]');
    expect(bad.stderr).not.toContain('not alice passphrase');
    expect((await admin(['key', 'export-public', 'nope'])).stderr).toContain('[KEY_NOT_FOUND]');
    expect((await admin(['key', 'import', 'x', path.join(dir, 'missing.asc'), '--user', 'alice', '--passphrase-file', pw])).stderr).toContain('[FILE_READ]');
    expect((await admin(['key', 'import', 'x', path.join(INTEROP, 'rpm.org-rsa-2048-test.pub'), '--user', 'alice', '--passphrase-file', pw, '--argon2', 'min'])).stderr).toContain('[KEY_PUBLIC_ONLY]');
    expect((await admin(['key', 'generate', 'k3', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', secretFile('empty', '\n')])).stderr).toContain('[PASSPHRASE_FILE]');
    expect((await admin(['key', 'generate', 'k3', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', secretFile('long', 'x'.repeat(1100))])).stderr).toContain('[PASSPHRASE_FILE]');
    expect((await admin(['key', 'generate', 'k3', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', secretFile('short', 'short\n')])).stderr).toContain('[PASSPHRASE_INVALID]');
  });

  it('warns about a passphrase file readable by others', async () => {
    await admin(['init']);
    await admin(['user', 'add', 'alice']);
    const pw = path.join(dir, 'open.pw');
    fs.writeFileSync(pw, 'alice access passphrase\n', { mode: 0o644 });
    fs.chmodSync(pw, 0o644);
    const run = await admin(['key', 'generate', 'k', '--type', 'ed25519', '--user', 'alice', '--passphrase-file', pw, '--argon2', 'min']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('readable by group or others');
  });
});
