import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARGON2_PRESETS } from '../../../packages/server/src/keystore/index.ts';
import { argon2id, unwrapSecret, wrapSecret } from '../../../packages/server/src/keystore/wrap.ts';

beforeAll(async () => {
  await sodium.ready;
});

describe('Argon2id in the thread pool (node:crypto) equals libsodium crypto_pwhash', () => {
  it.each(Object.entries(ARGON2_PRESETS))('for the stored parameters of level %s', async (_level, params) => {
    const password = Buffer.from('correct horse battery staple ünïcödé');
    const salt = randomBytes(16);
    const ours = await argon2id(password, salt, params);
    const theirs = sodium.crypto_pwhash(32, password, salt, params.opslimit, params.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
    expect(ours.toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
  });

  it('keeps the event loop free while deriving (moderate: 256 MiB)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await argon2id(Buffer.from('pw'), randomBytes(16), ARGON2_PRESETS.moderate);
    } finally {
      clearInterval(timer);
    }
    // A derivation of ~0.5 s on the event loop would allow no tick at all.
    expect(ticks).toBeGreaterThan(5);
  });
});

describe('wrapping with a binding secret', () => {
  const ad = Buffer.from('ad');
  const params = ARGON2_PRESETS.min;

  it('opens only with the same passphrase and the same binding secret', async () => {
    const secret = randomBytes(32);
    const binding = randomBytes(32);
    const w = await wrapSecret(secret, 'passphrase one', ad, params, binding);
    expect(Buffer.from((await unwrapSecret(w, 'passphrase one', ad, binding))!)).toEqual(secret);
    expect(await unwrapSecret(w, 'passphrase one', ad, null)).toBeNull();
    expect(await unwrapSecret(w, 'passphrase one', ad, randomBytes(32))).toBeNull();
    expect(await unwrapSecret(w, 'passphrase two', ad, binding)).toBeNull();
    const plain = await wrapSecret(secret, 'passphrase one', ad, params, null);
    expect(await unwrapSecret(plain, 'passphrase one', ad, binding)).toBeNull();
    expect(Buffer.from((await unwrapSecret(plain, 'passphrase one', ad, null))!)).toEqual(secret);
  });
});
