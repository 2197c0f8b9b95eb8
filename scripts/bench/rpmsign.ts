import { spawn } from 'node:child_process';
import { createGpgHome, type GpgHome } from '../../test/helpers/gpg.ts';
import { haveTool } from './packages.ts';
import { nowNs, secondsSince } from './stats.ts';

/**
 * The incumbent fallback: `rpmsign --addsign` with gpg and an RSA-4096 key without a
 * passphrase, over copies of the same package. rpm starts one gpg per package whatever we
 * do; we give it its best case, one rpmsign per core (each over half the files) as well as
 * one rpmsign over all of them, and report the faster.
 */

export interface RpmsignResult {
  perSecond: number;
  sequentialPerSecond: number;
  parallelPerSecond: number;
  packages: number;
}

export function rpmsignAvailable(): boolean {
  return haveTool('rpmsign') && haveTool('gpg') && haveTool('gpgconf');
}

function rpmsign(files: string[], home: GpgHome): Promise<void> {
  const defines = ['__gpg /usr/bin/gpg', `_gpg_name ${home.rsa.fingerprint}`, `_gpg_path ${home.home}`].flatMap((d) => ['--define', d]);
  return new Promise((resolve, reject) => {
    const child = spawn('rpmsign', ['--addsign', ...defines, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rpmsign failed (${code}): ${out.slice(-2000)}`))));
  });
}

/** `sequential` and `parallel` are two disjoint sets of unsigned copies. */
export async function measureRpmsign(sequential: string[], parallel: string[]): Promise<RpmsignResult> {
  const home = createGpgHome();
  try {
    // Warm-up: start gpg-agent, which the first signature would otherwise pay for.
    await rpmsign(sequential.slice(0, 1), home);
    const rest = sequential.slice(1);
    const t1 = nowNs();
    await rpmsign(rest, home);
    const sequentialPerSecond = rest.length / secondsSince(t1);

    const half = Math.ceil(parallel.length / 2);
    const t2 = nowNs();
    await Promise.all([rpmsign(parallel.slice(0, half), home), rpmsign(parallel.slice(half), home)]);
    const parallelPerSecond = parallel.length / secondsSince(t2);
    return { perSecond: Math.max(sequentialPerSecond, parallelPerSecond), sequentialPerSecond, parallelPerSecond, packages: rest.length + parallel.length };
  } finally {
    home.dispose();
  }
}
