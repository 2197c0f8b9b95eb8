import fs from 'node:fs';
import os from 'node:os';
import { isSignetError } from '@signet/protocol';
import type { ClientConfig } from '../config.ts';
import { ClientError } from '../errors.ts';
import { KojiError } from '../koji/errors.ts';
import { KojiSession } from '../koji/session.ts';
import { kojiProfileFrom, loadKojiProfile, parseKojiIni, KOJI_CONFIG_LIMITS } from '../koji/config.ts';
import type { KojiProfile } from '../koji/config.ts';
import { headerAgent } from '../koji/header-fetch.ts';
import type { HeaderSource } from '../koji/header-fetch.ts';
import { planCounts, sigkeyOf } from '../koji/plan.ts';
import type { PlannedRpm } from '../koji/plan.ts';
import { readPassphrase } from '../passphrase.ts';
import { SessionKeeper } from '../session-keeper.ts';
import { withSession } from '../session.ts';
import { listKeys } from './info.ts';
import { listBuildRpms, listTagRpms, planRpms } from './koji-tag.ts';
import type { KojiContext } from './koji-tag.ts';
import { executePlan, summarize } from './sign-tag.ts';
import type { KojiRpmResult } from './sign-tag.ts';
import { missingFromPlan } from './check-tag.ts';
import { completeBuilds, moveBuilds, pendingMoves } from '../koji/move.ts';
import { idOf, struct } from '../koji/hub-answer.ts';
import type { MoveResult } from '../koji/move.ts';
import { KojiReporter } from './koji-report.ts';
import type { KojiRunReport } from './koji-report.ts';

/**
 * The command-line side of `sign-tag`, `sign-build` and `check-tag`: option checks, the Koji
 * profile and session, the key's sigkey, the run and its moves (reporting: koji-report.ts).
 * Exit 0 all done, 1 some package failed or (check-tag) is missing, 2 usage or
 * configuration error.
 */

export interface KojiCliValues {
  key?: string | undefined;
  koji?: string | undefined;
  'koji-config'?: string | undefined;
  latest?: boolean | undefined;
  all?: boolean | undefined;
  inherit?: boolean | undefined;
  arch?: string | undefined;
  'dry-run'?: boolean | undefined;
  'move-to'?: string | undefined;
  json?: boolean | undefined;
  jobs?: string | undefined;
  'passphrase-file'?: string | undefined;
}

export interface KojiCliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

const CONFIG_CODES = new Set(['USAGE', 'CONFIG_INVALID', 'KOJI_CONFIG_INVALID', 'KOJI_PROFILE_NOT_FOUND']);
const ARCH = /^[A-Za-z0-9_]{1,32}$/;
const TAG_NAME = /^[A-Za-z0-9._+-]{1,255}$/;

/** The profile from `--koji-config FILE` alone, else from the standard Koji locations. */
export function readKojiProfile(name: string, file: string | undefined): KojiProfile {
  if (file === undefined) return loadKojiProfile(name);
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > KOJI_CONFIG_LIMITS.maxFileBytes) throw new Error('not a regular file of at most 256 KiB');
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new KojiError('KOJI_CONFIG_INVALID', `cannot read Koji configuration ${file}: ${(err as Error).message}`);
  }
  return kojiProfileFrom(parseKojiIni(text, file), name, os.homedir(), [file]);
}

/** A logged-in session and the file source for `profile` (certificate login), bounded by the client's `limits`. */
export async function openKoji(profile: KojiProfile, limits: Pick<ClientConfig['limits'], 'maxHeaderBytes'>): Promise<KojiContext> {
  const read = (f: string | undefined): Buffer | undefined => (f === undefined ? undefined : fs.readFileSync(f));
  if (profile.authtype !== undefined && profile.authtype !== 'ssl') {
    throw new KojiError('KOJI_CONFIG_INVALID', `Koji profile [${profile.name}]: authtype ${profile.authtype} is not supported by signet; use authtype = ssl with a cert`);
  }
  if (profile.cert === undefined) throw new KojiError('KOJI_CONFIG_INVALID', `Koji profile [${profile.name}] has no "cert" (PEM certificate and key for sslLogin)`);
  const ca = read(profile.serverca);
  const session = new KojiSession({ server: profile.server, tls: { ca, cert: read(profile.cert) }, ...(profile.timeoutMs === undefined ? {} : { timeoutMs: profile.timeoutMs }) });
  await session.sslLogin();
  const agent = profile.topurl === undefined ? undefined : headerAgent(profile.topurl, ca);
  const files: HeaderSource = { topdir: profile.topdir, topurl: profile.topurl, ca, agent, maxHeaderBytes: limits.maxHeaderBytes, ...(profile.timeoutMs === undefined ? {} : { timeoutMs: profile.timeoutMs }) };
  return { session, files };
}

/** The move target must exist before anything is signed (a typo found after signing a whole tag helps nobody). */
async function requireTag(ctx: KojiContext, tag: string): Promise<number> {
  const info = await ctx.session.call('getTag', [tag], { strict: false });
  if (info === null) throw new ClientError('USAGE', `--move-to: the hub has no tag ${tag}`);
  return idOf(struct(info, `getTag ${tag}`), 'id', `getTag ${tag}`);
}

async function sigkeyFor(config: ClientConfig, keyName: string): Promise<string> {
  const keys = await withSession(config, listKeys);
  const key = keys.find((k) => k.name === keyName);
  if (key === undefined) throw new ClientError('USAGE', `the server has no key named ${keyName} visible to you (see signet list-keys)`);
  return sigkeyOf(key.keyId);
}

export async function runKojiCommand(command: 'sign-tag' | 'sign-build' | 'check-tag', args: string[], v: KojiCliValues, config: ClientConfig, io: KojiCliIo): Promise<number> {
  let ctx: KojiContext | undefined;
  try {
    const need = (cond: unknown, what: string): void => {
      if (!cond) throw new ClientError('USAGE', `${command}: ${what}`);
    };
    need(v.key, '--key NAME is required');
    need(!(v.latest && v.all), 'give at most one of --latest and --all');
    if (command === 'sign-build') need(args.length > 0, 'needs at least one build N-V-R');
    else need(args.length === 1, 'needs exactly one tag');
    const arches = v.arch === undefined ? undefined : v.arch.split(',');
    need(arches === undefined || arches.every((a) => ARCH.test(a)), '--arch takes a comma-separated list of arches');
    const jobs = v.jobs === undefined ? config.limits.inFlight : Number(v.jobs);
    need(Number.isInteger(jobs) && jobs >= 1 && jobs <= 1024, '--jobs must be 1..1024');
    const moveTo = v['move-to'];
    if (moveTo !== undefined) {
      need(command === 'sign-tag', '--move-to is for sign-tag (it moves builds out of the tag signed)');
      need(TAG_NAME.test(moveTo) && moveTo !== args[0], '--move-to takes another tag name');
      // A move takes the whole build: every arch must have been checked, and it must be in TAG itself.
      need(arches === undefined, '--move-to moves whole builds; it cannot be combined with --arch');
      need(v.inherit !== true, '--move-to moves builds out of TAG; it cannot be combined with --inherit');
    }
    const profile = readKojiProfile(v.koji ?? 'koji', v['koji-config']);
    const sigkey = await sigkeyFor(config, v.key as string);
    ctx = await openKoji(profile, config.limits);
    const moveToId = moveTo === undefined ? undefined : await requireTag(ctx, moveTo);
    const rpms =
      command === 'sign-build'
        ? await listBuildRpms(ctx.session, args, arches)
        : await listTagRpms(ctx.session, { tag: args[0] as string, latest: v.all !== true, inherit: v.inherit === true, arches });
    const plan = await planRpms(ctx, rpms, sigkey);
    if (command === 'check-tag') return reportCheck(plan, sigkey, v.json === true, io);
    // The bar's label: the tag, or the builds (the first and how many more, so the counts fit).
    const label = command === 'sign-build' ? (args.length === 1 ? (args[0] as string) : `${args[0]} +${args.length - 1}`) : (args[0] as string);
    const move = moveToId === undefined || moveTo === undefined ? undefined : { from: args[0] as string, to: moveTo, toId: moveToId };
    return await sign(ctx, plan, sigkey, jobs, v, config, io, label, move);
  } catch (err) {
    const code = isSignetError(err) ? err.code : 'INTERNAL';
    io.stderr.write(`signet: ${code}: ${(err as Error).message}\n`);
    return CONFIG_CODES.has(code) ? 2 : 1;
  } finally {
    if (ctx !== undefined) {
      await ctx.session.logout().catch(() => undefined);
      ctx.session.close();
      ctx.files.agent?.destroy();
    }
  }
}

function reportCheck(plan: readonly PlannedRpm[], sigkey: string, json: boolean, io: KojiCliIo): number {
  const missing = missingFromPlan(plan);
  for (const m of missing) io.stdout.write(json ? `${JSON.stringify(m)}\n` : `missing ${m.missing === 'unsigned' ? 'signature' : 'signed copy'}: ${m.rpm} (sigkey ${sigkey})\n`);
  const summary = { summary: true, sigkey, total: plan.length, complete: plan.length - missing.length, missing: missing.length };
  io.stdout.write(json ? `${JSON.stringify(summary)}\n` : `${summary.complete} of ${summary.total} packages signed with ${sigkey} and written; ${summary.missing} missing\n`);
  return missing.length > 0 ? 1 : 0;
}

/** Signs the plan; `label` names the run on the progress bar; `move`: --move-to's tags (sign-tag only). */
async function sign(ctx: KojiContext, plan: readonly PlannedRpm[], sigkey: string, jobs: number, v: KojiCliValues, config: ClientConfig, io: KojiCliIo, label: string, move?: { from: string; to: string; toId: number }): Promise<number> {
  const dryRun = v['dry-run'] === true;
  const counts = planCounts(plan);
  let keeper: SessionKeeper | undefined;
  if (!dryRun && counts.sign > 0) {
    const passphrase = await readPassphrase(v['passphrase-file'], `access passphrase for key ${v.key}: `);
    keeper = new SessionKeeper(config, v.key as string, passphrase);
  }
  const out = new KojiReporter(io, v.json === true, label, plan.length, counts.sign + counts.write);
  // Ctrl-C: start nothing new, let what is in flight finish and be reported.
  let stop = false;
  const onInt = (): void => {
    stop = true;
  };
  process.on('SIGINT', onInt);
  let results: KojiRpmResult[];
  try {
    results = await executePlan(ctx, plan, {
      sigkey,
      jobs,
      retry: config.retry,
      dryRun,
      keeper,
      onResult: (r) => out.rpm(r),
      stopped: () => stop,
      onRetry: (rpm, err, attempt) => out.warn(`signet: ${rpm}: ${isSignetError(err) ? err.code : 'ERROR'}: ${(err as Error).message}; retrying (attempt ${attempt + 1})`),
    });
  } finally {
    process.off('SIGINT', onInt);
    keeper?.close();
    out.packagesDone();
  }
  // --move-to: builds whose every rpm is done move on; none after Ctrl-C (a rerun moves them).
  let moves: MoveResult[] = [];
  if (move !== undefined && !stop) {
    const done = new Set(results.filter((r) => r.ok).map((r) => r.id));
    const ready = completeBuilds(plan, done);
    // A move requested by an earlier run and not yet carried out is not asked for twice.
    const pending = ready.length === 0 ? new Map<number, number>() : await pendingMoves(ctx.session, move.toId);
    moves = await moveBuilds(ctx.session, ready, move.from, move.to, dryRun, (m) => out.move(m), pending);
  }
  const moveFailures = moves.filter((m) => !m.ok).length;
  const summary: KojiRunReport = {
    ...summarize(results, plan.length, dryRun),
    sigkey,
    interrupted: stop,
    notStarted: plan.length - results.length,
    ...(move === undefined ? {} : { movedTo: move.to, moved: moves.length - moveFailures, moveFailed: moveFailures }),
  };
  out.summary(summary);
  return summary.failed > 0 || summary.notStarted > 0 || moveFailures > 0 ? 1 : 0;
}
