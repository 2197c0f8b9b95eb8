import path from 'node:path';
import { realpathSync, existsSync } from 'node:fs';
import { isSignetError } from '@signet/protocol';
import { loadPackage, packageInfo, requireHeaderOnlySignable, writeSignedPackage } from '@signet/rpm';
import { ClientError } from '../errors.ts';
import type { RetryPolicy } from '../retry.ts';
import type { SessionKeeper } from '../session-keeper.ts';
import { signPackageHead } from './sign-header.ts';

export interface SignRpmOptions {
  files: string[];
  /** Write signed copies here (same base name); or, with inPlace, replace each file. */
  outDir: string | undefined;
  inPlace: boolean;
  /** Packages in flight at once. */
  jobs: number;
  maxHeaderBytes: number;
  /**
   * Check the payload against the header's digests before signing (default). Off
   * (`--no-verify-payload`) only the header digests are checked: for very large packages
   * whose payload was verified elsewhere, e.g. just built by this host's rpmbuild.
   */
  verifyPayload: boolean;
  retry: RetryPolicy;
  /** Told about each transient failure that is being retried (for the user's terminal). */
  onRetry?: (file: string, err: unknown, attempt: number) => void;
  /** Told about each package as soon as it is done, in completion order. */
  onResult?: (result: SignRpmResult) => void;
}

export type SignRpmResult =
  | { ok: true; file: string; output: string; nevra: string; keyId: string; method: string; attempts: number }
  | { ok: false; file: string; code: string; message: string };

/**
 * `signet sign-rpm`: for each package, check its own digests (a damaged package is
 * refused, not signed), send only its main header, verify the returned signature, then
 * write it into the package — patched in place when the reserved space suffices, else
 * rewritten to a temp file and renamed; with an output directory, a small package's
 * signed copy is written from the bytes already read and checked. On any failure the
 * input is untouched and no output appears. Packages are pipelined: `jobs` requests in
 * flight over one session.
 *
 * A request caught by a dropped link, or a bridge or server restart, is retried on a new
 * session (signing a header twice is harmless), up to `retry.maxAttempts` per package.
 */
export async function signRpms(keeper: SessionKeeper, opts: SignRpmOptions): Promise<SignRpmResult[]> {
  const targets = planOutputs(opts);
  const results: SignRpmResult[] = new Array(opts.files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < opts.files.length; i = next++) {
      const file = opts.files[i] as string;
      try {
        results[i] = await signOne(keeper, file, targets[i] as string | undefined, opts);
      } catch (err) {
        results[i] = { ok: false, file, code: isSignetError(err) ? err.code : 'INTERNAL', message: (err as Error).message };
      }
      opts.onResult?.(results[i] as SignRpmResult);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, opts.files.length) }, worker));
  return results;
}

async function signOne(keeper: SessionKeeper, file: string, dest: string | undefined, opts: SignRpmOptions): Promise<SignRpmResult> {
  // One open per package: a small package is read whole and checked from memory (its
  // signed copy is then written from those bytes); a large one is streamed.
  const { layout, bytes, mode } = await loadPackage(file, {
    limits: { mainMaxBytes: opts.maxHeaderBytes },
    // The holder of the file is the only party who can see a damaged payload: check it now
    // (the header's own digests are checked either way).
    verifyPayload: opts.verifyPayload,
    // Packages without a payload digest (rpm < 4.14) need a v3 signature over the payload:
    // refused before the payload is checked.
    checkHead: (layout) => requireHeaderOnlySignable(packageInfo(layout.mainHeader)),
  });
  // Only a new output is written from the checked bytes; in place they are not kept while
  // the request is out (up to 512 KiB per package in flight).
  const contents = dest === undefined || bytes === undefined ? undefined : { bytes, mode };
  const signed = await signPackageHead(keeper, layout, opts.retry, (err, attempt) => opts.onRetry?.(file, err, attempt));
  const written = await writeSignedPackage({
    src: file,
    dest,
    layout,
    newSignatureRegion: signed.region,
    sameSize: signed.sameSize,
    contents,
  });
  return { ok: true, file, output: written.path, nevra: signed.nevra, keyId: signed.keyId, method: written.method, attempts: signed.attempts };
}

/** Output path per input (undefined = in place). Refuses outputs that collide. */
function planOutputs(opts: SignRpmOptions): (string | undefined)[] {
  if (opts.inPlace) {
    // One file named twice (a repeated line, a symlink, a/./b) would be signed twice at once,
    // by two writers of the same file: refused before anything is signed.
    const seen = new Map<string, string>();
    for (const file of opts.files) {
      // A path that does not resolve is compared as written; signing it reports why.
      let real: string;
      try {
        real = realpathSync(file);
      } catch {
        real = path.resolve(file);
      }
      const prior = seen.get(real);
      if (prior !== undefined) throw new ClientError('OUTPUT_CONFLICT', `${file} and ${prior} are the same file; name it once`);
      seen.set(real, file);
    }
    return opts.files.map(() => undefined);
  }
  const outDir = opts.outDir as string;
  if (!existsSync(outDir)) throw new ClientError('USAGE', `output directory ${outDir} does not exist`);
  const seen = new Map<string, string>();
  return opts.files.map((file) => {
    const dest = path.join(outDir, path.basename(file));
    const prior = seen.get(dest);
    if (prior !== undefined) throw new ClientError('OUTPUT_CONFLICT', `${file} and ${prior} would both be written to ${dest}`);
    seen.set(dest, file);
    if (existsSync(dest) && existsSync(file) && realpathSync(dest) === realpathSync(file)) {
      throw new ClientError('OUTPUT_CONFLICT', `${dest} is the input itself; use --in-place to sign in place`);
    }
    return dest;
  });
}
