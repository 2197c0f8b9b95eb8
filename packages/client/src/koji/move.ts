import { isSignetError } from '@signet/protocol';
import type { PlannedRpm } from './plan.ts';
import { nvr } from './tagged.ts';
import type { KojiSession } from './session.ts';
import { badAnswer, struct } from './hub-answer.ts';
import type { KojiValue } from './values.ts';

/**
 * `sign-tag --move-to TAG2`: once every rpm of a build is signed with the key and its
 * signed copy written, the build moves on (`tagBuild(TAG2, build, False, TAG)`, Koji's
 * move, as release robots do). A build with any rpm failed or not reached stays where it
 * is. The hub answers with a task id; a builder carries out the move later, so a build
 * whose move to TAG2 is still waiting in an unfinished task is not asked for again.
 */

export interface BuildToMove {
  readonly buildId: number;
  readonly nvr: string;
}

export type MoveResult =
  | { ok: true; build: string; buildId: number; movedTo: string; task: number | null; status: 'move-requested' | 'would-move' | 'move-pending' }
  | { ok: false; build: string; buildId: number; movedTo: string; code: string; message: string };

/** Builds of `plan` whose every rpm is in `done` (ids of rpms finished without error), in plan order. */
export function completeBuilds(plan: readonly PlannedRpm[], done: ReadonlySet<number>): BuildToMove[] {
  const complete = new Map<number, BuildToMove | null>();
  for (const { rpm } of plan) {
    const prior = complete.get(rpm.buildId);
    if (prior === null) continue;
    if (!done.has(rpm.id)) complete.set(rpm.buildId, null);
    else if (prior === undefined) complete.set(rpm.buildId, { buildId: rpm.buildId, nvr: nvr(rpm.build) });
  }
  return [...complete.values()].filter((b): b is BuildToMove => b !== null);
}

/** Koji's task states that are not finished: FREE (0), OPEN (1), ASSIGNED (4). */
const UNFINISHED = [0, 1, 4];

/**
 * Builds with an unfinished `tagBuild` task into tag `toTagId` (from `listTasks(decode=True)`:
 * the request is `[tag_id, build_id, force, fromtag_id]`), mapped to that task's id. Pure.
 */
export function parsePendingMoves(value: KojiValue, toTagId: number): Map<number, number> {
  const bad = (what: string): never => badAnswer(`listTasks ${what}`);
  if (!Array.isArray(value)) bad('did not return a list');
  const pending = new Map<number, number>();
  for (const t of value as KojiValue[]) {
    const row = struct(t, 'listTasks row');
    const id = row['id'];
    const request = row['request'];
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return bad('row has no task id');
    if (row['method'] !== 'tagBuild' || !UNFINISHED.includes(row['state'] as number)) continue;
    if (!Array.isArray(request) || request.length < 2) return bad(`task ${id} has no decoded tagBuild request`);
    const [tag, build] = request;
    if (typeof tag !== 'number' || typeof build !== 'number') return bad(`task ${id} request is not [tag_id, build_id, …]`);
    if (tag === toTagId) pending.set(build, id);
  }
  return pending;
}

/** Unfinished moves into `toTagId`, by build id (a read: retried like any). */
export async function pendingMoves(session: KojiSession, toTagId: number): Promise<Map<number, number>> {
  return parsePendingMoves(await session.call('listTasks', [{ method: 'tagBuild', state: UNFINISHED, decode: true }]), toTagId);
}

/**
 * Requests the moves one build at a time (hub calls are serial per session anyway). Not
 * retried: `tagBuild` is a write; a move whose answer was lost is requested again by the
 * next run if the build is still in `fromTag`, and Koji's task then fails harmlessly.
 */
export async function moveBuilds(
  session: KojiSession,
  builds: readonly BuildToMove[],
  fromTag: string,
  toTag: string,
  dryRun: boolean,
  onResult?: (r: MoveResult) => void,
  pending: ReadonlyMap<number, number> = new Map(),
): Promise<MoveResult[]> {
  const out: MoveResult[] = [];
  for (const b of builds) {
    let r: MoveResult;
    const waiting = pending.get(b.buildId);
    if (waiting !== undefined) r = { ok: true, build: b.nvr, buildId: b.buildId, movedTo: toTag, task: waiting, status: 'move-pending' };
    else if (dryRun) r = { ok: true, build: b.nvr, buildId: b.buildId, movedTo: toTag, task: null, status: 'would-move' };
    else {
      try {
        const task = await session.call('tagBuild', [toTag, b.buildId, false, fromTag]);
        r = { ok: true, build: b.nvr, buildId: b.buildId, movedTo: toTag, task: typeof task === 'number' ? task : null, status: 'move-requested' };
      } catch (err) {
        r = { ok: false, build: b.nvr, buildId: b.buildId, movedTo: toTag, code: isSignetError(err) ? err.code : 'INTERNAL', message: (err as Error).message };
      }
    }
    out.push(r);
    onResult?.(r);
  }
  return out;
}
