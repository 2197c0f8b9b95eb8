/**
 * Large payloads: the MD5 over [M, EOF) is hashed on a worker thread beside the SHA-256.
 * The offloaded digest must be computed over the same bytes and still be checked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPackage, readPackageHead, verifyPackageDigests } from '@signet/rpm';
import { OffThreadHash } from '../../../packages/rpm/src/io/offthread-hash.ts';
import { PARALLEL_MD5_MIN_BYTES } from '../../../packages/rpm/src/io/verify.ts';
import { codeOfAsync } from '../../helpers/error-code.ts';
import { buildRpm, disposeRpmBuilds } from '../../helpers/rpmbuild.ts';

describe('OffThreadHash', () => {
  it('equals the same hash on this thread, for uneven chunks through reused slots', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 12345);
    const prefix = randomBytes(3000);
    for (const algorithm of ['md5', 'sha256']) {
      const hash = new OffThreadHash(algorithm, 256 * 1024, 2);
      try {
        hash.prefix(prefix);
        for (let at = 0; at < data.length; ) {
          const slot = await hash.take();
          const n = Math.min(slot.length - (at % 7), data.length - at);
          data.copy(slot, 0, at, at + n);
          hash.give(slot, n);
          at += n;
        }
        const expected = createHash(algorithm).update(prefix).update(data).digest();
        expect((await hash.digest()).equals(expected)).toBe(true);
      } finally {
        await hash.close();
      }
    }
  });

  it('refuses a buffer that is not one of its slots', async () => {
    const hash = new OffThreadHash('md5', 1024, 1);
    try {
      expect(() => hash.give(Buffer.alloc(1024), 10)).toThrow(RangeError);
    } finally {
      await hash.close();
    }
  });
});

describe('payload digests of a package over the parallel threshold', () => {
  let work: string;
  let pkg: string;
  let mainStart: number;

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-md5par-'));
    pkg = buildRpm({ name: 'signet-test-parallel-md5', payloadBytes: PARALLEL_MD5_MIN_BYTES + 4 * 1024 * 1024 });
  }, 120_000);
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    disposeRpmBuilds();
  });

  const copy = (name: string): string => {
    const dest = path.join(work, name);
    copyFileSync(pkg, dest);
    return dest;
  };

  it('is large enough to take the parallel path, and every digest passes', async () => {
    const { layout } = await readPackageHead(pkg);
    mainStart = layout.mainStart;
    expect(statSync(pkg).size - layout.mainEnd).toBeGreaterThanOrEqual(PARALLEL_MD5_MIN_BYTES);
    expect(await verifyPackageDigests(pkg, layout)).toEqual({ headerSha256: true, headerSha1: true, payloadDigest: true, md5: true, size: true });
    const loaded = await loadPackage(pkg, { verifyPayload: true });
    expect(loaded.digests).toEqual({ headerSha256: true, headerSha1: true, payloadDigest: true, md5: true, size: true });
  });

  it('refuses a package whose MD5 alone is wrong (the offloaded digest is checked)', async () => {
    const file = copy('md5.rpm');
    const bytes = readFileSync(file);
    const md5 = createHash('md5').update(bytes.subarray(mainStart)).digest();
    const at = bytes.subarray(0, mainStart).indexOf(md5);
    expect(at).toBeGreaterThan(0);
    bytes[at] = (bytes[at] as number) ^ 1;
    writeFileSync(file, bytes);
    const { layout } = await readPackageHead(file);
    expect(await codeOfAsync(verifyPackageDigests(file, layout))).toBe('RPM_MD5_MISMATCH');
    expect(await codeOfAsync(loadPackage(file, { verifyPayload: true }))).toBe('RPM_MD5_MISMATCH');
  });

  it('refuses a payload damaged near its end', async () => {
    const file = copy('payload.rpm');
    const bytes = readFileSync(file);
    const at = bytes.length - 100;
    bytes[at] = (bytes[at] as number) ^ 0x80;
    writeFileSync(file, bytes);
    const { layout } = await readPackageHead(file);
    expect(await codeOfAsync(verifyPackageDigests(file, layout))).toBe('RPM_PAYLOAD_DIGEST_MISMATCH');
  });
});
