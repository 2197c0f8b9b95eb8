import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import * as openpgp from 'openpgp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyStore, KeyStoreError, SCHEMA_VERSION } from '../../../packages/server/src/keystore/index.ts';
import { auditRows, expectCode, gpgVerify, openpgpVerify, readInterop, recordAudit, removeDir, tempDir } from './helpers.ts';

const ALICE_PW = 'alice access passphrase';
const BOB_PW = 'bob access passphrase';
const DATA = Buffer.from('stand-in for an RPM main header');

async function armoredSecret(options: Omit<openpgp.KeyOptions, 'userIDs' | 'format'>): Promise<string> {
  const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'Import Test' }], format: 'armored', ...options });
  return privateKey;
}

let dir: string;
let store: KeyStore;

beforeEach(async () => {
  dir = tempDir();
  store = await KeyStore.init(dir, { argon2: 'min' });
  store.addUser('alice');
  store.addUser('bob');
});

afterEach(() => {
  store.close();
  removeDir(dir);
});

function raw(): DatabaseSync {
  return new DatabaseSync(path.join(dir, 'signet.db'));
}

describe('state directory', () => {
  it('creates signet.db with mode 0600 in WAL mode and refuses a second init', async () => {
    const file = path.join(dir, 'signet.db');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const db = raw();
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get()).toEqual({ value: String(SCHEMA_VERSION) });
    db.close();
    await expectCode(KeyStore.init(dir), 'STATE_EXISTS');
  });

  it('refuses to open a directory without a store', async () => {
    const empty = tempDir();
    try {
      await expectCode(KeyStore.open(empty), 'STATE_NOT_INITIALIZED');
      expect(fs.existsSync(path.join(empty, 'signet.db'))).toBe(false);
    } finally {
      removeDir(empty);
    }
  });

  it('reopens what it wrote', async () => {
    store.close();
    store = await KeyStore.open(dir, { argon2: 'min' });
    expect(store.listUsers().map((u) => u.name)).toEqual(['alice', 'bob']);
  });

  it('refuses a newer schema version', async () => {
    store.close();
    const db = raw();
    db.prepare("UPDATE meta SET value = ? WHERE name = 'schema_version'").run(String(SCHEMA_VERSION + 1));
    db.close();
    await expectCode(KeyStore.open(dir), 'SCHEMA_TOO_NEW');
  });

  it('refuses a corrupted file', async () => {
    store.close();
    const file = path.join(dir, 'signet.db');
    const bytes = fs.readFileSync(file);
    for (let i = 100; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
    fs.writeFileSync(file, bytes);
    await expectCode(KeyStore.open(dir), 'DB_CORRUPT');
  });

  it('refuses a file that is not SQLite, and a SQLite file that is not Signet', async () => {
    store.close();
    const file = path.join(dir, 'signet.db');
    fs.writeFileSync(file, Buffer.alloc(8192, 0x41));
    await expectCode(KeyStore.open(dir), 'DB_CORRUPT');
    fs.rmSync(file);
    const foreign = new DatabaseSync(file);
    foreign.exec('CREATE TABLE meta (name TEXT, value TEXT)');
    foreign.close();
    await expectCode(KeyStore.open(dir), 'DB_CORRUPT');
  });

  it('refuses use after close', async () => {
    store.close();
    expect(() => store.listKeys()).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
    store = await KeyStore.open(dir, { argon2: 'min' });
  });
});

describe('users', () => {
  it('adds and lists users; refuses duplicates and bad names', () => {
    expect(() => store.addUser('alice')).toThrow(expect.objectContaining({ code: 'USER_EXISTS' }));
    for (const bad of ['Alice', 'al ice', '', '../x', 'a'.repeat(65), 'x\0y']) {
      expect(() => store.addUser(bad)).toThrow(expect.objectContaining({ code: 'NAME_INVALID' }));
    }
    expect(store.listUsers()).toEqual([
      { name: 'alice', created: expect.any(String), keys: [] },
      { name: 'bob', created: expect.any(String), keys: [] },
    ]);
  });
});

describe('generate and unlock', () => {
  it.each([
    ['ed25519', 'eddsa', 256],
    ['rsa4096', 'rsa', 4096],
  ] as const)('generates %s, stores it sealed, unlocks and signs', async (type, algorithm, bits) => {
    const info = await store.generateKey('k1', type, 'alice', ALICE_PW);
    expect(info).toMatchObject({ name: 'k1', algorithm, bits, expires: null, users: [{ name: 'alice', keyAdmin: true }] });
    expect(info.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(info.keyId).toBe(info.fingerprint.slice(24));
    expect(store.listKeys()).toEqual([info]);
    expect(store.listUsers()[0]).toMatchObject({ name: 'alice', keys: ['k1'] });

    const signer = await store.unlock('k1', 'alice', ALICE_PW);
    expect(signer.keyId).toBe(info.keyId);
    const packet = await signer.sign(DATA);
    const pub = store.publicKeyArmored('k1');
    expect(await openpgpVerify(pub, DATA, packet)).toBe(info.keyId);
    expect(gpgVerify(pub, DATA, packet)).toContain(`VALIDSIG ${info.fingerprint}`);

    // At rest: the secret key is encrypted, and no passphrase appears in the file.
    const db = raw();
    const row = db.prepare('SELECT secret_armored FROM keys').get() as { secret_armored: string };
    db.close();
    const sealed = await openpgp.readPrivateKey({ armoredKey: row.secret_armored });
    expect(sealed.isDecrypted()).toBe(false);
    store.close();
    const files = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)));
    for (const f of files) expect(f.includes(Buffer.from(ALICE_PW))).toBe(false);
    store = await KeyStore.open(dir, { argon2: 'min' });
  });

  it('generated public keys import into rpm', async () => {
    await store.generateKey('k1', 'ed25519', 'alice', ALICE_PW);
    const db = tempDir();
    try {
      const file = path.join(db, 'k1.asc');
      fs.writeFileSync(file, store.publicKeyArmored('k1'));
      execFileSync('rpmkeys', ['--dbpath', db, '--import', file], { stdio: 'pipe' });
      const listed = execFileSync('rpm', ['--dbpath', db, '-q', 'gpg-pubkey'], { encoding: 'utf8' });
      expect(listed).toContain(`gpg-pubkey-${store.getKey('k1').keyId.slice(8).toLowerCase()}`);
    } finally {
      removeDir(db);
    }
  });

  it('refuses duplicate names, unknown users, weak new passphrases, unknown types', async () => {
    await store.generateKey('k1', 'ed25519', 'alice', ALICE_PW);
    await expectCode(store.generateKey('k1', 'ed25519', 'alice', ALICE_PW), 'KEY_EXISTS');
    await expectCode(store.generateKey('k2', 'ed25519', 'carol', ALICE_PW), 'USER_NOT_FOUND');
    await expectCode(store.generateKey('k2', 'ed25519', 'alice', 'short'), 'PASSPHRASE_INVALID');
    await expectCode(store.generateKey('k2', 'ed25519', 'alice', 'x'.repeat(1025)), 'PASSPHRASE_INVALID');
    await expectCode(store.generateKey('k2', 'dsa' as never, 'alice', ALICE_PW), 'KEY_ALGORITHM_UNSUPPORTED');
    await expectCode(store.generateKey('K2', 'ed25519', 'alice', ALICE_PW), 'NAME_INVALID');
  });

  it('says ACCESS_DENIED alike for a missing key and a key without grant, BAD_PASSPHRASE for a wrong passphrase', async () => {
    await store.generateKey('k1', 'ed25519', 'alice', ALICE_PW);
    await expectCode(store.unlock('k1', 'bob', ALICE_PW), 'ACCESS_DENIED');
    await expectCode(store.unlock('nope', 'alice', ALICE_PW), 'ACCESS_DENIED');
    await expectCode(store.unlock('k1', 'nobody', ALICE_PW), 'ACCESS_DENIED');
    await expectCode(store.unlock('k1', 'alice', 'not the passphrase'), 'BAD_PASSPHRASE');
    await expectCode(store.unlock('k1', 'alice', ''), 'PASSPHRASE_INVALID');
  });
});

describe('import', () => {
  it.each([
    ['rpm.org-rsa-2048-test.secret', '4344591E1964C5FC', 'rsa', 2048],
    ['rpm.org-ed25519-test.secret', 'B0645AEC757BF69E', 'eddsa', 256],
  ] as const)('imports %s, unlocks and signs', async (file, keyId, algorithm, bits) => {
    const info = await store.importKey('rpmkey', readInterop(file), 'alice', ALICE_PW);
    expect(info).toMatchObject({ keyId, algorithm, bits, users: [{ name: 'alice', keyAdmin: true }] });
    const signer = await store.unlock('rpmkey', 'alice', ALICE_PW);
    const packet = await signer.sign(DATA);
    const pub = readInterop(file.replace('.secret', '.pub'));
    expect(await openpgpVerify(pub, DATA, packet)).toBe(keyId);
    expect(gpgVerify(pub, DATA, packet)).toContain(`VALIDSIG ${info.fingerprint}`);
    await expectCode(store.importKey('again', readInterop(file), 'alice', ALICE_PW), 'KEY_EXISTS');
  });

  it('imports a passphrase-protected key exported by gpg', async () => {
    const home = tempDir();
    try {
      fs.chmodSync(home, 0o700);
      const gpg = ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', 'file key pw'];
      execFileSync('gpg', [...gpg, '--quick-gen-key', 'Gpg Made <gpg@signet.invalid>', 'ed25519', 'sign', '0'], { stdio: 'pipe' });
      const armored = execFileSync('gpg', [...gpg, '--armor', '--export-secret-keys'], { encoding: 'utf8' });
      await expectCode(store.importKey('g', armored, 'alice', ALICE_PW), 'KEY_PASSPHRASE_REQUIRED');
      await expectCode(store.importKey('g', armored, 'alice', ALICE_PW, 'wrong pw'), 'KEY_PASSPHRASE_WRONG');
      const info = await store.importKey('g', armored, 'alice', ALICE_PW, 'file key pw');
      expect(info.algorithm).toBe('eddsa');
      const signer = await store.unlock('g', 'alice', ALICE_PW);
      expect(gpgVerify(store.publicKeyArmored('g'), DATA, await signer.sign(DATA))).toContain(`VALIDSIG ${info.fingerprint}`);
    } finally {
      spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
      removeDir(home);
    }
  });

  it('refuses public-only, malformed, multi-key, unsupported, expired and revoked keys', async () => {
    await expectCode(store.importKey('x', readInterop('rpm.org-rsa-2048-test.pub'), 'alice', ALICE_PW), 'KEY_PUBLIC_ONLY');
    await expectCode(store.importKey('x', 'not a key', 'alice', ALICE_PW), 'KEY_MALFORMED');
    await expectCode(store.importKey('x', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nAAAA\n-----END PGP PRIVATE KEY BLOCK-----\n', 'alice', ALICE_PW), 'KEY_MALFORMED');
    await expectCode(store.importKey('x', 'x'.repeat(1024 * 1024 + 1), 'alice', ALICE_PW), 'KEY_MALFORMED');
    // Two armored blocks (openpgp.js alone would read only the first) ...
    await expectCode(store.importKey('x', readInterop('rpm.org-rsa-2048-test.secret') + readInterop('rpm.org-ed25519-test.secret'), 'alice', ALICE_PW), 'KEY_MALFORMED');
    // ... and two keys inside one armored block.
    const k1 = await openpgp.readPrivateKey({ armoredKey: readInterop('rpm.org-rsa-2048-test.secret') });
    const k2 = await openpgp.readPrivateKey({ armoredKey: readInterop('rpm.org-ed25519-test.secret') });
    const both = openpgp.armor(openpgp.enums.armor.privateKey, Buffer.concat([k1.write(), k2.write()]));
    expect(await openpgp.readKeys({ armoredKeys: both })).toHaveLength(2);
    await expectCode(store.importKey('x', both, 'alice', ALICE_PW), 'KEY_MALFORMED');
    await expectCode(store.importKey('x', await armoredSecret({ type: 'curve25519', config: { v6Keys: false } }), 'alice', ALICE_PW), 'KEY_ALGORITHM_UNSUPPORTED');
    await expectCode(store.importKey('x', await armoredSecret({ type: 'ecc', curve: 'nistP256' }), 'alice', ALICE_PW), 'KEY_ALGORITHM_UNSUPPORTED');
    await expectCode(store.importKey('x', await armoredSecret({ type: 'curve25519', config: { v6Keys: true } }), 'alice', ALICE_PW), 'KEY_VERSION_UNSUPPORTED');
    const old = new Date(Date.now() - 10 * 86400_000);
    await expectCode(store.importKey('x', await armoredSecret({ type: 'ecc', curve: 'ed25519Legacy', date: old, keyExpirationTime: 86400 }), 'alice', ALICE_PW), 'KEY_EXPIRED');
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'r' }], type: 'ecc', curve: 'ed25519Legacy', format: 'object' });
    const revoked = await openpgp.revokeKey({ key: privateKey, format: 'armored' });
    await expectCode(store.importKey('x', revoked.privateKey, 'alice', ALICE_PW), 'KEY_REVOKED');
    expect(store.listKeys()).toEqual([]);
  });
});

describe('grants', () => {
  beforeEach(async () => {
    await store.generateKey('k1', 'ed25519', 'alice', ALICE_PW);
    store.addUser('carol');
  });

  it('lets a key admin grant a user, who then unlocks with their own passphrase', async () => {
    await store.grant('k1', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: BOB_PW });
    expect(store.getKey('k1').users).toEqual([
      { name: 'alice', keyAdmin: true },
      { name: 'bob', keyAdmin: false },
    ]);
    const signer = await store.unlock('k1', 'bob', BOB_PW);
    expect(await openpgpVerify(store.publicKeyArmored('k1'), DATA, await signer.sign(DATA))).toBe(signer.keyId);
    await expectCode(store.unlock('k1', 'bob', ALICE_PW), 'BAD_PASSPHRASE');
    // bob is not a key admin: he may sign, not grant.
    await expectCode(store.grant('k1', 'carol', { byUser: 'bob', byPassphrase: BOB_PW, newPassphrase: 'carol passphrase' }), 'KEY_ADMIN_REQUIRED');
    await expectCode(store.grant('k1', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: BOB_PW }), 'GRANT_EXISTS');
    expect(auditRows(dir).map((a) => a.kind)).toEqual(['user-add', 'user-add', 'key-generate', 'user-add', 'grant', 'unlock-failed']);
  });

  it('refuses grants by the wrong passphrase, by non-holders, to unknown users, of unknown keys', async () => {
    await expectCode(store.grant('k1', 'bob', { byUser: 'alice', byPassphrase: 'wrong passphrase', newPassphrase: BOB_PW }), 'BAD_PASSPHRASE');
    await expectCode(store.grant('k1', 'carol', { byUser: 'bob', byPassphrase: BOB_PW, newPassphrase: 'carol passphrase' }), 'ACCESS_DENIED');
    await expectCode(store.grant('k1', 'dave', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: 'dave passphrase' }), 'USER_NOT_FOUND');
    await expectCode(store.grant('k9', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: BOB_PW }), 'KEY_NOT_FOUND');
    await expectCode(store.grant('k1', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: 'short' }), 'PASSPHRASE_INVALID');
  });

  it('a granted key admin can grant in turn', async () => {
    await store.grant('k1', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: BOB_PW, keyAdmin: true });
    await store.grant('k1', 'carol', { byUser: 'bob', byPassphrase: BOB_PW, newPassphrase: 'carol passphrase' });
    await store.unlock('k1', 'carol', 'carol passphrase');
  });

  it('refuses a wrapped passphrase copied to another user\'s row', async () => {
    await store.grant('k1', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: BOB_PW, keyAdmin: true });
    const db = raw();
    db.exec(`UPDATE grants SET (wrapped, salt, nonce, opslimit, memlimit) =
      (SELECT wrapped, salt, nonce, opslimit, memlimit FROM grants WHERE user_ref = (SELECT id FROM users WHERE name = 'alice'))
      WHERE user_ref = (SELECT id FROM users WHERE name = 'bob')`);
    db.close();
    // bob now holds alice's exact ciphertext; knowing alice's passphrase still does not open it as bob.
    await expectCode(store.unlock('k1', 'bob', ALICE_PW), 'BAD_PASSPHRASE');
    await expectCode(store.unlock('k1', 'bob', BOB_PW), 'BAD_PASSPHRASE');
    await store.unlock('k1', 'alice', ALICE_PW);
  });

  it('refuses a wrapped passphrase copied to another key\'s row', async () => {
    await store.generateKey('k2', 'ed25519', 'alice', ALICE_PW);
    const db = raw();
    db.exec(`UPDATE grants SET (wrapped, salt, nonce) =
      (SELECT wrapped, salt, nonce FROM grants WHERE key_ref = (SELECT id FROM keys WHERE name = 'k1'))
      WHERE key_ref = (SELECT id FROM keys WHERE name = 'k2')`);
    db.close();
    await expectCode(store.unlock('k2', 'alice', ALICE_PW), 'BAD_PASSPHRASE');
    await store.unlock('k1', 'alice', ALICE_PW);
  });

  it('refuses a key-admin flag flipped in the database', async () => {
    await store.grant('k1', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: BOB_PW });
    const db = raw();
    db.exec("UPDATE grants SET key_admin = 1 WHERE user_ref = (SELECT id FROM users WHERE name = 'bob')");
    db.close();
    await expectCode(store.grant('k1', 'carol', { byUser: 'bob', byPassphrase: BOB_PW, newPassphrase: 'carol passphrase' }), 'BAD_PASSPHRASE');
  });

  it('refuses a secret key swapped between rows', async () => {
    await store.generateKey('k2', 'ed25519', 'alice', ALICE_PW);
    const db = raw();
    db.exec("UPDATE keys SET secret_armored = (SELECT secret_armored FROM keys WHERE name = 'k2') WHERE name = 'k1'");
    db.close();
    await expectCode(store.unlock('k1', 'alice', ALICE_PW), 'DB_CORRUPT');
  });

  it('refuses out-of-range Argon2id limits read from the database', async () => {
    const db = raw();
    db.exec(`UPDATE grants SET memlimit = ${8 * 1024 * 1024 * 1024}`);
    db.close();
    await expectCode(store.unlock('k1', 'alice', ALICE_PW), 'DB_CORRUPT');
  });

  it('stores the Argon2id limits used per grant and honours them after a change of default', async () => {
    store.close();
    store = await KeyStore.open(dir, { argon2: 'interactive' });
    await store.grant('k1', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: BOB_PW });
    const db = raw();
    const rows = db.prepare('SELECT u.name, opslimit, memlimit FROM grants g JOIN users u ON u.id = g.user_ref ORDER BY u.name').all();
    db.close();
    expect(rows).toEqual([
      { name: 'alice', opslimit: 1, memlimit: 8192 },
      { name: 'bob', opslimit: 2, memlimit: 64 * 1024 * 1024 },
    ]);
    await store.unlock('k1', 'alice', ALICE_PW);
    await store.unlock('k1', 'bob', BOB_PW);
  });
});

describe('audit', () => {
  const entry = {
    user: 'alice',
    keyFingerprint: 'A'.repeat(40),
    kind: 'sign-rpm-header',
    subject: 'hello-0:2.0-1.x86_64',
    sha256: 'ab'.repeat(32),
    requestId: 'req-1',
  };

  it('appends entries that another connection sees at once', () => {
    const rec = recordAudit(store, entry);
    expect(rec).toMatchObject({ ...entry, seq: expect.any(Number), time: expect.any(String) });
    const db = raw();
    const row = db.prepare('SELECT * FROM audit WHERE seq = ?').get(rec.seq);
    db.close();
    expect(row).toMatchObject({ user_name: 'alice', kind: 'sign-rpm-header', sha256: entry.sha256, request_id: 'req-1' });
    expect(auditRows(dir).filter((r) => r.seq >= rec.seq)).toEqual([rec]);
  });

  it('refuses invalid entries', () => {
    for (const bad of [
      { ...entry, user: 'Alice' },
      { ...entry, keyFingerprint: 'a'.repeat(40) },
      { ...entry, kind: 'Sign' },
      { ...entry, subject: 'line\nbreak' },
      { ...entry, subject: '' },
      { ...entry, sha256: 'AB'.repeat(32) },
      { ...entry, requestId: 'x'.repeat(129) },
    ]) {
      expect(() => recordAudit(store, bad)).toThrow(expect.objectContaining({ code: 'AUDIT_INVALID' }));
    }
  });

  it('cannot be updated or deleted', () => {
    recordAudit(store, entry);
    const db = raw();
    expect(() => db.exec("UPDATE audit SET kind = 'x'")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM audit')).toThrow(/append-only/);
    db.close();
  });
});
