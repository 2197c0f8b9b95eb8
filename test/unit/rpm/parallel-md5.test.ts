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
import { open } from 'node:fs/promises';
import { MAX_OFF_THREAD_HASHES, OffThreadHash, OffThreadHashError } from '../../../packages/rpm/src/io/offthread-hash.ts';
import { checkPayload, PARALLEL_MD5_MIN_BYTES, type StartMd5 } from '../../../packages/rpm/src/io/verify.ts';
import { codeOfAsync } from '../../helpers/error-code.ts';
import { buildRpm, disposeRpmBuilds } from '../../helpers/rpmbuild.ts';

describe('OffThreadHash', () => {
  const started = async (algorithm: string, slotBytes: number, slots?: number): Promise<OffThreadHash> => {
    const hash = await OffThreadHash.start(algorithm, slotBytes, slots);
    if (hash === undefined) throw new Error('no off-thread hash could start');
    return hash;
  };

  it('equals the same hash on this thread, for uneven chunks through reused slots', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 12345);
    const prefix = randomBytes(3000);
    for (const algorithm of ['md5', 'sha256']) {
      const hash = await started(algorithm, 256 * 1024, 2);
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
    const hash = await started('md5', 1024, 1);
    try {
      expect(() => hash.give(Buffer.alloc(1024), 10)).toThrow(RangeError);
    } finally {
      await hash.close();
    }
  });

  it('runs at most MAX_OFF_THREAD_HASHES at once; a closed hash frees its place and fails what waits on it', async () => {
    const hashes = await Promise.all(Array.from({ length: MAX_OFF_THREAD_HASHES }, () => started('md5', 1024, 1)));
    expect(await OffThreadHash.start('md5', 1024, 1)).toBeUndefined();
    const first = hashes[0] as OffThreadHash;
    await first.take(); // its only slot
    const waiting = expect(first.take()).rejects.toBeInstanceOf(OffThreadHashError);
    await first.close();
    await waiting;
    await expect(first.digest()).rejects.toBeInstanceOf(OffThreadHashError);
    const again = await started('md5', 1024, 1);
    await Promise.all([again, ...hashes.slice(1)].map((h) => h.close()));
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

  it('checks the payload on this thread when no worker is free, or when the worker fails midway', async () => {
    const file = copy('fallback.rpm');
    const broken = copy('fallback-md5.rpm');
    const bytes = readFileSync(broken);
    const md5 = createHash('md5').update(bytes.subarray(mainStart)).digest();
    const at = bytes.subarray(0, mainStart).indexOf(md5);
    bytes[at] = (bytes[at] as number) ^ 1;
    writeFileSync(broken, bytes);

    const none: StartMd5 = async () => undefined;
    let failed = 0;
    const dying: StartMd5 = async (slotBytes) => {
      const hash = await OffThreadHash.start('md5', slotBytes);
      if (hash === undefined) throw new Error('no off-thread hash could start');
      const give = hash.give.bind(hash);
      let given = 0;
      hash.give = (slot, length) => {
        give(slot, length);
        if (++given === 3) {
          failed++;
          void hash.close(); // the worker goes away after three chunks
        }
      };
      return hash;
    };
    for (const start of [none, dying]) {
      const fh = await open(file, 'r');
      const brokenFh = await open(broken, 'r');
      try {
        const { layout } = await readPackageHead(file);
        expect(await checkPayload(fh, layout, (await fh.stat()).size, start)).toEqual({ payloadDigest: true, md5: true, size: true });
        // The MD5 computed here after the fallback is still compared.
        const brokenLayout = (await readPackageHead(broken)).layout;
        expect(await codeOfAsync(checkPayload(brokenFh, brokenLayout, (await brokenFh.stat()).size, start))).toBe('RPM_MD5_MISMATCH');
      } finally {
        await fh.close();
        await brokenFh.close();
      }
    }
    expect(failed).toBe(2); // the dying worker failed in both of its runs
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
