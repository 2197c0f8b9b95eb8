import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSigner, SigningError, type Signer } from '../../../packages/server/src/signing/index.ts';
import { gpgVerify, openpgpVerify, parseSignaturePacket, readInterop, removeDir, tempDir } from './helpers.ts';

const DATA = Buffer.from(
  // Arbitrary bytes standing in for an RPM main header blob.
  Array.from({ length: 4099 }, (_, i) => (i * 7 + 13) & 0xff),
);

async function generate(options: Omit<openpgp.KeyOptions, 'userIDs' | 'format'>): Promise<openpgp.PrivateKey> {
  const { privateKey } = await openpgp.generateKey({ userIDs: [{ name: 'Signet Test', email: 'test@signet.invalid' }], format: 'object', ...options });
  return privateKey;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toSatisfy((err: unknown) => err instanceof SigningError && err.code === code);
}

interface Case {
  label: string;
  key: () => Promise<openpgp.PrivateKey>;
  algorithm: 'rsa' | 'eddsa';
  pubkeyAlgorithm: number;
  hashAlgorithm: number;
  mpiCount: number;
}

const keys = new Map<string, openpgp.PrivateKey>();

beforeAll(async () => {
  keys.set('rsa4096', await generate({ type: 'rsa', rsaBits: 4096, subkeys: [] }));
  keys.set('eddsa', await generate({ type: 'ecc', curve: 'ed25519Legacy', subkeys: [] }));
  keys.set('rpm-rsa', await openpgp.readPrivateKey({ armoredKey: readInterop('rpm.org-rsa-2048-test.secret') }));
  keys.set('rpm-ed', await openpgp.readPrivateKey({ armoredKey: readInterop('rpm.org-ed25519-test.secret') }));
});

const cases: Case[] = [
  { label: 'RSA-4096 (openpgp.js)', key: async () => keys.get('rsa4096')!, algorithm: 'rsa', pubkeyAlgorithm: 1, hashAlgorithm: 10, mpiCount: 1 },
  { label: 'RSA-2048 (rpm.org test key)', key: async () => keys.get('rpm-rsa')!, algorithm: 'rsa', pubkeyAlgorithm: 1, hashAlgorithm: 10, mpiCount: 1 },
  { label: 'EdDSA legacy (openpgp.js)', key: async () => keys.get('eddsa')!, algorithm: 'eddsa', pubkeyAlgorithm: 22, hashAlgorithm: 8, mpiCount: 2 },
  { label: 'EdDSA legacy (rpm.org test key)', key: async () => keys.get('rpm-ed')!, algorithm: 'eddsa', pubkeyAlgorithm: 22, hashAlgorithm: 8, mpiCount: 2 },
];

describe.each(cases)('native signer: $label', (c) => {
  let key: openpgp.PrivateKey;
  let signer: Signer;
  let publicArmored: string;
  // Whole seconds, not before the key's creation (a signature may not predate its key).
  let created: Date;

  beforeAll(async () => {
    key = await c.key();
    created = new Date(Math.floor(Date.now() / 1000) * 1000);
    publicArmored = key.toPublic().armor();
    signer = await createSigner(key, { now: () => created });
  });

  it('reports the key it signs with', () => {
    expect(signer.algorithm).toBe(c.algorithm);
    expect(signer.pubkeyAlgorithm).toBe(c.pubkeyAlgorithm);
    expect(signer.keyId).toBe(key.getKeyID().toHex().toUpperCase());
    expect(signer.fingerprint).toBe(key.getFingerprint().toUpperCase());
    expect(signer.keyId).toMatch(/^[0-9A-F]{16}$/);
  });

  it('lays out the packet byte for byte: v4, type 0x00, one non-critical issuer key ID, empty unhashed area', async () => {
    const packet = await signer.sign(DATA);
    const sig = parseSignaturePacket(packet);
    expect(sig.headerByte).toBe(0xc2);
    expect(sig.version).toBe(4);
    expect(sig.sigType).toBe(0x00);
    expect(sig.pubkeyAlgorithm).toBe(c.pubkeyAlgorithm);
    expect(sig.hashAlgorithm).toBe(c.hashAlgorithm);
    expect(sig.unhashed).toEqual([]);
    const time = Buffer.alloc(4);
    time.writeUInt32BE(created.getTime() / 1000);
    expect(sig.hashed.map((s) => s.typeByte)).toEqual([2, 33, 16]);
    expect(sig.hashed[0]!.body).toEqual(time);
    expect(sig.hashed[1]!.body).toEqual(Buffer.concat([Buffer.from([4]), Buffer.from(signer.fingerprint, 'hex')]));
    expect(sig.hashed[2]!.body).toEqual(Buffer.from(signer.keyId, 'hex'));
    // Koji: exactly one subpacket whose type byte is exactly 16 (critical 0x90 would not count).
    const all = [...sig.hashed, ...sig.unhashed];
    expect(all.filter((s) => s.typeByte === 16)).toHaveLength(1);
    expect(all.every((s) => (s.typeByte & 0x80) === 0)).toBe(true);
    expect(sig.mpis).toHaveLength(c.mpiCount);
    // Left 16 bits of the digest over data ‖ hashed part ‖ 04 FF ‖ length.
    const body = packet.subarray(packet[1]! < 192 ? 2 : 3);
    const hashedLen = 6 + body.readUInt16BE(4);
    const trailer = Buffer.from([4, 0xff, 0, 0, 0, 0]);
    trailer.writeUInt32BE(hashedLen, 2);
    const digest = createHash(c.hashAlgorithm === 10 ? 'sha512' : 'sha256')
      .update(Buffer.concat([DATA, body.subarray(0, hashedLen), trailer]))
      .digest();
    expect(sig.left16).toEqual(digest.subarray(0, 2));
  });

  it('verifies with openpgp.js', async () => {
    const packet = await signer.sign(DATA);
    expect(await openpgpVerify(publicArmored, DATA, packet)).toBe(signer.keyId);
  });

  it('verifies with gpg --verify', async () => {
    const packet = await signer.sign(DATA);
    const status = gpgVerify(publicArmored, DATA, packet);
    expect(status).toContain(`[GNUPG:] VALIDSIG ${signer.fingerprint}`);
    expect(status).toMatch(/\[GNUPG:\] GOODSIG /);
  });

  it('fails verification when one data byte changes', async () => {
    const packet = await signer.sign(DATA);
    const tampered = Buffer.from(DATA);
    tampered[100] = tampered[100]! ^ 1;
    await expect(openpgpVerify(publicArmored, tampered, packet)).rejects.toThrow();
    expect(() => gpgVerify(publicArmored, tampered, packet)).toThrow(/BADSIG/);
  });
});

describe('native signer: key choice', () => {
  it('signs with the newest signing subkey, like gpg', async () => {
    const key = await generate({ type: 'ecc', curve: 'ed25519Legacy', subkeys: [{ sign: true }] });
    const signer = await createSigner(key);
    const sub = key.subkeys[0]!;
    expect(signer.keyId).toBe(sub.getKeyID().toHex().toUpperCase());
    expect(signer.primaryFingerprint).toBe(key.getFingerprint().toUpperCase());
    const packet = await signer.sign(DATA);
    const status = gpgVerify(key.toPublic().armor(), DATA, packet);
    expect(status).toContain(`VALIDSIG ${sub.getFingerprint().toUpperCase()}`);
  });

  it('uses the primary key when the only subkey cannot sign (rpm.org RSA key with an encryption subkey)', async () => {
    const key = keys.get('rpm-rsa')!;
    expect(key.subkeys).toHaveLength(1);
    const signer = await createSigner(key);
    expect(signer.keyId).toBe('4344591E1964C5FC');
  });

  it('refuses sign() after dispose()', async () => {
    const signer = await createSigner(keys.get('eddsa')!);
    signer.dispose();
    await expectCode(signer.sign(DATA), 'SIGNER_DISPOSED');
  });

  it('refuses input over the bound', async () => {
    const signer = await createSigner(keys.get('eddsa')!, { maxInputBytes: 16 });
    await expectCode(signer.sign(Buffer.alloc(17)), 'SIGN_INPUT_TOO_LARGE');
  });
});

describe('native signer: refusals', () => {
  it('refuses Ed25519 algorithm 27 (v4)', async () => {
    const key = await generate({ type: 'curve25519', config: { v6Keys: false } });
    expect(key.keyPacket.version).toBe(4);
    expect(key.keyPacket.algorithm).toBe(27);
    await expectCode(createSigner(key), 'KEY_ALGORITHM_UNSUPPORTED');
  });

  it('refuses ECDSA NIST P-256', async () => {
    await expectCode(createSigner(await generate({ type: 'ecc', curve: 'nistP256' })), 'KEY_ALGORITHM_UNSUPPORTED');
  });

  it('refuses v6 keys', async () => {
    await expectCode(createSigner(await generate({ type: 'curve25519', config: { v6Keys: true } })), 'KEY_VERSION_UNSUPPORTED');
  });

  it('refuses RSA shorter than 2048 bits', async () => {
    await expectCode(createSigner(await generate({ type: 'rsa', rsaBits: 1024, subkeys: [], config: { minRSABits: 1024 } })), 'KEY_ALGORITHM_UNSUPPORTED');
  });

  it('refuses DSA (made by gpg)', async () => {
    const home = tempDir();
    try {
      fs.chmodSync(home, 0o700);
      const gpg = ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', ''];
      execFileSync('gpg', [...gpg, '--quick-gen-key', 'DSA Test <dsa@signet.invalid>', 'dsa2048', 'sign', '0'], { stdio: 'pipe' });
      const armored = execFileSync('gpg', [...gpg, '--armor', '--export-secret-keys'], { encoding: 'utf8' });
      const key = await openpgp.readPrivateKey({ armoredKey: armored });
      expect(key.keyPacket.algorithm).toBe(17);
      await expectCode(createSigner(key), 'KEY_ALGORITHM_UNSUPPORTED');
    } finally {
      spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
      removeDir(home);
    }
  });

  it('refuses expired keys', async () => {
    const key = await generate({ type: 'ecc', curve: 'ed25519Legacy', subkeys: [], date: new Date(Date.now() - 10 * 86400_000), keyExpirationTime: 86400 });
    await expectCode(createSigner(key), 'KEY_EXPIRED');
  });

  it('refuses revoked keys', async () => {
    const key = await generate({ type: 'ecc', curve: 'ed25519Legacy', subkeys: [] });
    const { privateKey: revoked } = await openpgp.revokeKey({ key, format: 'object' });
    await expectCode(createSigner(revoked), 'KEY_REVOKED');
  });

  it('refuses a still-encrypted key', async () => {
    const key = await generate({ type: 'ecc', curve: 'ed25519Legacy', subkeys: [], passphrase: 'correct horse' });
    await expectCode(createSigner(key), 'KEY_NOT_DECRYPTED');
  });

  it('refuses a public key', async () => {
    const pub = (await openpgp.readKey({ armoredKey: readInterop('rpm.org-ed25519-test.pub') })) as openpgp.Key;
    await expectCode(createSigner(pub), 'KEY_PUBLIC_ONLY');
  });

  it('refuses RSA material whose primes do not match the modulus', async () => {
    const key = await openpgp.readPrivateKey({ armoredKey: readInterop('rpm.org-rsa-2048-test.secret') });
    const params = (key.keyPacket as openpgp.SecretKeyPacket).privateParams as { p: Uint8Array };
    params.p[params.p.length - 1] = params.p[params.p.length - 1]! ^ 2;
    await expectCode(createSigner(key), 'KEY_INCONSISTENT');
  });
});
