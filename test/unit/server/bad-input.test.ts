import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import * as openpgp from 'openpgp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyStore, KeyStoreError, SCHEMA_VERSION } from '../../../packages/server/src/keystore/index.ts';
import { auditRows, expectCode, gpgVerify, readInterop, removeDir, tempDir } from './helpers.ts';

const ALICE_PW = 'alice access passphrase';
const DATA = Buffer.from('stand-in for an RPM main header');
const FIXTURE_V1 = path.join(import.meta.dirname, 'fixtures', 'schema-v1.db');

/** A throwaway GNUPGHOME; `run` calls gpg 2.2 in it (loopback pinentry, given passphrase). */
class Gpg {
  readonly home = tempDir();
  constructor() {
    fs.chmodSync(this.home, 0o700);
  }
  run(args: string[], passphrase = '', faked?: string): string {
    const base = ['--homedir', this.home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', passphrase];
    return execFileSync('gpg', [...base, ...(faked === undefined ? [] : ['--faked-system-time', faked]), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
  fingerprints(): string[] {
    return [...this.run(['--with-colons', '--list-keys']).matchAll(/^fpr:+([0-9A-F]{40}):/gm)].map((m) => m[1] as string);
  }
  exportSecret(passphrase = ''): string {
    return this.run(['--armor', '--export-secret-keys'], passphrase);
  }
  close(): void {
    spawnSync('gpgconf', ['--homedir', this.home, '--kill', 'all']);
    removeDir(this.home);
  }
}

let dir: string;
let store: KeyStore;
let gpg: Gpg;

beforeEach(async () => {
  dir = tempDir();
  store = await KeyStore.init(dir, { argon2: 'min' });
  store.addUser('alice');
  gpg = new Gpg();
});

afterEach(() => {
  store.close();
  gpg.close();
  removeDir(dir);
});

describe('import from GnuPG 2.2', () => {
  it('imports a passphrase-protected key with an RSA-3072 signing subkey and signs with the subkey', async () => {
    gpg.run(['--quick-gen-key', 'Release <release@signet.invalid>', 'rsa3072', 'cert', '0'], 'file key pw');
    const [fpr] = gpg.fingerprints();
    gpg.run(['--quick-add-key', fpr!, 'rsa3072', 'sign', '0'], 'file key pw');
    const sub = gpg.fingerprints()[1]!;
    const armored = gpg.exportSecret('file key pw');
    await expectCode(store.importKey('rel', armored, 'alice', ALICE_PW), 'KEY_PASSPHRASE_REQUIRED');
    const info = await store.importKey('rel', armored, 'alice', ALICE_PW, 'file key pw');
    expect(info).toMatchObject({ fingerprint: fpr, signingFingerprint: sub, keyId: sub.slice(24), algorithm: 'rsa', bits: 3072 });
    const signer = await store.unlock('rel', 'alice', ALICE_PW);
    expect(gpgVerify(store.publicKeyArmored('rel'), DATA, await signer.sign(DATA))).toContain(`VALIDSIG ${sub}`);
  });

  it('imports an unprotected key', async () => {
    gpg.run(['--quick-gen-key', 'Plain <plain@signet.invalid>', 'ed25519', 'sign', '0']);
    const info = await store.importKey('plain', gpg.exportSecret(), 'alice', ALICE_PW);
    expect(info.fingerprint).toBe(gpg.fingerprints()[0]);
  });

  it('refuses a key whose only signing subkey has expired; accepts it once another valid one exists', async () => {
    gpg.run(['--quick-gen-key', 'Old <old@signet.invalid>', 'ed25519', 'cert', '0'], '', '20200101T000000!');
    const [fpr] = gpg.fingerprints();
    gpg.run(['--quick-add-key', fpr!, 'ed25519', 'sign', '1d'], '', '20200101T000000!');
    const err = await expectCode(store.importKey('old', gpg.exportSecret(), 'alice', ALICE_PW), 'KEY_NO_SIGNING_KEY');
    expect(err.message).toContain('expired');
    gpg.run(['--quick-add-key', fpr!, 'ed25519', 'sign', '0']);
    const valid = gpg.fingerprints()[2]!;
    const info = await store.importKey('old', gpg.exportSecret(), 'alice', ALICE_PW);
    expect(info.signingFingerprint).toBe(valid);
  });

  it('refuses public-only exports and NIST P-256 keys, saying why', async () => {
    gpg.run(['--quick-gen-key', 'P256 <p256@signet.invalid>', 'nistp256', 'sign', '0']);
    await expectCode(store.importKey('p', gpg.run(['--armor', '--export']), 'alice', ALICE_PW), 'KEY_PUBLIC_ONLY');
    const err = await expectCode(store.importKey('p', gpg.exportSecret(), 'alice', ALICE_PW), 'KEY_ALGORITHM_UNSUPPORTED');
    expect(err.message).toMatch(/ECDSA keys are refused: rpm 4\.18/);
  });

  it('refuses Ed25519 of algorithm 27, saying why', async () => {
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'x' }], type: 'curve25519', config: { v6Keys: false }, format: 'armored' });
    const err = await expectCode(store.importKey('x', privateKey, 'alice', ALICE_PW), 'KEY_ALGORITHM_UNSUPPORTED');
    expect(err.message).toContain('algorithm 27 are refused: rpm 4.18 cannot verify them');
  });

  it('refuses keys already revoked or expired (gpg-made)', async () => {
    gpg.run(['--quick-gen-key', 'Gone <gone@signet.invalid>', 'ed25519', 'sign', '1d'], '', '20200101T000000!');
    await expectCode(store.importKey('gone', gpg.exportSecret(), 'alice', ALICE_PW), 'KEY_EXPIRED');
    const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'r' }], type: 'ecc', curve: 'ed25519Legacy', format: 'object' });
    const revoked = await openpgp.revokeKey({ key: privateKey, format: 'armored' });
    await expectCode(store.importKey('r', revoked.privateKey, 'alice', ALICE_PW), 'KEY_REVOKED');
    expect(store.listKeys()).toEqual([]);
  });
});

describe('key ID collisions', () => {
  it('refuses a second key whose signing key ID, or its Koji sigkey (last 8 digits), equals a stored one', async () => {
    await store.generateKey('first', 'ed25519', 'alice', ALICE_PW);
    const incoming = readInterop('rpm.org-ed25519-test.secret'); // signing key ID B0645AEC757BF69E
    const db = new DatabaseSync(path.join(dir, 'signet.db'));
    // Forging a real collision would take 2^32 key generations; put the stored key's ID in its place.
    db.prepare("UPDATE keys SET signing_key_id = '0123456F757BF69E' WHERE name = 'first'").run();
    const err = await expectCode(store.importKey('second', incoming, 'alice', ALICE_PW), 'KEY_ID_COLLISION');
    expect(err.message).toContain('Koji sigkey 757bf69e');
    expect(err.message).toContain("'first'");
    db.prepare("UPDATE keys SET signing_key_id = 'B0645AEC757BF69E' WHERE name = 'first'").run();
    db.close();
    const full = await expectCode(store.importKey('second', incoming, 'alice', ALICE_PW), 'KEY_ID_COLLISION');
    expect(full.message).toContain('equals');
    expect(store.listKeys().map((k) => k.name)).toEqual(['first']);
  });
});

describe('database files', () => {
  it('migrates a version 1 store in place; its keys and grants keep working', async () => {
    store.close();
    const old = path.join(dir, 'old');
    fs.mkdirSync(old);
    fs.copyFileSync(FIXTURE_V1, path.join(old, 'signet.db'));
    const check = new DatabaseSync(path.join(old, 'signet.db'));
    expect(check.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get()).toEqual({ value: '1' });
    check.close();
    store = await KeyStore.open(old, { argon2: 'min' });
    const db = new DatabaseSync(path.join(old, 'signet.db'));
    expect(db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get()).toEqual({ value: String(SCHEMA_VERSION) });
    db.close();
    expect(store.getKey('rpm-ed')).toMatchObject({ status: 'active', revoked: null, keyId: 'B0645AEC757BF69E', users: [{ name: 'alice', keyAdmin: true }, { name: 'bob', keyAdmin: false }] });
    const signer = await store.unlock('rpm-ed', 'bob', 'bob access passphrase');
    expect(gpgVerify(store.publicKeyArmored('rpm-ed'), DATA, await signer.sign(DATA))).toContain('VALIDSIG');
    await expectCode(store.unlock('rpm-ed', 'bob', 'wrong passphrase'), 'BAD_PASSPHRASE');
    expect(store.getUser('bob').grants[0]?.failures).toBe(1);
    await store.revokeKey('rpm-ed', 'retired', { byUser: 'alice', byPassphrase: 'alice access passphrase' });
    // Opening again is a no-op.
    store.close();
    store = await KeyStore.open(old, { argon2: 'min' });
    expect(store.getKey('rpm-ed').status).toBe('revoked');
  });

  it('refuses a newer schema, a truncated file and a damaged one', async () => {
    await store.generateKey('k', 'ed25519', 'alice', ALICE_PW);
    store.close();
    const file = path.join(dir, 'signet.db');
    const good = fs.readFileSync(file);
    const db = new DatabaseSync(file);
    db.prepare("UPDATE meta SET value = ? WHERE name = 'schema_version'").run(String(SCHEMA_VERSION + 1));
    db.close();
    const tooNew = await expectCode(KeyStore.open(dir), 'SCHEMA_TOO_NEW');
    expect(tooNew.message).toContain('upgrade Signet');
    fs.writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)));
    await expectCode(KeyStore.open(dir), 'DB_CORRUPT');
    const damaged = Buffer.from(good);
    damaged.fill(0x5a, 4096, 8192);
    fs.writeFileSync(file, damaged);
    await expectCode(KeyStore.open(dir), 'DB_CORRUPT');
    fs.writeFileSync(file, good);
    store = await KeyStore.open(dir, { argon2: 'min' });
  });

  it('a full disk during a write: DB_FULL, rolled back, nothing lost, the store opens and verifies', async () => {
    await store.generateKey('k', 'ed25519', 'alice', ALICE_PW);
    store.close();
    const file = path.join(dir, 'signet.db');
    const size = fs.statSync(file).size;
    const audit = (s: KeyStore): number => auditRows(s.stateDir).length;
    store = await KeyStore.open(dir, { argon2: 'min', maxDatabaseBytes: size });
    const rowsBefore = audit(store);
    // An RSA key needs new pages (overflow pages for the armored key): SQLITE_FULL.
    const err = await expectCode(store.importKey('big', readInterop('rpm.org-rsa-2048-test.secret'), 'alice', ALICE_PW), 'DB_FULL');
    expect(err.message).toContain('nothing was changed');
    expect(store.listKeys().map((k) => k.name)).toEqual(['k']);
    expect(audit(store)).toBe(rowsBefore);
    await store.unlock('k', 'alice', ALICE_PW); // reads still work
    store.close();

    const check = new DatabaseSync(file);
    expect(check.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    check.close();
    store = await KeyStore.open(dir, { argon2: 'min' });
    expect(audit(store)).toBe(rowsBefore);
    await store.importKey('big', readInterop('rpm.org-rsa-2048-test.secret'), 'alice', ALICE_PW);
    await store.unlock('big', 'alice', ALICE_PW);
  });

  it('a full disk during a schema upgrade leaves the old version intact', async () => {
    store.close();
    const old = path.join(dir, 'old');
    fs.mkdirSync(old);
    fs.copyFileSync(FIXTURE_V1, path.join(old, 'signet.db'));
    const size = fs.statSync(path.join(old, 'signet.db')).size;
    await expectCode(KeyStore.open(old, { maxDatabaseBytes: size }), 'DB_FULL');
    const db = new DatabaseSync(path.join(old, 'signet.db'));
    expect(db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get()).toEqual({ value: '1' });
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    db.close();
    store = await KeyStore.open(old, { argon2: 'min' });
    await store.unlock('rpm-ed', 'alice', ALICE_PW);
  });
});
