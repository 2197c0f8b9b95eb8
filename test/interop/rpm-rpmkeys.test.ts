import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildSignatureHeader,
  bytesToSign,
  checkSignaturePacket,
  extractSignatures,
  packageInfo,
  readPackageHead,
  requireHeaderOnlySignable,
  RpmError,
  verifyPackageDigests,
  writeSignedPackage,
} from '@signet/rpm';
import { createGpgHome, requireTools } from '../helpers/gpg.ts';
import type { GpgHome, GpgKey } from '../helpers/gpg.ts';
import { buildRpm, disposeRpmBuilds } from '../helpers/rpmbuild.ts';
import { INTEROP_DIR } from '../helpers/interop.ts';

/**
 * Packages signed by our writer with packets made independently by gpg (detached
 * signature over the main-header bytes) must verify with rpm's own `rpmkeys -Kv`.
 */

const MiB = 1024 * 1024;

let gpg: GpgHome;
let db: string;
let dir: string;

function rpmkeys(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('rpmkeys', ['--dbpath', db, ...args], { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  requireTools('rpmkeys', 'rpmbuild', 'gpg');
  gpg = createGpgHome();
  db = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-rpmdb-'));
  for (const key of [gpg.rsa, gpg.ed]) {
    const r = rpmkeys('--import', key.publicKeyPath);
    if (r.status !== 0) throw new Error(`rpmkeys --import failed: ${r.output}`);
  }
});
afterAll(() => {
  gpg?.dispose();
  if (db !== undefined) fs.rmSync(db, { recursive: true, force: true });
  disposeRpmBuilds();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function copy(src: string, name: string): string {
  const to = path.join(dir, name);
  fs.copyFileSync(src, to);
  fs.chmodSync(to, 0o644);
  return to;
}

const expectedLine = (key: GpgKey) =>
  `Header V4 ${key.label === 'rsa4096' ? 'RSA/SHA512' : 'EdDSA/SHA256'} Signature, key ID ${key.keyId.slice(-8).toLowerCase()}: OK`;

/** The whole client-side flow: read head, verify digests, sign the header bytes with gpg, write. */
async function signWithGpg(src: string, key: GpgKey, dest?: string): Promise<string> {
  const { layout } = await readPackageHead(src);
  await verifyPackageDigests(src, layout);
  requireHeaderOnlySignable(packageInfo(layout.mainHeader));
  const packet = gpg.detachSign(bytesToSign(layout), key);
  checkSignaturePacket(packet, key.pubkeyAlgorithm);
  const built = buildSignatureHeader(layout.signatureHeader, packet, key.pubkeyAlgorithm);
  const result = await writeSignedPackage({ src, dest, layout, newSignatureRegion: built.region, sameSize: built.sameSize });
  return result.path;
}

describe('rpmkeys -Kv accepts packages we signed with gpg-made packets', () => {
  const packages: Array<[string, () => string]> = [
    ['interop hello', () => path.join(INTEROP_DIR, 'hello-2.0-1.x86_64.rpm')],
    ['rpmbuild 2,000 files', () => buildRpm({ files: 2000 })],
    ['rpmbuild 50 MB payload', () => buildRpm({ payloadBytes: 50 * MiB })],
    ['rpmbuild without reserve (file grows)', () => buildRpm({ reservedSpace: 0 })],
  ];
  for (const [label, source] of packages) {
    for (const keyName of ['rsa', 'ed'] as const) {
      it(`${label}, ${keyName === 'rsa' ? 'RSA-4096' : 'EdDSA'}`, async () => {
        const key = gpg[keyName];
        const file = copy(source(), 'pkg.rpm');
        const signed = await signWithGpg(file, key);
        const r = rpmkeys('-Kv', signed);
        expect(r.output).toContain(expectedLine(key));
        expect(r.output).toContain('Header SHA256 digest: OK');
        expect(r.output).toContain('Payload SHA256 digest: OK');
        expect(r.output).not.toMatch(/BAD|NOKEY|NOTFOUND/);
        expect(r.status).toBe(0);
        // And our own reader agrees.
        const again = await readPackageHead(signed);
        expect((await verifyPackageDigests(signed, again.layout)).payloadDigest).toBe(true);
        expect(extractSignatures(again.layout.signatureHeader).map((s) => s.tag)).toEqual([keyName === 'rsa' ? 268 : 267]);
      });
    }
  }

  it('writes to a destination, leaving the source unsigned', async () => {
    const src = copy(buildRpm({}), 'src.rpm');
    const dest = path.join(dir, 'signed.rpm');
    await signWithGpg(src, gpg.ed, dest);
    expect(rpmkeys('-Kv', dest).output).toContain(expectedLine(gpg.ed));
    expect(rpmkeys('-Kv', src).output).not.toContain('Signature');
  });

  it('re-signs a package rpm.org already signed (header + v3 replaced)', async () => {
    const file = copy(path.join(INTEROP_DIR, 'hello-2.0-1.x86_64-signed.rpm'), 'resign.rpm');
    await signWithGpg(file, gpg.rsa);
    const r = rpmkeys('-Kv', file);
    expect(r.output).toContain(expectedLine(gpg.rsa));
    expect(r.output).not.toContain('1964c5fc');
    expect(r.status).toBe(0);
  });
});

describe('negative controls', () => {
  it('rpmkeys reports NOKEY for a key that is not imported', async () => {
    const file = copy(buildRpm({}), 'pkg.rpm');
    await signWithGpg(file, gpg.rsa);
    const emptyDb = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-rpmdb-'));
    try {
      const r = spawnSync('rpmkeys', ['--dbpath', emptyDb, '-Kv', file], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toContain(`key ID ${gpg.rsa.keyId.slice(-8).toLowerCase()}: NOKEY`);
      expect(r.status).toBe(1);
    } finally {
      fs.rmSync(emptyDb, { recursive: true, force: true });
    }
  });

  it('a signature over other bytes fails in rpmkeys', async () => {
    const file = copy(buildRpm({}), 'pkg.rpm');
    const { layout } = await readPackageHead(file);
    const wrong = gpg.detachSign(Buffer.concat([bytesToSign(layout), Buffer.from([0])]), gpg.rsa);
    const built = buildSignatureHeader(layout.signatureHeader, wrong, 1);
    await writeSignedPackage({ src: file, layout, newSignatureRegion: built.region });
    const r = rpmkeys('-Kv', file);
    expect(r.output).toMatch(/Header V4 RSA\/SHA512 Signature, key ID [0-9a-f]{8}: BAD/);
    expect(r.status).not.toBe(0);
  });

  it('the corrupted interop package fails our payload check, as rpmkeys says', async () => {
    const file = path.join(INTEROP_DIR, 'hello-2.0-1.x86_64-corrupted.rpm');
    const { layout } = await readPackageHead(file);
    await expect(verifyPackageDigests(file, layout)).rejects.toMatchObject({ code: 'RPM_PAYLOAD_DIGEST_MISMATCH' });
    expect(rpmkeys('-Kv', file).output).toContain('Payload SHA256 digest: BAD');
  });

  it('the old source package without payload digest needs a v3 signature', async () => {
    const file = path.join(INTEROP_DIR, 'foo-1.0-1.src.rpm');
    const { layout } = await readPackageHead(file);
    const info = packageInfo(layout.mainHeader);
    expect(info.isSource).toBe(true);
    expect(() => requireHeaderOnlySignable(info)).toThrow(RpmError);
    expect(() => requireHeaderOnlySignable(info)).toThrow(expect.objectContaining({ code: 'RPM_NEEDS_V3' }));
  });
});
