import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyStore } from '../../../packages/server/src/keystore/index.ts';
import type { Signer } from '../../../packages/server/src/signing/index.ts';
import { removeDir, tempDir } from './helpers.ts';

/**
 * The per-signature re-check of an unlocked key, when the change comes from another
 * connection: the admin CLI is a separate process writing the same SQLite file.
 */

const ALICE_PW = 'alice access passphrase';
const BOB_PW = 'bob access passphrase';
const DATA = Buffer.from('stand-in for an RPM main header');
const DAY = 86400_000;

let dir: string;
let clock: number;
let daemon: KeyStore;
let admin: KeyStore;
let session: Signer;

beforeEach(async () => {
  dir = tempDir();
  clock = Date.now();
  const now = (): Date => new Date(clock);
  const init = await KeyStore.init(dir, { argon2: 'min', now });
  init.addUser('alice');
  init.addUser('bob');
  await init.generateKey('k', 'ed25519', 'alice', ALICE_PW);
  await init.grant('k', 'bob', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: BOB_PW });
  init.close();
  daemon = await KeyStore.open(dir, { argon2: 'min', now });
  admin = await KeyStore.open(dir, { argon2: 'min', now });
  session = await daemon.unlock('k', 'bob', BOB_PW);
  // Warm: statements prepared, any state cached before the change.
  for (let i = 0; i < 3; i++) expect((await session.sign(DATA)).length).toBeGreaterThan(0);
});

afterEach(() => {
  daemon.close();
  admin.close();
  removeDir(dir);
});

describe('a session whose key or grant another connection changes', () => {
  it('stops at the next signature when the grant is revoked', async () => {
    admin.revokeGrant('k', 'bob');
    await expect(session.sign(DATA)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('stops at the next signature when the user is deleted', async () => {
    admin.deleteUser('bob');
    await expect(session.sign(DATA)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('stops at the next signature when the key is revoked', async () => {
    await admin.revokeKey('k', 'retired', { byUser: 'alice', byPassphrase: ALICE_PW });
    await expect(session.sign(DATA)).rejects.toMatchObject({ code: 'KEY_REVOKED' });
  });

  it('stops at the next signature when the key is deleted', async () => {
    admin.deleteKey('k', { force: true });
    await expect(session.sign(DATA)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
  });

  it('stops when a new expiry passes, with no write at that moment', async () => {
    await admin.setExpiry('k', new Date(clock + DAY), { byUser: 'alice', byPassphrase: ALICE_PW });
    expect((await session.sign(DATA)).length).toBeGreaterThan(0);
    clock += 2 * DAY;
    await expect(session.sign(DATA)).rejects.toMatchObject({ code: 'KEY_EXPIRED' });
  });

  it('signs on through changes that do not concern it', async () => {
    admin.addUser('carol');
    await admin.grant('k', 'carol', { byUser: 'alice', byPassphrase: ALICE_PW, newPassphrase: 'carol access passphrase' });
    admin.revokeGrant('k', 'carol');
    expect((await session.sign(DATA)).length).toBeGreaterThan(0);
  });
});
