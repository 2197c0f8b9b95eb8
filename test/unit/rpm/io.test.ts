import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSignatureHeader, extractSignatures, readPackageHead, RpmError, verifyPackageDigests, writeSignedPackage } from '@signet/rpm';
import { fakeSignaturePacket } from './builder.ts';
import { makePackage } from './fixtures.ts';

const INTEROP = '/work/shared/interop';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RpmError) return err.code;
    throw err;
  }
  return 'no error';
}

function put(name: string, bytes: Buffer, mode = 0o640): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  fs.chmodSync(file, mode);
  return file;
}

const leftovers = () => fs.readdirSync(dir).filter((f) => f.includes('.signet-'));

describe('readPackageHead', () => {
  it('reads the interop packages', async () => {
    const { layout, fileSize } = await readPackageHead(path.join(INTEROP, 'hello-2.0-1.x86_64.rpm'));
    expect(fileSize).toBe(9915);
    expect([layout.signatureEnd, layout.mainStart, layout.mainEnd]).toEqual([4500, 4504, 7160]);
  });

  it('names the file in its errors', async () => {
    const full = makePackage().file;
    const cut = put('cut.rpm', full.subarray(0, 500));
    await expect(readPackageHead(cut)).rejects.toMatchObject({ code: 'RPM_TRUNCATED', message: expect.stringContaining(cut) });
    const html = put('page.rpm', Buffer.from('<html>nope</html>'));
    await expect(readPackageHead(html)).rejects.toMatchObject({ code: 'RPM_NOT_RPM', message: expect.stringContaining(html) });
    await expect(readPackageHead(path.join(dir, 'missing.rpm'))).rejects.toMatchObject({ code: 'RPM_IO' });
    await expect(readPackageHead(dir)).rejects.toMatchObject({ code: 'RPM_IO' });
  });

  it('does not need the payload to be readable or even present', async () => {
    const { file, payload } = makePackage({ payload: Buffer.alloc(4096, 9) });
    const headOnly = put('head.rpm', file.subarray(0, file.length - payload.length));
    const { layout } = await readPackageHead(headOnly);
    expect(layout.mainEnd).toBe(file.length - payload.length);
  });
});

describe('verifyPackageDigests', () => {
  it('passes intact packages and names what it checked', async () => {
    const file = path.join(INTEROP, 'hello-2.0-1.x86_64.rpm');
    const { layout } = await readPackageHead(file);
    expect(await verifyPackageDigests(file, layout)).toEqual({ headerSha256: true, headerSha1: true, payloadDigest: true, md5: true, size: true });
  });

  it('fails the payload check of the corrupted interop package', async () => {
    const file = path.join(INTEROP, 'hello-2.0-1.x86_64-corrupted.rpm');
    const { layout } = await readPackageHead(file);
    await expect(verifyPackageDigests(file, layout)).rejects.toMatchObject({ code: 'RPM_PAYLOAD_DIGEST_MISMATCH', message: expect.stringContaining(file) });
  });

  it('fails the header check when the main header was edited', async () => {
    const { file: bytes } = makePackage({ name: 'demo' });
    const at = bytes.indexOf('demo\0');
    bytes.write('dEmo', at, 'latin1');
    const file = put('edited.rpm', bytes);
    const { layout } = await readPackageHead(file);
    await expect(verifyPackageDigests(file, layout)).rejects.toMatchObject({ code: 'RPM_HEADER_DIGEST_MISMATCH' });
  });

  it('notices a file that changed since its head was read', async () => {
    const file = put('a.rpm', makePackage().file);
    const { layout } = await readPackageHead(file);
    fs.writeFileSync(file, makePackage({ name: 'other' }).file);
    await expect(verifyPackageDigests(file, layout)).rejects.toMatchObject({ code: 'RPM_CHANGED' });
  });
});

describe('writeSignedPackage', () => {
  const packet = fakeSignaturePacket({ filler: 500 });

  it('patches [96, M) in place when the size is unchanged, and nothing else', async () => {
    const original = makePackage().file;
    const file = put('a.rpm', original);
    const { layout } = await readPackageHead(file);
    const built = buildSignatureHeader(layout.signatureHeader, packet, 1);
    expect(built.sameSize).toBe(true);
    const result = await writeSignedPackage({ src: file, layout, newSignatureRegion: built.region, sameSize: true });
    expect(result).toEqual({ path: file, method: 'patched-in-place', mainStart: layout.mainStart });
    const after = fs.readFileSync(file);
    expect(after.length).toBe(original.length);
    expect(after.subarray(0, 96).equals(original.subarray(0, 96))).toBe(true);
    expect(after.subarray(96, layout.mainStart).equals(built.region)).toBe(true);
    expect(after.subarray(layout.mainStart).equals(original.subarray(layout.mainStart))).toBe(true);
    const again = await readPackageHead(file);
    expect(extractSignatures(again.layout.signatureHeader)).toEqual([{ tag: 268, packet }]);
    expect((await verifyPackageDigests(file, again.layout)).payloadDigest).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  });

  it('writes a patched copy to dest and leaves src alone', async () => {
    const original = makePackage().file;
    const src = put('a.rpm', original);
    const dest = path.join(dir, 'signed.rpm');
    fs.writeFileSync(dest, 'old content');
    const { layout } = await readPackageHead(src);
    const built = buildSignatureHeader(layout.signatureHeader, packet, 1);
    const result = await writeSignedPackage({ src, dest, layout, newSignatureRegion: built.region });
    expect(result.method).toBe('copied-and-patched');
    expect(fs.readFileSync(src).equals(original)).toBe(true);
    const out = fs.readFileSync(dest);
    expect(Buffer.concat([original.subarray(0, 96), built.region, original.subarray(layout.mainStart)]).equals(out)).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('rewrites the file by streaming when the size changes, in place or to dest', async () => {
    const original = makePackage({ reserve: 0, payload: Buffer.alloc(3 * 1024 * 1024 + 5, 0x5a) }).file;
    for (const toDest of [false, true]) {
      const src = put(`r${toDest}.rpm`, original, 0o604);
      const dest = toDest ? path.join(dir, `r${toDest}-signed.rpm`) : undefined;
      const { layout } = await readPackageHead(src);
      const built = buildSignatureHeader(layout.signatureHeader, packet, 1);
      expect(built.sameSize).toBe(false);
      const result = await writeSignedPackage({ src, dest, layout, newSignatureRegion: built.region, sameSize: false });
      expect(result.method).toBe('rewritten');
      expect(result.mainStart).toBe(96 + built.region.length);
      const out = fs.readFileSync(dest ?? src);
      expect(out.equals(Buffer.concat([original.subarray(0, 96), built.region, original.subarray(layout.mainStart)]))).toBe(true);
      expect(fs.statSync(dest ?? src).mode & 0o777).toBe(0o604);
      if (toDest) expect(fs.readFileSync(src).equals(original)).toBe(true);
      const again = await readPackageHead(dest ?? src);
      expect((await verifyPackageDigests(dest ?? src, again.layout)).md5).toBe(true);
    }
    expect(leftovers()).toEqual([]);
  });

  it('refuses to write when the package changed since it was read, and leaves it untouched', async () => {
    for (const reserve of [4128, 0]) {
      const file = put(`c${reserve}.rpm`, makePackage({ reserve }).file);
      const { layout } = await readPackageHead(file);
      const swapped = makePackage({ reserve, name: 'swapped' }).file;
      fs.writeFileSync(file, swapped);
      const built = buildSignatureHeader(layout.signatureHeader, packet, 1);
      for (const dest of [undefined, path.join(dir, `c${reserve}-out.rpm`)]) {
        const code = await codeOf(writeSignedPackage({ src: file, dest, layout, newSignatureRegion: built.region }));
        expect(code, `reserve ${reserve} dest ${dest}`).toBe('RPM_CHANGED');
        expect(fs.readFileSync(file).equals(swapped)).toBe(true);
        if (dest !== undefined) expect(fs.existsSync(dest)).toBe(false);
      }
    }
    expect(leftovers()).toEqual([]);
  });

  it('refuses a malformed or inconsistent new region before touching anything', async () => {
    const original = makePackage().file;
    const file = put('a.rpm', original);
    const { layout } = await readPackageHead(file);
    const built = buildSignatureHeader(layout.signatureHeader, packet, 1);
    const garbage = Buffer.alloc(built.region.length, 0x41);
    expect(await codeOf(writeSignedPackage({ src: file, layout, newSignatureRegion: garbage }))).toBe('RPM_BAD_HEADER_MAGIC');
    const badPad = Buffer.from(built.region);
    const padAt = built.header.bytes.length;
    if (padAt < badPad.length) {
      badPad[padAt] = 1;
      expect(await codeOf(writeSignedPackage({ src: file, layout, newSignatureRegion: badPad }))).toBe('RPM_BAD_REGION');
    }
    const unpadded = built.header.bytes.length % 8 === 0 ? Buffer.concat([built.region, Buffer.alloc(8)]) : built.header.bytes;
    expect(await codeOf(writeSignedPackage({ src: file, layout, newSignatureRegion: unpadded }))).toBe('RPM_BAD_REGION');
    expect(await codeOf(writeSignedPackage({ src: file, layout, newSignatureRegion: built.region, sameSize: false }))).toBe('RPM_BAD_REGION');
    expect(fs.readFileSync(file).equals(original)).toBe(true);
  });

  it('removes its temp file and reports RPM_IO when the destination cannot be written', async () => {
    const file = put('a.rpm', makePackage({ reserve: 0 }).file);
    const { layout } = await readPackageHead(file);
    const built = buildSignatureHeader(layout.signatureHeader, packet, 1);
    const destDir = path.join(dir, 'sub');
    fs.mkdirSync(path.join(destDir, 'signed.rpm'), { recursive: true });
    const code = await codeOf(writeSignedPackage({ src: file, dest: path.join(destDir, 'signed.rpm'), layout, newSignatureRegion: built.region }));
    expect(code).toBe('RPM_IO');
    expect(fs.readdirSync(destDir)).toEqual(['signed.rpm']);
    expect(await codeOf(writeSignedPackage({ src: file, dest: path.join(dir, 'no', 'such', 'dir.rpm'), layout, newSignatureRegion: built.region }))).toBe('RPM_IO');
  });
});
