import { rmSync } from 'node:fs';
import path from 'node:path';
import { readPackageHead, verifyPackageDigests } from '@signet/rpm';
import type { BenchDeployment } from './deployment.ts';
import { runBatch } from './e2e.ts';
import { buildBigRpm, buildSizedRpm, sizeOf } from './packages.ts';
import { nowNs, secondsSince } from './stats.ts';

/**
 * In-place signing of one big package against one ~20 KB package, each by its own
 * `signet sign-rpm --in-place` process (payload verification on: `--no-verify-payload`
 * does not exist yet). The client's peak RSS is read inside the client at exit
 * (VmHWM, via hwm-probe.ts, which runBatch loads with --import).
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
}

async function signInPlace(b: BenchDeployment, key: string, file: string, work: string): Promise<{ seconds: number; rssMb: number }> {
  const r = await runBatch(b, key, [file], path.join(work, `unused-out-${path.basename(file)}`), 1, true);
  return { seconds: r.seconds, rssMb: r.clientRssMb };
}

export async function measureBigRpm(b: BenchDeployment, key: string, work: string, bigBytes: number): Promise<BigRpmResult> {
  const t = nowNs();
  const big = buildBigRpm(path.join(work, 'build-big'), 'signet-bench-big', bigBytes);
  const buildSeconds = secondsSince(t);
  const small = buildSizedRpm(path.join(work, 'build-small'), 'signet-bench-20k', 16 * 1024);
  try {
    // Also warms the page cache, so the signing run below reads the payload from memory,
    // as it would right after a build.
    const d = nowNs();
    const { layout } = await readPackageHead(big);
    await verifyPackageDigests(big, layout);
    const bigDigestSeconds = secondsSince(d);

    const smallRun = await signInPlace(b, key, small, work);
    const bigRun = await signInPlace(b, key, big, work);
    return {
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
