import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSignatureHeader, extractSignatures, loadPackage, readPackageHead, RpmError, verifyPackageDigests, writeSignedPackage } from '@signet/rpm';
import { syncDirShared } from '../../../packages/rpm/src/io/files.ts';
import { e, fakeSignaturePacket } from './builder.ts';
import { makePackage } from './fixtures.ts';
import { codeOfAsync } from '../../helpers/error-code.ts';
import { INTEROP_DIR } from '../../helpers/interop.ts';


let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function put(name: string, bytes: Buffer, mode = 0o640): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  fs.chmodSync(file, mode);
  return file;
}

const leftovers = () => fs.readdirSync(dir).filter((f) => f.includes('.signet-'));

describe('readPackageHead', () => {
  it('reads the interop packages', async () => {
    const { layout, fileSize } = await readPackageHead(path.join(INTEROP_DIR, 'hello-2.0-1.x86_64.rpm'));
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

  it('refuses a FIFO at once, without waiting for a writer', async () => {
    const fifo = path.join(dir, 'pipe.rpm');
    const made = spawnSync('mkfifo', [fifo]);
    expect(made.status).toBe(0);
    await expect(readPackageHead(fifo)).rejects.toMatchObject({ code: 'RPM_IO', message: expect.stringContaining('not a regular file') });
    await expect(loadPackage(fifo, { verifyPayload: true })).rejects.toMatchObject({ code: 'RPM_IO' });
  }, 5_000);

  it('does not need the payload to be readable or even present', async () => {
    const { file, payload } = makePackage({ payload: Buffer.alloc(4096, 9) });
    const headOnly = put('head.rpm', file.subarray(0, file.length - payload.length));
    const { layout } = await readPackageHead(headOnly);
    expect(layout.mainEnd).toBe(file.length - payload.length);
  });
});

describe('verifyPackageDigests', () => {
  it('passes intact packages and names what it checked', async () => {
    const file = path.join(INTEROP_DIR, 'hello-2.0-1.x86_64.rpm');
    const { layout } = await readPackageHead(file);
    expect(await verifyPackageDigests(file, layout)).toEqual({ headerSha256: true, headerSha1: true, payloadDigest: true, md5: true, size: true });
  });

  it('fails the payload check of the corrupted interop package', async () => {
    const file = path.join(INTEROP_DIR, 'hello-2.0-1.x86_64-corrupted.rpm');
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
        const code = await codeOfAsync(writeSignedPackage({ src: file, dest, layout, newSignatureRegion: built.region }));
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
    expect(await codeOfAsync(writeSignedPackage({ src: file, layout, newSignatureRegion: garbage }))).toBe('RPM_BAD_HEADER_MAGIC');
    const badPad = Buffer.from(built.region);
    const padAt = built.header.bytes.length;
    if (padAt < badPad.length) {
      badPad[padAt] = 1;
      expect(await codeOfAsync(writeSignedPackage({ src: file, layout, newSignatureRegion: badPad }))).toBe('RPM_BAD_REGION');
    }
    const unpadded = built.header.bytes.length % 8 === 0 ? Buffer.concat([built.region, Buffer.alloc(8)]) : built.header.bytes;
    expect(await codeOfAsync(writeSignedPackage({ src: file, layout, newSignatureRegion: unpadded }))).toBe('RPM_BAD_REGION');
    expect(await codeOfAsync(writeSignedPackage({ src: file, layout, newSignatureRegion: built.region, sameSize: false }))).toBe('RPM_BAD_REGION');
    expect(fs.readFileSync(file).equals(original)).toBe(true);
  });

  it('removes its temp file and reports RPM_IO when the destination cannot be written', async () => {
    const file = put('a.rpm', makePackage({ reserve: 0 }).file);
    const { layout } = await readPackageHead(file);
    const built = buildSignatureHeader(layout.signatureHeader, packet, 1);
    const destDir = path.join(dir, 'sub');
    fs.mkdirSync(path.join(destDir, 'signed.rpm'), { recursive: true });
    const code = await codeOfAsync(writeSignedPackage({ src: file, dest: path.join(destDir, 'signed.rpm'), layout, newSignatureRegion: built.region }));
    expect(code).toBe('RPM_IO');
    expect(fs.readdirSync(destDir)).toEqual(['signed.rpm']);
    expect(await codeOfAsync(writeSignedPackage({ src: file, dest: path.join(dir, 'no', 'such', 'dir.rpm'), layout, newSignatureRegion: built.region }))).toBe('RPM_IO');
  });
});

describe('loadPackage', () => {
  const MiB = 1024 * 1024;
  const all = { headerSha256: true, headerSha1: true, payloadDigest: true, md5: true, size: true };

  it('reads a small package whole, in memory, and checks every digest', async () => {
    const file = path.join(INTEROP_DIR, 'hello-2.0-1.x86_64.rpm');
    const loaded = await loadPackage(file, { verifyPayload: true });
    expect(loaded.bytes?.equals(fs.readFileSync(file))).toBe(true);
    expect(loaded.fileSize).toBe(9915);
    expect(loaded.mode).toBe(fs.statSync(file).mode & 0o7777);
    expect([loaded.layout.signatureEnd, loaded.layout.mainStart, loaded.layout.mainEnd]).toEqual([4500, 4504, 7160]);
    expect(loaded.digests).toEqual(all);
    // The same package streamed: same layout and verdicts, nothing kept in memory.
    const streamed = await loadPackage(file, { verifyPayload: true, wholeFileMaxBytes: 0 });
    expect(streamed.bytes).toBeUndefined();
    expect(streamed.layout.mainHeader.bytes.equals(loaded.layout.mainHeader.bytes)).toBe(true);
    expect(streamed.digests).toEqual(all);
  });

  it('streams a large package (payload over 1 MiB, headers over the first read) and keeps only its head', async () => {
    const payload = Buffer.alloc(3 * MiB + 5, 0x5a);
    // A 100 KB main header entry: more than the first 64 KiB read of the head.
    const { file: bytes } = makePackage({ payload, mainExtra: [e.bin(5999, Buffer.alloc(100_000, 7))] });
    const file = put('big.rpm', bytes, 0o604);
    const loaded = await loadPackage(file, { verifyPayload: true });
    expect(loaded.bytes).toBeUndefined();
    expect(loaded.mode).toBe(0o604);
    expect(loaded.layout.mainEnd).toBe(bytes.length - payload.length);
    expect(loaded.digests).toEqual(all);
    // A damaged last byte is seen at the end of the stream.
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 1] = 0;
    const bad = put('bad.rpm', damaged);
    expect(await codeOfAsync(loadPackage(bad, { verifyPayload: true }))).toBe('RPM_PAYLOAD_DIGEST_MISMATCH');
    // Without payload verification only the head is read.
    expect((await loadPackage(bad, { verifyPayload: false })).digests).toEqual({ headerSha256: true, headerSha1: true });
  });

  it('reports damaged packages with the codes of verifyPackageDigests, whole or streamed', async () => {
    const corrupted = path.join(INTEROP_DIR, 'hello-2.0-1.x86_64-corrupted.rpm');
    const { file: edited } = makePackage({ name: 'demo' });
    edited.write('dEmo', edited.indexOf('demo\0'), 'latin1');
    const editedFile = put('edited.rpm', edited);
    for (const wholeFileMaxBytes of [undefined, 0]) {
      await expect(loadPackage(corrupted, { verifyPayload: true, wholeFileMaxBytes })).rejects.toMatchObject({ code: 'RPM_PAYLOAD_DIGEST_MISMATCH', message: expect.stringContaining(corrupted) });
      // Header digests only: the damaged payload passes, and no payload verdict is claimed.
      const headOnly = (await loadPackage(corrupted, { verifyPayload: false, wholeFileMaxBytes })).digests;
      expect(headOnly.headerSha256).toBe(true);
      expect(Object.keys(headOnly).sort()).toEqual(['headerSha1', 'headerSha256']);
      expect(await codeOfAsync(loadPackage(editedFile, { verifyPayload: false, wholeFileMaxBytes }))).toBe('RPM_HEADER_DIGEST_MISMATCH');
    }
  });

  it('refuses what readPackageHead refuses, naming the file', async () => {
    const full = makePackage().file;
    for (const wholeFileMaxBytes of [undefined, 0]) {
      const cut = put('cut.rpm', full.subarray(0, 500));
      await expect(loadPackage(cut, { verifyPayload: true, wholeFileMaxBytes })).rejects.toMatchObject({ code: 'RPM_TRUNCATED', message: expect.stringContaining(cut) });
      const html = put('page.rpm', Buffer.from('<html>nope</html>'));
      await expect(loadPackage(html, { verifyPayload: true, wholeFileMaxBytes })).rejects.toMatchObject({ code: 'RPM_NOT_RPM', message: expect.stringContaining(html) });
      expect(await codeOfAsync(loadPackage(path.join(dir, 'missing.rpm'), { verifyPayload: true, wholeFileMaxBytes }))).toBe('RPM_IO');
      expect(await codeOfAsync(loadPackage(dir, { verifyPayload: true, wholeFileMaxBytes }))).toBe('RPM_IO');
      expect(await codeOfAsync(loadPackage(put('a.rpm', full), { verifyPayload: true, wholeFileMaxBytes, limits: { mainMaxBytes: 16 } }))).not.toBeUndefined();
    }
  });

  it('runs checkHead before any digest is checked', async () => {
    const corrupted = path.join(INTEROP_DIR, 'hello-2.0-1.x86_64-corrupted.rpm');
    const seen: number[] = [];
    const checkHead = (layout: { mainEnd: number }): void => {
      seen.push(layout.mainEnd);
      throw new RpmError('RPM_NEEDS_V3', 'refused by the caller');
    };
    for (const wholeFileMaxBytes of [undefined, 0]) {
      expect(await codeOfAsync(loadPackage(corrupted, { verifyPayload: true, wholeFileMaxBytes, checkHead }))).toBe('RPM_NEEDS_V3');
    }
    const { layout } = await readPackageHead(corrupted);
    expect(seen).toEqual([layout.mainEnd, layout.mainEnd]);
  });
});

describe('writeSignedPackage from the bytes in memory', () => {
  const packet = fakeSignaturePacket({ filler: 500 });

  it('writes the signed copy to dest in one write, same size or not, keeping the mode and leaving src alone', async () => {
    for (const reserve of [4128, 0]) {
      const original = makePackage({ reserve }).file;
      const src = put(`m${reserve}.rpm`, original, 0o604);
      const dest = path.join(dir, `m${reserve}-signed.rpm`);
      fs.writeFileSync(dest, 'old content');
      const loaded = await loadPackage(src, { verifyPayload: true });
      const built = buildSignatureHeader(loaded.layout.signatureHeader, packet, 1);
      expect(built.sameSize).toBe(reserve > 0);
      const contents = { bytes: loaded.bytes as Buffer, mode: loaded.mode };
      const result = await writeSignedPackage({ src, dest, layout: loaded.layout, newSignatureRegion: built.region, sameSize: built.sameSize, contents });
      expect(result).toEqual({ path: dest, method: 'written', mainStart: 96 + built.region.length });
      expect(fs.readFileSync(dest).equals(Buffer.concat([original.subarray(0, 96), built.region, original.subarray(loaded.layout.mainStart)]))).toBe(true);
      expect(fs.statSync(dest).mode & 0o777).toBe(0o604);
      expect(fs.readFileSync(src).equals(original)).toBe(true);
      const again = await loadPackage(dest, { verifyPayload: true });
      expect(extractSignatures(again.layout.signatureHeader)).toEqual([{ tag: 268, packet }]);
      expect(again.digests.md5).toBe(true);
    }
    expect(leftovers()).toEqual([]);
  });

  it('in place, still re-checks the file on disk and patches it (the bytes in memory are not used)', async () => {
    const file = put('a.rpm', makePackage().file);
    const loaded = await loadPackage(file, { verifyPayload: true });
    const built = buildSignatureHeader(loaded.layout.signatureHeader, packet, 1);
    fs.writeFileSync(file, makePackage({ name: 'swapped' }).file);
    const contents = { bytes: loaded.bytes as Buffer, mode: loaded.mode };
    expect(await codeOfAsync(writeSignedPackage({ src: file, layout: loaded.layout, newSignatureRegion: built.region, contents }))).toBe('RPM_CHANGED');
    fs.writeFileSync(file, loaded.bytes as Buffer);
    expect((await writeSignedPackage({ src: file, layout: loaded.layout, newSignatureRegion: built.region, contents })).method).toBe('patched-in-place');
  });

  it('writes the package that was checked even if src changes afterwards', async () => {
    const original = makePackage().file;
    const src = put('a.rpm', original);
    const loaded = await loadPackage(src, { verifyPayload: true });
    fs.writeFileSync(src, makePackage({ name: 'swapped' }).file);
    const built = buildSignatureHeader(loaded.layout.signatureHeader, packet, 1);
    const dest = path.join(dir, 'out.rpm');
    await writeSignedPackage({ src, dest, layout: loaded.layout, newSignatureRegion: built.region, contents: { bytes: loaded.bytes as Buffer, mode: loaded.mode } });
    expect(fs.readFileSync(dest).equals(Buffer.concat([original.subarray(0, 96), built.region, original.subarray(loaded.layout.mainStart)]))).toBe(true);
  });

  it('refuses bytes that do not hold the head that was read, and writes nothing', async () => {
    const src = put('a.rpm', makePackage().file);
    const loaded = await loadPackage(src, { verifyPayload: true });
    const built = buildSignatureHeader(loaded.layout.signatureHeader, packet, 1);
    const dest = path.join(dir, 'out.rpm');
    const other = makePackage({ name: 'other' }).file;
    expect(await codeOfAsync(writeSignedPackage({ src, dest, layout: loaded.layout, newSignatureRegion: built.region, contents: { bytes: other, mode: 0o644 } }))).toBe('RPM_CHANGED');
    const short = (loaded.bytes as Buffer).subarray(0, loaded.layout.mainEnd - 1);
    expect(await codeOfAsync(writeSignedPackage({ src, dest, layout: loaded.layout, newSignatureRegion: built.region, contents: { bytes: short, mode: 0o644 } }))).toBe('RPM_CHANGED');
    expect(fs.existsSync(dest)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('many concurrent outputs into one directory all land (shared directory fsync)', async () => {
    const original = makePackage().file;
    const src = put('a.rpm', original);
    const loaded = await loadPackage(src, { verifyPayload: true });
    const built = buildSignatureHeader(loaded.layout.signatureHeader, packet, 1);
    const contents = { bytes: loaded.bytes as Buffer, mode: loaded.mode };
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => writeSignedPackage({ src, dest: path.join(out, `p${i}.rpm`), layout: loaded.layout, newSignatureRegion: built.region, contents })),
    );
    expect(results.map((r) => r.method)).toEqual(Array(40).fill('written'));
    expect(fs.readdirSync(out).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `p${i}.rpm`).sort());
    // Best effort on a directory that cannot be opened, like syncDir.
    await expect(Promise.all([syncDirShared(path.join(dir, 'none')), syncDirShared(path.join(dir, 'none'))])).resolves.toEqual([undefined, undefined]);
  });
});
