import { closeSync, fsyncSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readPackageHead, verifyPackageDigests } from '@signet/rpm';
import type { BenchDeployment } from './deployment.ts';
import { runBatch } from './e2e.ts';
import { buildBigRpm, buildSizedRpm, sizeOf } from './packages.ts';
import { nowNs, secondsSince } from './stats.ts';

/**
 * In-place signing of one big package against one ~20 KB package, each by its own
 * `signet sign-rpm --in-place` process, with payload verification and again with
 * `--no-verify-payload` (the 2x target is defined without it). The client's peak
 * RSS is read inside the client at exit (VmHWM, via hwm-probe.ts, loaded with --import).
 */

export interface BigRpmResult {
  bigBytes: number;
  bigSeconds: number;
  bigClientRssMb: number;
  smallBytes: number;
  smallSeconds: number;
  smallClientRssMb: number;
  /** Seconds to read the big package's head and check its digests in-process (the payload verification alone). */
  bigDigestSeconds: number;
  /** Seconds rpmbuild took to make the big package. */
  buildSeconds: number;
  /** The same two runs with --no-verify-payload. */
  noVerify: { bigSeconds: number; bigClientRssMb: number; smallSeconds: number };
}

async function signInPlace(b: BenchDeployment, key: string, file: string, work: string, verifyPayload = true): Promise<{ seconds: number; rssMb: number }> {
  const r = await runBatch(b, key, [file], path.join(work, `unused-out-${path.basename(file)}`), 1, true, verifyPayload);
  return { seconds: r.seconds, rssMb: r.clientRssMb };
}

export async function measureBigRpm(b: BenchDeployment, key: string, work: string, bigBytes: number): Promise<BigRpmResult> {
  const t = nowNs();
  const big = buildBigRpm(path.join(work, 'build-big'), 'signet-bench-big', bigBytes);
  const buildSeconds = secondsSince(t);
  const small = buildSizedRpm(path.join(work, 'build-small'), 'signet-bench-20k', 16 * 1024);
  try {
    // The build's own writes go to disk first: otherwise the first in-place signing's
    // fsync would wait for rpmbuild's 2 GiB of dirty pages and be charged for them.
    for (const f of [big, small]) {
      const fd = openSync(f, 'r');
      fsyncSync(fd);
      closeSync(fd);
    }
    // Also warms the page cache, so the signing run below reads the payload from memory,
    // as it would right after a build.
    const d = nowNs();
    const { layout } = await readPackageHead(big);
    await verifyPackageDigests(big, layout);
    const bigDigestSeconds = secondsSince(d);

    const smallRun = await signInPlace(b, key, small, work);
    const bigRun = await signInPlace(b, key, big, work);
    const smallFast = await signInPlace(b, key, small, work, false);
    const bigFast = await signInPlace(b, key, big, work, false);
    return {
      noVerify: { bigSeconds: bigFast.seconds, bigClientRssMb: bigFast.rssMb, smallSeconds: smallFast.seconds },
      bigBytes: sizeOf(big),
      bigSeconds: bigRun.seconds,
      bigClientRssMb: bigRun.rssMb,
      smallBytes: sizeOf(small),
      smallSeconds: smallRun.seconds,
      smallClientRssMb: smallRun.rssMb,
      bigDigestSeconds,
      buildSeconds,
    };
  } finally {
    rmSync(path.join(work, 'build-big'), { recursive: true, force: true });
  }
}
