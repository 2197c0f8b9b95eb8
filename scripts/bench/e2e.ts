import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadClientConfig, openSession, signRpms, unlockKey } from '@signet/client';
import { bytesToSign, readPackageHead } from '@signet/rpm';
import { BIN, onLines } from '../lib/run.ts';
import type { BenchDeployment } from './deployment.ts';
import { nowNs, percentile, processCpuSeconds, secondsSince } from './stats.ts';

const PROBE = path.join(import.meta.dirname, 'hwm-probe.ts');

/**
 * End-to-end measurements through the three real processes.
 *
 * - A batch is one `signet sign-rpm --json --jobs N -o DIR FILE...` process: wall time from
 *   spawn to exit (process start, TLS, unlock with Argon2id, every package read, checked,
 *   signed, verified and written), and the steady rate between its first and last result
 *   line (what a long batch converges to).
 * - Latency is measured in this process with the client library over one warm session:
 *   `signRpms` of one package at a time, sequentially (the CLI's own code path minus
 *   process start), plus the bare `sign-rpm-header` round trip for comparison.
 */

export interface BatchResult {
  jobs: number;
  packages: number;
  seconds: number;
  perSecond: number;
  /** Packages per second between the first and the last result. */
  steadyPerSecond: number;
  /** Seconds from spawn to the first result (start-up, session, unlock, first package). */
  firstResultSeconds: number;
  /** Peak resident set of the client process, MiB. */
  clientRssMb: number;
  /** CPU seconds (all threads) each process spent during the batch. */
  cpu: { client: number; server: number; bridge: number };
}

/**
 * One client process over `files`. The client is started with hwm-probe.ts, which
 * reports its peak RSS and CPU time at exit; the server's and bridge's CPU time are read
 * from /proc before and after.
 */
export async function runBatch(b: BenchDeployment, key: string, files: string[], outDir: string, jobs: number, inPlace = false, verifyPayload = true): Promise<BatchResult> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const probeFile = `${outDir}.probe`;
  rmSync(probeFile, { force: true });
  const extraEnv = { NODE_OPTIONS: `--import ${PROBE}`, SIGNET_BENCH_HWM_FILE: probeFile };
  const serverCpu0 = processCpuSeconds(b.serverPid);
  const bridgeCpu0 = processCpuSeconds(b.bridge.child.pid);
  const target = [...(inPlace ? ['--in-place'] : ['-o', outDir]), ...(verifyPayload ? [] : ['--no-verify-payload'])];
  const args = [BIN.client, '--config', b.dep.clientConfig, 'sign-rpm', '--json', '--key', key, '--passphrase-file', b.dep.passphraseFile, '--jobs', String(jobs), ...target, ...files];
  const start = nowNs();
  const stamps: number[] = [];
  let failures = 0;
  let stderr = '';
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: b.envFor('client', extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
    onLines(child.stdout, (line) => {
      stamps.push(secondsSince(start));
      if (!(JSON.parse(line) as { ok: boolean }).ok) failures++;
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  const seconds = secondsSince(start);
  const serverCpu = processCpuSeconds(b.serverPid) - serverCpu0;
  const bridgeCpu = processCpuSeconds(b.bridge.child.pid) - bridgeCpu0;
  if (code !== 0 || failures > 0 || stamps.length !== files.length) {
    throw new Error(`signet sign-rpm --jobs ${jobs} failed (exit ${code}, ${failures} failed, ${stamps.length}/${files.length} results):\n${stderr.slice(-3000)}`);
  }
  if (!existsSync(probeFile)) throw new Error('the client did not report its peak RSS and CPU time');
  const [, kb, cpuUs] = readFileSync(probeFile, 'utf8').trim().split(/\s+/).map(Number);
  const first = stamps[0] as number;
  const last = stamps[stamps.length - 1] as number;
  return {
    jobs,
    packages: files.length,
    seconds,
    perSecond: files.length / seconds,
    steadyPerSecond: files.length > 1 && last > first ? (files.length - 1) / (last - first) : Number.NaN,
    firstResultSeconds: first,
    clientRssMb: (kb ?? Number.NaN) / 1024,
    cpu: { client: (cpuUs ?? Number.NaN) / 1e6, server: serverCpu, bridge: bridgeCpu },
  };
}

export interface LatencyResult {
  /** signRpms of one package, milliseconds per call. */
  signRpm: number[];
  /** The bare sign-rpm-header request, milliseconds per call. */
  rpc: number[];
}

function readPassphraseFile(file: string): string {
  return readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
}

export async function measureLatency(b: BenchDeployment, keyName: string, files: string[], outDir: string, count: number, warmup: number): Promise<LatencyResult> {
  mkdirSync(outDir, { recursive: true });
  const config = loadClientConfig(b.dep.clientConfig);
  const rpc = await openSession(config);
  try {
    const key = await unlockKey(rpc, keyName, readPassphraseFile(b.dep.passphraseFile));
    const live = { rpc, key };
    // signRpms asks its keeper for the session and drops it on a link failure; this
    // keeper always hands out the one warm session (no failure is expected here).
    const keeper = { get: async () => live, invalidate: () => undefined, close: () => undefined } as unknown as Parameters<typeof signRpms>[0];
    const signRpm: number[] = [];
    for (let i = 0; i < warmup + count; i++) {
      const file = files[i % files.length] as string;
      const t = nowNs();
      const [r] = await signRpms(keeper, { files: [file], outDir, inPlace: false, jobs: 1, maxHeaderBytes: config.limits.maxHeaderBytes, verifyPayload: true, retry: config.retry });
      const ms = secondsSince(t) * 1000;
      if (r?.ok !== true) throw new Error(`latency run: ${file} failed: ${r && !r.ok ? `${r.code}: ${r.message}` : 'no result'}`);
      if (i >= warmup) signRpm.push(ms);
    }
    const header = bytesToSign((await readPackageHead(files[0] as string)).layout);
    const rpcMs: number[] = [];
    for (let i = 0; i < warmup + count; i++) {
      const t = nowNs();
      await rpc.call('sign-rpm-header', { key: keyName }, header);
      if (i >= warmup) rpcMs.push(secondsSince(t) * 1000);
    }
    return { signRpm, rpc: rpcMs };
  } finally {
    rpc.close();
  }
}

export interface WarmBatchResult {
  jobs: number;
  packages: number;
  seconds: number;
  perSecond: number;
  /** CPU seconds of this process (the client), the server and the bridge during the batch. */
  cpu: { client: number; server: number; bridge: number };
}

/**
 * The same batch as `runBatch`, from a client that is already running with its session
 * open and its key unlocked (a long-running client: sign-tag per tag, or a pipeline that
 * keeps one): in-process `signRpms` over every file, `jobs` in flight, timed from the
 * first request to the last verified, written package. Start-up, the handshakes and the
 * Argon2id unlock are outside the window; everything per package is inside it.
 */
export async function measureWarmBatch(b: BenchDeployment, keyName: string, files: string[], outDir: string, jobs: number): Promise<WarmBatchResult> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const warmDir = `${outDir}-warmup`;
  rmSync(warmDir, { recursive: true, force: true });
  mkdirSync(warmDir, { recursive: true });
  const config = loadClientConfig(b.dep.clientConfig);
  const rpc = await openSession(config);
  try {
    const live = { rpc, key: await unlockKey(rpc, keyName, readPassphraseFile(b.dep.passphraseFile)) };
    const keeper = { get: async () => live, invalidate: () => undefined, close: () => undefined } as unknown as Parameters<typeof signRpms>[0];
    const opts = { inPlace: false, jobs, maxHeaderBytes: config.limits.maxHeaderBytes, verifyPayload: true, retry: config.retry };
    // Warm-up (JIT, buffers), untimed, into another directory.
    await signRpms(keeper, { ...opts, files: files.slice(0, Math.min(files.length, 200)), outDir: warmDir });
    const server0 = processCpuSeconds(b.serverPid);
    const bridge0 = processCpuSeconds(b.bridge.child.pid);
    const client0 = process.cpuUsage();
    const start = nowNs();
    const results = await signRpms(keeper, { ...opts, files, outDir });
    const seconds = secondsSince(start);
    const client = process.cpuUsage(client0);
    const failed = results.filter((r) => !r.ok).length;
    if (failed > 0) throw new Error(`warm batch: ${failed} of ${files.length} packages failed`);
    return {
      jobs,
      packages: files.length,
      seconds,
      perSecond: files.length / seconds,
      cpu: { client: (client.user + client.system) / 1e6, server: processCpuSeconds(b.serverPid) - server0, bridge: processCpuSeconds(b.bridge.child.pid) - bridge0 },
    };
  } finally {
    rpc.close();
    rmSync(warmDir, { recursive: true, force: true });
  }
}

export function summarizeLatency(ms: number[]): { p50: number; p99: number; mean: number } {
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), mean: ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length) };
}
