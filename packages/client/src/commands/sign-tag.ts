import { isSignetError } from '@signet/protocol';
import { fetchRpmHead } from '../koji/header-fetch.ts';
import type { HeadVia } from '../koji/header-fetch.ts';
import { sigkeyOf } from '../koji/plan.ts';
import type { PlannedRpm, RpmAction } from '../koji/plan.ts';
import { nvr, nvra, rpmRelPath } from '../koji/tagged.ts';
import type { TaggedRpm } from '../koji/tagged.ts';
import { SignatureWriter } from '../koji/sig-writer.ts';
import { ClientError } from '../errors.ts';
import type { RetryPolicy } from '../retry.ts';
import type { SessionKeeper } from '../session-keeper.ts';
import { signPackageHead } from './sign-header.ts';
import type { KojiContext } from './koji-tag.ts';

/**
 * Carries out a plan (see koji/plan.ts), `jobs` rpms in flight: header fetches and signing
 * requests run in parallel; hub writes go through one SignatureWriter, which batches the
 * rpms ready at the same time into one `multiCall` on the one Koji session. Per rpm:
 * - sign: fetch the head (checked against the hub's sigmd5), sign through bridge and server,
 *   verify, `addRPMSig`, `writeSignedRPM(force)`;
 * - write: `writeSignedRPM` only;
 * - skip: nothing.
 * Idempotent and resumable: "Signature already exists" counts as stored; a lost answer is
 * settled by re-querying `queryRPMSigs`, never by resending the write (koji/sig-writer.ts).
 * A signature is stored only after it verified, and its copy is written in the same batch,
 * so a crash leaves at most signatures without copies, which the next run's plan writes.
 */

export type KojiRpmStatus = 'skipped' | 'written' | 'signed' | 'would-write' | 'would-sign';

export type KojiRpmResult =
  | { ok: true; rpm: string; id: number; build: string; action: RpmAction; status: KojiRpmStatus; via?: HeadVia }
  | { ok: false; rpm: string; id: number; build: string; action: RpmAction; code: string; message: string };

export interface ExecuteOptions {
  readonly sigkey: string;
  readonly jobs: number;
  readonly retry: RetryPolicy;
  readonly dryRun: boolean;
  /** Required unless dryRun or nothing is to be signed. */
  readonly keeper: SessionKeeper | undefined;
  readonly onResult?: (r: KojiRpmResult) => void;
  readonly onRetry?: (rpm: string, err: unknown, attempt: number) => void;
  /** Checked between rpms: when true, no new rpm is started (Ctrl-C); those in flight finish. */
  readonly stopped?: () => boolean;
}


export async function executePlan(ctx: KojiContext, plan: readonly PlannedRpm[], opts: ExecuteOptions): Promise<KojiRpmResult[]> {
  const results: KojiRpmResult[] = [];
  const writer = new SignatureWriter(ctx.session, opts.sigkey);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < plan.length; i = next++) {
      if (opts.stopped?.() === true) return;
      const p = plan[i] as PlannedRpm;
      const base = { rpm: nvra(p.rpm), id: p.rpm.id, build: nvr(p.rpm.build), action: p.action };
      let r: KojiRpmResult;
      try {
        r = { ok: true, ...base, ...(await runOne(ctx, writer, p, opts)) };
      } catch (err) {
        r = { ok: false, ...base, code: isSignetError(err) ? err.code : 'INTERNAL', message: (err as Error).message };
      }
      results.push(r);
      opts.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, plan.length)) }, worker));
  return results;
}

async function runOne(ctx: KojiContext, writer: SignatureWriter, p: PlannedRpm, opts: ExecuteOptions): Promise<{ status: KojiRpmStatus; via?: HeadVia }> {
  const { rpm, action } = p;
  if (action === 'skip') return { status: 'skipped' };
  if (action === 'write') {
    if (opts.dryRun) return { status: 'would-write' };
    await writer.write({ rpmId: rpm.id, region: undefined });
    return { status: 'written' };
  }
  const { layout, via } = await fetchRpmHead(ctx.files, rpmRelPath(rpm), rpm.payloadhash);
  if (opts.dryRun) return { status: 'would-sign', via };
  if (opts.keeper === undefined) throw new ClientError('USAGE', 'signing needs a Signet session');
  const signed = await signPackageHead(opts.keeper, layout, opts.retry, (err, attempt) => opts.onRetry?.(nvra(rpm), err, attempt));
  // Threat: the server's key is not the key the plan was made for; storing it would file a
  // signature under the wrong sigkey in the hub's eyes (Koji derives it from the packet).
  if (sigkeyOf(signed.keyId) !== opts.sigkey) {
    throw new ClientError('SIGNATURE_INVALID', `the server signed with key ${signed.keyId}, not the key with sigkey ${opts.sigkey}; nothing stored`);
  }
  await writer.write({ rpmId: rpm.id, region: signed.region });
  return { status: 'signed', via };
}

export interface KojiRunSummary {
  summary: true;
  total: number;
  signed: number;
  written: number;
  skipped: number;
  failed: number;
  dryRun: boolean;
  failures: { rpm: string; code: string; message: string }[];
}

export type KojiOutcome = 'signed' | 'written' | 'skipped' | 'failed';

/** How a result counts (a dry run's would-sign counts as signed, would-write as written). */
export function outcomeOf(r: KojiRpmResult): KojiOutcome {
  if (!r.ok) return 'failed';
  if (r.status === 'signed' || r.status === 'would-sign') return 'signed';
  if (r.status === 'written' || r.status === 'would-write') return 'written';
  return 'skipped';
}

export function summarize(results: readonly KojiRpmResult[], total: number, dryRun: boolean): KojiRunSummary {
  const s: KojiRunSummary = { summary: true, total, signed: 0, written: 0, skipped: 0, failed: 0, dryRun, failures: [] };
  for (const r of results) {
    s[outcomeOf(r)]++;
    if (!r.ok) s.failures.push({ rpm: r.rpm, code: r.code, message: r.message });
  }
  return s;
}
