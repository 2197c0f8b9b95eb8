import type { KojiSession } from '../koji/session.ts';
import type { HeaderSource } from '../koji/header-fetch.ts';
import { fileExists } from '../koji/header-fetch.ts';
import { planTag } from '../koji/plan.ts';
import type { PlannedRpm } from '../koji/plan.ts';
import { parseSigRows, parseTaggedRpms, signedRelPath } from '../koji/tagged.ts';
import type { RpmSigRow, TaggedRpm } from '../koji/tagged.ts';
import { idOf, struct } from '../koji/hub-answer.ts';
import type { KojiValue } from '../koji/values.ts';

/**
 * The read side shared by sign-tag, sign-build and check-tag: list a tag's rpms, query
 * their signatures for one key (multiCall batches), see which signed copies exist, plan.
 */

export interface KojiContext {
  readonly session: KojiSession;
  readonly files: HeaderSource;
}

export interface TagSelection {
  readonly tag: string;
  /** Only the latest build of each package (what would be published). */
  readonly latest: boolean;
  readonly inherit: boolean;
  readonly arches: readonly string[] | undefined;
}

const BATCH = 200;
const STAT_CONCURRENCY = 16;

export async function listTagRpms(session: KojiSession, sel: TagSelection): Promise<TaggedRpm[]> {
  const kwargs: Record<string, string | boolean | string[]> = { latest: sel.latest, inherit: sel.inherit };
  if (sel.arches !== undefined) kwargs['arch'] = [...sel.arches];
  return parseTaggedRpms(await session.call('listTaggedRPMS', [sel.tag], kwargs));
}

/** Every rpm of the builds named (`N-V-R` or id), as the same rows. */
export async function listBuildRpms(session: KojiSession, builds: readonly string[], arches: readonly string[] | undefined): Promise<TaggedRpm[]> {
  const out: TaggedRpm[] = [];
  for (const nvr of builds) {
    const b = await session.call('getBuild', [nvr], { strict: true });
    const rows = await session.call('listRPMs', [], { buildID: buildIdOf(b, nvr), ...(arches === undefined ? {} : { arches: [...arches] }) });
    out.push(...parseTaggedRpms([rows, [b]]));
  }
  return out;
}

/** The id of a `getBuild` answer. */
function buildIdOf(b: KojiValue, nvr: string): number {
  return idOf(struct(b, `getBuild ${nvr}`), 'id', `getBuild ${nvr}`);
}

/** `queryRPMSigs(rpm_id, sigkey)` for each rpm, in multiCall batches. */
export async function querySigs(session: KojiSession, rpms: readonly TaggedRpm[], sigkey: string): Promise<RpmSigRow[]> {
  const rows: RpmSigRow[] = [];
  for (let i = 0; i < rpms.length; i += BATCH) {
    const batch = rpms.slice(i, i + BATCH);
    const results = await session.multiCall(batch.map((r) => ({ method: 'queryRPMSigs', kwargs: { rpm_id: r.id, sigkey } })));
    for (const res of results) {
      if (!res.ok) throw res.fault;
      rows.push(...parseSigRows(res.value));
    }
  }
  return rows;
}

/** Ids of the rpms whose signed copy for `sigkey` exists. */
export async function existingCopies(files: HeaderSource, rpms: readonly TaggedRpm[], sigkey: string): Promise<Set<number>> {
  const found = new Set<number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < rpms.length; i = next++) {
      const r = rpms[i] as TaggedRpm;
      if (await fileExists(files, signedRelPath(r, sigkey))) found.add(r.id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, rpms.length) }, worker));
  return found;
}

/** Plans `rpms` for `sigkey`: only rpms with a stored signature get their copy checked. */
export async function planRpms(ctx: KojiContext, rpms: readonly TaggedRpm[], sigkey: string): Promise<PlannedRpm[]> {
  const sigs = await querySigs(ctx.session, rpms, sigkey);
  const stored = new Set(sigs.filter((s) => s.sigkey === sigkey).map((s) => s.rpmId));
  const copies = await existingCopies(ctx.files, rpms.filter((r) => stored.has(r.id)), sigkey);
  return planTag(rpms, sigs, copies, sigkey);
}
