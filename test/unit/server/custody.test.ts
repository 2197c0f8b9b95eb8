import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import * as openpgp from 'openpgp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyStore, KeyStoreError } from '../../../packages/server/src/keystore/index.ts';
import { auditRows, expectCode, gpgVerify, removeDir, tempDir } from './helpers.ts';

const ALICE_PW = 'alice access passphrase';
const BOB_PW = 'bob access passphrase';
const DATA = Buffer.from('stand-in for an RPM main header');
const DAY = 86400_000;

/** gpg --with-colons --list-keys of an armored key (or key + extra certificates) in a throwaway home. */
function gpgList(...armored: string[]): string[][] {
  const home = tempDir();
  try {
    fs.chmodSync(home, 0o700);
    armored.forEach((a, i) => {
      fs.writeFileSync(path.join(home, `${i}.asc`), a);
      execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', '--import', path.join(home, `${i}.asc`)], { stdio: 'pipe' });
    });
    const out = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--list-keys'], { encoding: 'utf8' });
    return out.split('\n').filter((l) => /^(pub|sub):/.test(l)).map((l) => l.split(':'));
  } finally {
    spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
    removeDir(home);
  }
}

let dir: string;
let clock: number;
let store: KeyStore;
const now = (): Date => new Date(clock);

beforeEach(async () => {
  dir = tempDir();
  clock = Math.floor(Date.now() / 1000) * 1000 - 30 * DAY;
  store = await KeyStore.init(dir, { argon2: 'min', now });
  store.addUser('alice');
  store.addUser('bob');
});

afterEach(() => {
  store.close();
  removeDir(dir);
});

const asAlice = { byUser: 'alice', byPassphrase: ALICE_PW };

describe('key generate', () => {
  it('makes RSA-3072 keys that gpg verifies', async () => {
    const info = await store.generateKey('k3072', 'rsa3072', 'alice', ALICE_PW);
    expect(info).toMatchObject({ algorithm: 'rsa', bits: 3072, status: 'active', revoked: null });
    clock += 1000;
    const signer = await store.unlock('k3072', 'alice', ALICE_PW);
    expect(gpgVerify(store.publicKeyArmored('k3072'), DATA, await signer.sign(DATA))).toContain(`VALIDSIG ${info.fingerprint}`);
  });
});

describe('key expire', () => {
  it('re-signs the self-signatures with the new expiry, which gpg reads', async () => {
    const info = await store.generateKey('k', 'ed25519', 'alice', ALICE_PW);
    clock += DAY;
    const until = new Date(Date.UTC(new Date(clock).getUTCFullYear() + 2, 0, 1));
    const updated = await store.setExpiry('k', until, asAlice);
    expect(updated).toMatchObject({ expires: until.toISOString(), status: 'active', fingerprint: info.fingerprint });
    const [pub] = gpgList(store.publicKeyArmored('k'));
    expect(pub?.[1]).toBe('-'); // valid (not expired, not revoked)
    expect(pub?.[6]).toBe(String(until.getTime() / 1000));
    const signer = await store.unlock('k', 'alice', ALICE_PW);
    expect(gpgVerify(store.publicKeyArmored('k'), DATA, await signer.sign(DATA))).toContain(`VALIDSIG ${info.fingerprint}`);

    clock += DAY;
    expect((await store.setExpiry('k', null, asAlice)).expires).toBeNull();
    expect(gpgList(store.publicKeyArmored('k'))[0]?.[6]).toBe('');
    expect(auditRows(store.stateDir).filter((a) => a.kind === 'key-expire').map((a) => a.subject)).toEqual([`k expires=${until.toISOString()}`, 'k expires=never']);
  });

  it('extends an expired key, and a session stops signing once the key expires', async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'e' }], type: 'ecc', curve: 'ed25519Legacy', subkeys: [], date: new Date(clock), keyExpirationTime: 2 * 86400, format: 'armored' });
    await store.importKey('e', privateKey, 'alice', ALICE_PW);
    const signer = await store.unlock('e', 'alice', ALICE_PW);
    await signer.sign(DATA);
    clock += 3 * DAY;
    expect(store.getKey('e').status).toBe('expired');
    await expectCode(signer.sign(DATA), 'KEY_EXPIRED');
    await expectCode(store.unlock('e', 'alice', ALICE_PW), 'KEY_EXPIRED');
    await store.setExpiry('e', new Date(clock + 365 * DAY), asAlice);
    expect(store.getKey('e').status).toBe('active');
    await (await store.unlock('e', 'alice', ALICE_PW)).sign(DATA);
  });

  it('also moves the expiry of the signing subkey (gpg-made key)', async () => {
    const home = tempDir();
    try {
      fs.chmodSync(home, 0o700);
      const gpg = ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', ''];
      execFileSync('gpg', [...gpg, '--quick-gen-key', 'Sub Expiry <sub@signet.invalid>', 'ed25519', 'cert', '1y'], { stdio: 'pipe' });
      const fpr = /fpr:+([0-9A-F]{40}):/.exec(execFileSync('gpg', ['--homedir', home, '--with-colons', '--list-keys'], { encoding: 'utf8' }))![1]!;
      execFileSync('gpg', [...gpg, '--quick-add-key', fpr, 'ed25519', 'sign', '1y'], { stdio: 'pipe' });
      const armored = execFileSync('gpg', [...gpg, '--armor', '--export-secret-keys'], { encoding: 'utf8' });
      clock = Date.now();
      const info = await store.importKey('g', armored, 'alice', ALICE_PW);
      expect(info.fingerprint).toBe(fpr);
      const until = new Date(Date.UTC(new Date(clock).getUTCFullYear() + 3, 5, 1));
      await store.setExpiry('g', until, asAlice);
      const lines = gpgList(store.publicKeyArmored('g'));
      expect(lines.map((l) => [l[0], l[1], l[6]])).toEqual([
        ['pub', '-', String(until.getTime() / 1000)],
        ['sub', '-', String(until.getTime() / 1000)],
      ]);
      const signer = await store.unlock('g', 'alice', ALICE_PW);
      expect(gpgVerify(store.publicKeyArmored('g'), DATA, await signer.sign(DATA))).toContain(`VALIDSIG ${info.signingFingerprint}`);
    } finally {
      spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
      removeDir(home);
    }
  });

  it('refuses past dates, plain holders and wrong passphrases', async () => {
    await store.generateKey('k', 'ed25519', 'alice', ALICE_PW);
    await store.grant('k', 'bob', { ...asAlice, newPassphrase: BOB_PW });
    await expectCode(store.setExpiry('k', new Date(clock - DAY), asAlice), 'EXPIRY_INVALID');
    await expectCode(store.setExpiry('k', new Date(clock + DAY), { byUser: 'bob', byPassphrase: BOB_PW }), 'KEY_ADMIN_REQUIRED');
    await expectCode(store.setExpiry('k', new Date(clock + DAY), { byUser: 'alice', byPassphrase: 'wrong passphrase' }), 'BAD_PASSPHRASE');
    await expectCode(store.setExpiry('nope', new Date(clock + DAY), asAlice), 'KEY_NOT_FOUND');
    expect(store.getKey('k').expires).toBeNull();
  });
});

describe('key revoke', () => {
  it('stores and returns a revocation certificate; the key never signs again', async () => {
    const info = await store.generateKey('k', 'ed25519', 'alice', ALICE_PW);
    const publicBefore = store.publicKeyArmored('k');
    clock += DAY;
    const session = await store.unlock('k', 'alice', ALICE_PW);
    await session.sign(DATA);
    const { info: revoked, certificate } = await store.revokeKey('k', 'compromised', asAlice);
    expect(certificate).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    expect(revoked).toMatchObject({ status: 'revoked', revocationReason: 'compromised', revoked: new Date(clock).toISOString() });
    expect(store.revocationCertificate('k')).toBe(certificate);
    // A session that unlocked it before stops; no new unlock, even with the right passphrase.
    await expectCode(session.sign(DATA), 'KEY_REVOKED');
    await expectCode(store.unlock('k', 'alice', ALICE_PW), 'KEY_REVOKED');
    await expectCode(store.revokeKey('k', 'retired', asAlice), 'KEY_REVOKED');
    await expectCode(store.setExpiry('k', new Date(clock + DAY), asAlice), 'KEY_REVOKED');
    // gpg users see it revoked: from the exported public key, and from the certificate alone.
    expect(gpgList(store.publicKeyArmored('k'))[0]?.[1]).toBe('r');
    expect(gpgList(publicBefore)[0]?.[1]).toBe('-');
    expect(gpgList(publicBefore, certificate)[0]?.[1]).toBe('r');
    const sealed = await openpgp.readKey({ armoredKey: store.publicKeyArmored('k') });
    expect(await sealed.isRevoked()).toBe(true);
    expect(auditRows(store.stateDir).at(-1)).toMatchObject({ kind: 'key-revoke', user: 'alice', keyFingerprint: info.fingerprint, subject: 'k reason=compromised' });
  });
});

describe('key delete and rename', () => {
  it('refuses while grants exist; afterwards the secret material is gone from the files', async () => {
    await store.generateKey('k', 'rsa3072', 'alice', ALICE_PW);
    const db = new DatabaseSync(path.join(dir, 'signet.db'));
    const secret = (db.prepare('SELECT secret_armored FROM keys').get() as { secret_armored: string }).secret_armored;
    db.close();
    const lines = secret.split('\n').filter((l) => l.length >= 60);
    expect(lines.length).toBeGreaterThan(10);
    const probes = [lines[3]!, lines[Math.floor(lines.length / 2)]!, lines[lines.length - 3]!];
    const files = (): Buffer => Buffer.concat(fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))));
    expect(probes.every((p) => files().includes(p))).toBe(true);

    await expectCode(() => store.deleteKey('k'), 'GRANTS_EXIST');
    await expectCode(() => store.revokeGrant('k', 'alice'), 'LAST_GRANT');
    store.revokeGrant('k', 'alice', { force: true });
    expect(store.getKey('k').users).toEqual([]);
    expect(store.deleteKey('k')).toEqual({ walTruncated: true });
    await expectCode(() => store.getKey('k'), 'KEY_NOT_FOUND');
    await expectCode(store.unlock('k', 'alice', ALICE_PW), 'ACCESS_DENIED');
    expect(probes.filter((p) => files().includes(p))).toEqual([]);
    store.close();
    expect(probes.filter((p) => files().includes(p))).toEqual([]);
    store = await KeyStore.open(dir, { argon2: 'min', now });
    expect(auditRows(store.stateDir).slice(-3).map((a) => a.kind)).toEqual(['revoke-grant-forced', 'key-delete', 'unlock-failed']);
  });

  it('--force deletes a key users still hold', async () => {
    await store.generateKey('k', 'ed25519', 'alice', ALICE_PW);
    store.deleteKey('k', { force: true });
    expect(store.listKeys()).toEqual([]);
    expect(store.getUser('alice').keys).toEqual([]);
  });

  it('renames a key; its grants stay valid', async () => {
    await store.generateKey('old', 'ed25519', 'alice', ALICE_PW);
    await store.generateKey('other', 'ed25519', 'alice', ALICE_PW);
    await expectCode(() => store.renameKey('old', 'other'), 'KEY_EXISTS');
    await expectCode(() => store.renameKey('nope', 'new'), 'KEY_NOT_FOUND');
    await expectCode(() => store.renameKey('old', 'Bad Name'), 'NAME_INVALID');
    expect(store.renameKey('old', 'new').name).toBe('new');
    await expectCode(() => store.getKey('old'), 'KEY_NOT_FOUND');
    await store.unlock('new', 'alice', ALICE_PW);
  });
});

describe('users and grants', () => {
  beforeEach(async () => {
    await store.generateKey('k', 'ed25519', 'alice', ALICE_PW);
    store.addUser('carol');
  });

  it('revoke never strands a key: not the last holder, not the last key admin', async () => {
    await store.grant('k', 'bob', { ...asAlice, newPassphrase: BOB_PW });
    await expectCode(() => store.revokeGrant('k', 'alice'), 'LAST_KEY_ADMIN');
    await expectCode(() => store.revokeGrant('k', 'carol'), 'GRANT_NOT_FOUND');
    store.revokeGrant('k', 'bob');
    await expectCode(store.unlock('k', 'bob', BOB_PW), 'ACCESS_DENIED');
    await expectCode(() => store.revokeGrant('k', 'alice'), 'LAST_GRANT');
    await store.grant('k', 'bob', { ...asAlice, newPassphrase: BOB_PW, keyAdmin: true });
    store.revokeGrant('k', 'alice');
    expect(store.getKey('k').users).toEqual([{ name: 'bob', keyAdmin: true }]);
  });

  it('user delete removes grants, refusing to strand a key unless forced', async () => {
    await expectCode(() => store.deleteUser('alice'), 'LAST_GRANT');
    await store.grant('k', 'bob', { ...asAlice, newPassphrase: BOB_PW });
    await expectCode(() => store.deleteUser('alice'), 'LAST_KEY_ADMIN');
    store.deleteUser('bob');
    expect(store.listUsers().map((u) => u.name)).toEqual(['alice', 'carol']);
    await expectCode(() => store.deleteUser('bob'), 'USER_NOT_FOUND');
    store.deleteUser('alice', { force: true });
    expect(store.getKey('k').users).toEqual([]);
  });

  it('user show lists grants with roles; change passphrase keeps the role', async () => {
    await store.grant('k', 'bob', { ...asAlice, newPassphrase: BOB_PW, keyAdmin: true });
    expect(store.getUser('bob')).toMatchObject({ name: 'bob', keys: ['k'], grants: [{ key: 'k', keyAdmin: true, grantedBy: 'alice', failures: 0, locked: false }] });
    await expectCode(store.changePassphrase('k', 'bob', 'wrong passphrase', 'new bob passphrase'), 'BAD_PASSPHRASE');
    await expectCode(store.changePassphrase('k', 'bob', BOB_PW, 'short'), 'PASSPHRASE_INVALID');
    await store.changePassphrase('k', 'bob', BOB_PW, 'new bob passphrase');
    await expectCode(store.unlock('k', 'bob', BOB_PW), 'BAD_PASSPHRASE');
    await store.unlock('k', 'bob', 'new bob passphrase');
    await store.grant('k', 'carol', { byUser: 'bob', byPassphrase: 'new bob passphrase', newPassphrase: 'carol passphrase' });
    await expectCode(store.changePassphrase('k', 'dave', 'x', 'new passphrase'), 'ACCESS_DENIED');
  });
});

describe('failed-unlock limiter', () => {
  beforeEach(async () => {
    await store.generateKey('k', 'ed25519', 'alice', ALICE_PW);
  });

  it('throttles with growing delays, locks out, survives a restart, and only an admin clears it', async () => {
    for (let i = 0; i < 3; i++) await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'BAD_PASSPHRASE');
    // Even the right passphrase is refused while throttled, without trying it.
    const throttled = await expectCode(store.unlock('k', 'alice', ALICE_PW), 'UNLOCK_THROTTLED');
    expect(throttled.message).toContain(`retry after ${new Date(clock + 4000).toISOString()}`);
    clock += 4000;
    await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'BAD_PASSPHRASE');
    clock += 4000;
    await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'UNLOCK_THROTTLED'); // now 8 s
    clock += 4000;
    for (let f = 4; f < 10; f++) {
      await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'BAD_PASSPHRASE');
      clock += 1000 * 2 ** f; // the delay after f + 1 failures: 2 s · 2^(f + 1 - 3 + 1)
    }
    // The limiter lives in the database: a restart (or a second process) sees it.
    store.close();
    store = await KeyStore.open(dir, { argon2: 'min', now });
    clock += 365 * DAY;
    const locked = await expectCode(store.unlock('k', 'alice', ALICE_PW), 'UNLOCK_LOCKED');
    expect(locked.message).toContain('user unlock alice --key k');
    expect(store.getUser('alice').grants[0]).toMatchObject({ failures: 10, locked: true });
    // A key admin's own grant is locked for admin operations too.
    await expectCode(store.setExpiry('k', new Date(clock + DAY), asAlice), 'UNLOCK_LOCKED');
    const failed = auditRows(store.stateDir).filter((a) => a.kind === 'unlock-failed');
    expect(failed.filter((a) => a.subject.includes('reason=bad-passphrase')).map((a) => a.subject.replace(/^.*failures=/, ''))).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(failed.some((a) => a.subject === 'k reason=throttled failures=3')).toBe(true);
    expect(failed.some((a) => a.subject === 'k reason=locked failures=10')).toBe(true);
    expect(failed.every((a) => a.user === 'alice' && a.keyFingerprint === store.getKey('k').fingerprint)).toBe(true);

    expect(store.clearUnlockFailures('alice', 'k')).toBe(1);
    await store.unlock('k', 'alice', ALICE_PW);
    expect(store.getUser('alice').grants[0]).toMatchObject({ failures: 0, locked: false });
  });

  it('counts per grant, resets on success, and serialises concurrent guesses', async () => {
    await store.grant('k', 'bob', { ...asAlice, newPassphrase: BOB_PW });
    for (let i = 0; i < 2; i++) await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'BAD_PASSPHRASE');
    await store.unlock('k', 'bob', BOB_PW); // bob is unaffected by alice's failures
    await store.unlock('k', 'alice', ALICE_PW); // success clears alice's count
    expect(store.getUser('alice').grants[0]?.failures).toBe(0);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => store.unlock('k', 'bob', 'wrong passphrase')));
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as KeyStoreError).code : 'ok'));
    expect(codes).toEqual(['BAD_PASSPHRASE', 'BAD_PASSPHRASE', 'BAD_PASSPHRASE', 'UNLOCK_THROTTLED', 'UNLOCK_THROTTLED', 'UNLOCK_THROTTLED']);
  });

  it('honours a configured lockout and says ACCESS_DENIED, uncounted, for keys the user does not hold', async () => {
    store.close();
    store = await KeyStore.open(dir, { argon2: 'min', now, unlockLimits: { lockoutAfter: 2 } });
    await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'BAD_PASSPHRASE');
    await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'BAD_PASSPHRASE');
    await expectCode(store.unlock('k', 'alice', ALICE_PW), 'UNLOCK_LOCKED');
    for (let i = 0; i < 5; i++) await expectCode(store.unlock('k', 'bob', 'wrong passphrase'), 'ACCESS_DENIED');
    expect(auditRows(store.stateDir).filter((a) => a.subject === 'k reason=no-grant' && a.user === 'bob')).toHaveLength(5);
    expect(store.clearUnlockFailures('alice')).toBe(1);
    await expectCode(() => store.clearUnlockFailures('nobody'), 'USER_NOT_FOUND');
    await store.unlock('k', 'alice', ALICE_PW);
  });

  it('the console counts with the daemon\'s lockout: a store opened without one uses the recorded threshold', async () => {
    store.close();
    // The daemon opens with its configured threshold, which the store records.
    const daemon = await KeyStore.open(dir, { argon2: 'min', now, unlockLimits: { lockoutAfter: 2 } });
    daemon.close();
    // The admin CLI opens without one: two failures lock, as they do for the daemon.
    store = await KeyStore.open(dir, { argon2: 'min', now });
    await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'BAD_PASSPHRASE');
    await expectCode(store.unlock('k', 'alice', 'wrong passphrase'), 'BAD_PASSPHRASE');
    expect(store.getUser('alice').grants[0]).toMatchObject({ failures: 2, locked: true });
    await expectCode(store.unlock('k', 'alice', ALICE_PW), 'UNLOCK_LOCKED');
    store.close();
    // A daemon restarted with another threshold records it; the console follows.
    (await KeyStore.open(dir, { argon2: 'min', now, unlockLimits: { lockoutAfter: 5 } })).close();
    store = await KeyStore.open(dir, { argon2: 'min', now });
    expect(store.getUser('alice').grants[0]).toMatchObject({ failures: 2, locked: false });
  });
});

describe('binding file', () => {
  let bound: string;
  let bindingFile: string;

  beforeEach(() => {
    bound = path.join(dir, 'bound');
    bindingFile = path.join(dir, 'media', 'signet.binding');
    fs.mkdirSync(path.dirname(bindingFile));
  });

  it('seals grants to the file: a copy of the database alone opens nothing', async () => {
    const b = await KeyStore.init(bound, { argon2: 'min', bindingFile });
    expect(b.bound).toBe(true);
    expect(fs.statSync(bindingFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(bindingFile).size).toBe(32);
    b.addUser('alice');
    await b.generateKey('k', 'ed25519', 'alice', ALICE_PW);
    await b.unlock('k', 'alice', ALICE_PW);
    b.close();

    // The same store without the file: lists keys, unlocks nothing.
    const noFile = await KeyStore.open(bound, { argon2: 'min' });
    expect(noFile.bound).toBe(true);
    expect(noFile.listKeys().map((k) => k.name)).toEqual(['k']);
    await expectCode(noFile.unlock('k', 'alice', ALICE_PW), 'BINDING_REQUIRED');
    await expectCode(noFile.generateKey('k2', 'ed25519', 'alice', ALICE_PW), 'BINDING_REQUIRED');
    noFile.close();

    // A wrong file is refused by its fingerprint.
    const wrong = path.join(dir, 'wrong.binding');
    fs.writeFileSync(wrong, Buffer.alloc(32, 7), { mode: 0o600 });
    await expectCode(KeyStore.open(bound, { bindingFile: wrong }), 'BINDING_MISMATCH');
    // An attacker holding a copy who rewrites the recorded fingerprint still opens nothing:
    // the secret is part of the wrap key, not just a check.
    const copy = path.join(dir, 'copy');
    fs.mkdirSync(copy);
    const live = await KeyStore.open(bound, { argon2: 'min', bindingFile });
    live.close(); // checkpointed: signet.db alone holds everything
    fs.copyFileSync(path.join(bound, 'signet.db'), path.join(copy, 'signet.db'));
    const forge = new DatabaseSync(path.join(copy, 'signet.db'));
    const { bindingFingerprint } = await import('../../../packages/server/src/keystore/binding.ts');
    forge.prepare("UPDATE meta SET value = ? WHERE name = 'binding_sha256'").run(bindingFingerprint(Buffer.alloc(32, 7)));
    forge.close();
    const forged = await KeyStore.open(copy, { argon2: 'min', bindingFile: wrong });
    await expectCode(forged.unlock('k', 'alice', ALICE_PW), 'BAD_PASSPHRASE');
    forged.close();

    const right = await KeyStore.open(bound, { argon2: 'min', bindingFile });
    await right.unlock('k', 'alice', ALICE_PW);
    right.close();
  });

  it('refuses a file for an unbound store, bad files, and never overwrites a binding file', async () => {
    fs.writeFileSync(bindingFile, Buffer.alloc(32, 1), { mode: 0o600 });
    await expectCode(KeyStore.open(dir, { bindingFile }), 'BINDING_MISMATCH');
    await expectCode(KeyStore.init(bound, { bindingFile }), 'BINDING_FILE_INVALID');
    expect(fs.existsSync(path.join(bound, 'signet.db'))).toBe(false);
    expect(fs.readFileSync(bindingFile)).toEqual(Buffer.alloc(32, 1));
    fs.writeFileSync(bindingFile, Buffer.alloc(31, 1));
    await expectCode(KeyStore.open(dir, { bindingFile }), 'BINDING_FILE_INVALID');
    await expectCode(KeyStore.open(dir, { bindingFile: path.join(dir, 'missing') }), 'BINDING_FILE_INVALID');
  });
});

describe('a session that unlocked a key before its grant was revoked', () => {
  it('cannot sign after the grant is revoked', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-guard-'));
    try {
      const store = await KeyStore.init(dir, { argon2: 'min' });
      store.addUser('alice');
      store.addUser('bob');
      await store.generateKey('k', 'ed25519', 'alice', 'alice-passphrase');
      await store.grant('k', 'bob', { byUser: 'alice', byPassphrase: 'alice-passphrase', newPassphrase: 'bob-passphrase' });
      const signer = await store.unlock('k', 'bob', 'bob-passphrase');
      expect((await signer.sign(Buffer.from('before'))).length).toBeGreaterThan(0);
      store.revokeGrant('k', 'bob');
      await expect(signer.sign(Buffer.from('after'))).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
      store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
