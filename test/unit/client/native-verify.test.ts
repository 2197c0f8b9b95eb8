import { createHash, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import fs from 'node:fs';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClientError, inspectSignaturePacket, readPublicKey, verifyDetachedSignature } from '@signet/client';
import { nativePublicKey, type NativePublicKey } from '../../../packages/client/src/openpgp/native-key.ts';
import { checkNativeSignature } from '../../../packages/client/src/openpgp/native-verify.ts';
import { createSigner } from '../../../packages/server/src/signing/index.ts';
import { encodeMpi, packetHeader } from '../../../packages/server/src/signing/packet.ts';
import { INTEROP_DIR } from '../../helpers/interop.ts';

const RPM_ALGORITHMS = new Set([1, 22]);

interface TestKey {
  privateKey: openpgp.PrivateKey;
  /** As a session holds it: parsed from the armored public key the server sends. */
  publicKey: openpgp.PublicKey;
  keyId: string;
}

async function testKey(privateKey: openpgp.PrivateKey): Promise<TestKey> {
  const publicKey = await readPublicKey(privateKey.toPublic().armor());
  const signing = await privateKey.getSigningKey();
  return { privateKey, publicKey, keyId: signing.getKeyID().toHex().toUpperCase() };
}

async function generate(options: Omit<openpgp.KeyOptions, 'userIDs' | 'format'>): Promise<TestKey> {
  // A key a little in the past, so signatures made "now" are never older than the key.
  const date = new Date(Date.now() - 60_000);
  const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'Signet Test' }], format: 'object', date, ...options });
  return testKey(privateKey);
}

async function openpgpSign(key: TestKey, data: Buffer): Promise<Buffer> {
  const sig = await openpgp.sign({
    message: await openpgp.createMessage({ binary: data }),
    signingKeys: key.privateKey,
    detached: true,
    format: 'binary',
  });
  return Buffer.from(sig as Uint8Array);
}

/** 'ok', or the error code. Any other kind of error fails the test. */
async function verdict(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof ClientError) return err.code;
    throw err;
  }
}

/** The client's verification before the native path: the same shape checks, then openpgp.verify. Kept as the oracle. */
async function oracle(packet: Buffer, data: Buffer, publicKey: openpgp.PublicKey, expectedKeyId: string): Promise<string> {
  try {
    const facts = inspectSignaturePacket(packet);
    if (facts.signatureType !== 0 || !RPM_ALGORITHMS.has(facts.pubkeyAlgorithm)) return 'SIGNATURE_INVALID';
    if (facts.issuerKeyIds.length !== 1 || facts.issuerKeyIds[0] !== expectedKeyId) return 'SIGNATURE_INVALID';
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: data }),
      signature: await openpgp.readSignature({ binarySignature: packet }),
      verificationKeys: publicKey,
      expectSigned: true,
    });
    return (await result.signatures[0]?.verified) === true ? 'ok' : 'SIGNATURE_INVALID';
  } catch {
    return 'SIGNATURE_INVALID';
  }
}

/** Offset of a subarray of `packet` within it. */
const offsetIn = (packet: Buffer, part: Buffer): number => part.byteOffset - packet.byteOffset;

function flip(buf: Buffer, at: number, mask = 0x01): Buffer {
  const out = Buffer.from(buf);
  out[at] = (out[at] as number) ^ mask;
  return out;
}

const keys = new Map<string, TestKey>();

beforeAll(async () => {
  keys.set('rsa', await generate({ type: 'rsa', rsaBits: 4096, subkeys: [] }));
  keys.set('rsa-other', await generate({ type: 'rsa', rsaBits: 4096, subkeys: [] }));
  keys.set('eddsa', await generate({ type: 'ecc', curve: 'ed25519Legacy', subkeys: [] }));
  keys.set('eddsa-other', await generate({ type: 'ecc', curve: 'ed25519Legacy', subkeys: [] }));
  keys.set('eddsa-subkey', await generate({ type: 'ecc', curve: 'ed25519Legacy', subkeys: [{ sign: true }] }));
  for (const [name, file] of [['rpm-rsa', 'rpm.org-rsa-2048-test.secret'], ['rpm-ed', 'rpm.org-ed25519-test.secret']]) {
    keys.set(name as string, await testKey(await openpgp.readPrivateKey({ armoredKey: fs.readFileSync(`${INTEROP_DIR}/${file}`, 'utf8') })));
  }
}, 180_000);

const key = (name: string): TestKey => keys.get(name) as TestKey;

describe.each([
  { label: 'RSA-4096', name: 'rsa', other: 'rsa-other', algorithm: 1 },
  { label: 'Ed25519 (EdDSA legacy)', name: 'eddsa', other: 'eddsa-other', algorithm: 22 },
])('native verification: $label', ({ name, other, algorithm }) => {
  it('accepts openpgp.js signatures over random data of any size', async () => {
    const k = key(name);
    for (const size of [0, 1, 3000, 100_000]) {
      const data = randomBytes(size);
      const packet = await openpgpSign(k, data);
      expect(inspectSignaturePacket(packet).pubkeyAlgorithm).toBe(algorithm);
      await verifyDetachedSignature(packet, data, k.publicKey, k.keyId);
    }
  });

  it('refuses tampered data, hash prefix, MPI and hashed subpackets', async () => {
    const k = key(name);
    const data = randomBytes(3000);
    const packet = await openpgpSign(k, data);
    const facts = inspectSignaturePacket(packet);
    const tail = offsetIn(packet, facts.signatureTail);
    const hashed = offsetIn(packet, facts.hashedPart);
    // Creation time subpacket: length 5, type 2 (openpgp.js marks it critical: 0x82).
    const time = facts.hashedPart.findIndex((b, i) => i >= 6 && b === 5 && ((facts.hashedPart[i + 1] as number) & 0x7f) === 2);
    expect(time).toBeGreaterThan(0);
    const tampered: Array<[string, Buffer, Buffer]> = [
      ['data', packet, flip(data, 1234)],
      ['data length', packet, data.subarray(0, data.length - 1)],
      ['hash prefix', flip(packet, tail), data],
      ['MPI', flip(packet, tail + 2 + 2 + 17), data],
      ['last MPI byte', flip(packet, packet.length - 1), data],
      ['hashed creation time', flip(packet, hashed + time + 5), data],
      ['hash algorithm byte', flip(packet, hashed + 3, 0x03), data],
    ];
    for (const [what, p, d] of tampered) {
      const err = await verifyDetachedSignature(p, d, k.publicKey, k.keyId).then(() => undefined, (e: unknown) => e);
      expect(err, what).toBeInstanceOf(ClientError);
      expect((err as ClientError).code, what).toBe('SIGNATURE_INVALID');
    }
  });

  it('does not rely on the hash prefix: a forged prefix over other data still fails the signature', async () => {
    const k = key(name);
    const data = randomBytes(500);
    const packet = await openpgpSign(k, data);
    const facts = inspectSignaturePacket(packet);
    const other = flip(data, 7);
    const trailer = Buffer.from([4, 0xff, 0, 0, 0, 0]);
    trailer.writeUInt32BE(facts.hashedPart.length, 2);
    const digest = createHash(facts.hashAlgorithm === 8 ? 'sha256' : 'sha512').update(other).update(facts.hashedPart).update(trailer).digest();
    const forged = Buffer.from(packet);
    digest.copy(forged, offsetIn(packet, facts.signatureTail), 0, 2);
    await expect(verifyDetachedSignature(forged, other, k.publicKey, k.keyId)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringContaining('bad signature') });
  });

  it('refuses the wrong key: by key ID, and cryptographically with a key of the same algorithm', async () => {
    const k = key(name);
    const wrong = key(other);
    const data = randomBytes(100);
    const packet = await openpgpSign(k, data);
    // The session's key is another one: its ID is not the issuer, or it has no such (sub)key.
    expect(await verdict(verifyDetachedSignature(packet, data, wrong.publicKey, wrong.keyId))).toBe('SIGNATURE_INVALID');
    await expect(verifyDetachedSignature(packet, data, wrong.publicKey, k.keyId)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID', message: expect.stringContaining('no (sub)key') });
    // Past the key ID checks: the other key's material must not verify it.
    const native = await nativePublicKey(wrong.publicKey, wrong.keyId);
    expect(() => checkNativeSignature(inspectSignaturePacket(packet), data, native, new Date())).toThrow(/bad signature/);
    expect(() => checkNativeSignature(inspectSignaturePacket(packet), data, native, new Date())).toThrow(ClientError);
  });

  it('agrees with openpgp.verify on 50 random cases', async () => {
    const k = key(name);
    const wrong = key(other);
    const verdicts = { ok: 0, invalid: 0 };
    for (let i = 0; i < 50; i++) {
      let data: Buffer = randomBytes(1 + Math.floor(Math.random() * 5000));
      let packet = await openpgpSign(k, data);
      let publicKey = k.publicKey;
      let keyId = k.keyId;
      const kind = i % 5;
      if (kind === 1) data = flip(data, Math.floor(Math.random() * data.length), 1 << Math.floor(Math.random() * 8));
      if (kind === 2 || kind === 3) packet = flip(packet, Math.floor(Math.random() * packet.length), 1 << Math.floor(Math.random() * 8));
      if (kind === 4) [publicKey, keyId] = Math.random() < 0.5 ? [wrong.publicKey, wrong.keyId] : [wrong.publicKey, k.keyId];
      const expected = await oracle(packet, data, publicKey, keyId);
      const actual = await verdict(verifyDetachedSignature(packet, data, publicKey, keyId));
      expect(actual, `case ${i} (kind ${kind}): packet ${packet.toString('hex')}`).toBe(expected);
      verdicts[actual === 'ok' ? 'ok' : 'invalid']++;
    }
    // Both verdicts occur, so the agreement is not vacuous.
    expect(verdicts.ok).toBeGreaterThanOrEqual(10);
    expect(verdicts.invalid).toBeGreaterThanOrEqual(10);
  });

  it('checks the times openpgp.verify checks: not created in the future, not before its key', async () => {
    const k = key(name);
    const data = randomBytes(64);
    const packet = await openpgpSign(k, data);
    const facts = inspectSignaturePacket(packet);
    const native = await nativePublicKey(k.publicKey, k.keyId);
    const created = facts.created as Date;
    expect(checkNativeSignature(facts, data, native, new Date(created.getTime() + 1000))).toEqual(created);
    expect(() => checkNativeSignature(facts, data, native, new Date(created.getTime() - 1000))).toThrow(/in the future/);
    const newer: NativePublicKey = { ...native, created: new Date(created.getTime() + 1000) };
    expect(() => checkNativeSignature(facts, data, newer, new Date(created.getTime() + 5000))).toThrow(/newer than the signature/);
  });

  it('derives the native key once per key object', async () => {
    const k = key(name);
    const a = nativePublicKey(k.publicKey, k.keyId);
    expect(nativePublicKey(k.publicKey, k.keyId.toLowerCase())).toBe(a);
    expect((await a).pubkeyAlgorithm).toBe(algorithm);
  });
});

describe('native verification of the server signer', () => {
  it.each(['rsa', 'eddsa', 'eddsa-subkey', 'rpm-rsa', 'rpm-ed'])('accepts packets made by createSigner with the %s key', async (name) => {
    const k = key(name);
    const signer = await createSigner(k.privateKey);
    expect(signer.keyId).toBe(k.keyId);
    for (const size of [0, 3000, 65_536]) {
      const data = randomBytes(size);
      const packet = await signer.sign(data);
      await verifyDetachedSignature(packet, data, k.publicKey, signer.keyId);
      expect(await oracle(packet, data, k.publicKey, signer.keyId)).toBe('ok');
      expect(await verdict(verifyDetachedSignature(packet, flip(data, 0), k.publicKey, signer.keyId))).toBe(size === 0 ? 'ok' : 'SIGNATURE_INVALID');
    }
  });
});

describe('native verification bounds', () => {
  // A raw Ed25519 key and a hand-built legacy EdDSA packet, to reach hash algorithms and
  // shapes openpgp.js will not produce.
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const native: NativePublicKey = { keyId: '0123456789ABCDEF', pubkeyAlgorithm: 22, keyObject: publicKey, size: 32, created: new Date(0), validAt: async () => undefined };
  const data = Buffer.from('header bytes');

  function eddsaPacket(hashId: number, hashName: string, mpis?: (r: Buffer, s: Buffer) => Buffer[]): Buffer {
    const subpackets = Buffer.concat([Buffer.from([5, 2, 0x60, 0, 0, 0]), Buffer.from([9, 16]), Buffer.from(native.keyId, 'hex')]);
    const hashed = Buffer.concat([Buffer.from([4, 0, 22, hashId, 0, subpackets.length]), subpackets]);
    const trailer = Buffer.from([4, 0xff, 0, 0, 0, hashed.length]);
    const digest = createHash(hashName).update(data).update(hashed).update(trailer).digest();
    const sig = cryptoSign(null, digest, privateKey);
    const [r, s] = [sig.subarray(0, 32), sig.subarray(32)];
    const body = Buffer.concat([hashed, Buffer.from([0, 0]), digest.subarray(0, 2), ...(mpis ?? ((a, b) => [encodeMpi(a), encodeMpi(b)]))(r, s)]);
    return Buffer.concat([packetHeader(2, body.length), body]);
  }

  it('accepts SHA-256, SHA-384 and SHA-512; refuses SHA-1, SHA-224 and MD5 even when the signature is good', () => {
    for (const [id, hash] of [[8, 'sha256'], [9, 'sha384'], [10, 'sha512']] as const) {
      expect(checkNativeSignature(inspectSignaturePacket(eddsaPacket(id, hash)), data, native, new Date())).toEqual(new Date(0x60000000 * 1000));
    }
    for (const [id, hash] of [[2, 'sha1'], [11, 'sha224'], [1, 'md5']] as const) {
      expect(() => checkNativeSignature(inspectSignaturePacket(eddsaPacket(id, hash)), data, native, new Date())).toThrow(/hash algorithm \d+ refused/);
    }
  });

  it('refuses trailing bytes, a missing MPI and an over-long MPI', () => {
    const cases: Array<[RegExp, (r: Buffer, s: Buffer) => Buffer[]]> = [
      [/trailing bytes/, (r, s) => [encodeMpi(r), encodeMpi(s), Buffer.from([0])]],
      [/truncated MPI/, (r) => [encodeMpi(r)]],
      [/longer than 32 bytes/, (r, s) => [encodeMpi(r), encodeMpi(Buffer.concat([Buffer.from([1]), s]))]],
    ];
    for (const [why, mpis] of cases) {
      expect(() => checkNativeSignature(inspectSignaturePacket(eddsaPacket(8, 'sha256', mpis)), data, native, new Date())).toThrow(why);
    }
  });

  it('refuses a packet whose algorithm is not the key’s', () => {
    const facts = inspectSignaturePacket(eddsaPacket(8, 'sha256'));
    expect(() => checkNativeSignature({ ...facts, pubkeyAlgorithm: 1 }, data, native, new Date())).toThrow(/not the key's/);
  });

  it('refuses an expired signature', () => {
    const facts = inspectSignaturePacket(eddsaPacket(8, 'sha256'));
    const created = (facts.created as Date).getTime();
    const withExpiry = { ...facts, expiresAfterSeconds: 60 };
    // The expiry is part of the hashed area in a real packet; here only the time rule is under test.
    expect(() => checkNativeSignature(withExpiry, data, native, new Date(created + 61_000))).toThrow(/expired/);
  });
});
