import { isSignetError } from '@signet/protocol';
import type { PlannedRpm } from './plan.ts';
import type { KojiSession } from './session.ts';

/**
 * `sign-tag --move-to TAG2`: once every rpm of a build is signed with the key and its
 * signed copy written, the build moves on (`tagBuild(TAG2, build, False, TAG)`, Koji's
 * move, as release robots do). A build with any rpm failed or not reached stays where it
 * is. The hub answers with a task id; a builder carries out the move later.
 */

export interface BuildToMove {
  readonly buildId: number;
  readonly nvr: string;
}

export type MoveResult =
  | { ok: true; build: string; buildId: number; movedTo: string; task: number | null; status: 'move-requested' | 'would-move' }
  | { ok: false; build: string; buildId: number; movedTo: string; code: string; message: string };

/** Builds of `plan` whose every rpm is in `done` (ids of rpms finished without error), in plan order. */
export function completeBuilds(plan: readonly PlannedRpm[], done: ReadonlySet<number>): BuildToMove[] {
  const complete = new Map<number, BuildToMove | null>();
  for (const { rpm } of plan) {
    const prior = complete.get(rpm.buildId);
    if (prior === null) continue;
    if (!done.has(rpm.id)) complete.set(rpm.buildId, null);
    else if (prior === undefined) complete.set(rpm.buildId, { buildId: rpm.buildId, nvr: `${rpm.build.name}-${rpm.build.version}-${rpm.build.release}` });
  }
  return [...complete.values()].filter((b): b is BuildToMove => b !== null);
}

/**
 * Requests the moves one build at a time (hub calls are serial per session anyway). Not
 * retried: `tagBuild` is a write; a move whose answer was lost is requested again by the
 * next run if the build is still in `fromTag`, and Koji's task then fails harmlessly.
 */
export async function moveBuilds(session: KojiSession, builds: readonly BuildToMove[], fromTag: string, toTag: string, dryRun: boolean, onResult?: (r: MoveResult) => void): Promise<MoveResult[]> {
  const out: MoveResult[] = [];
  for (const b of builds) {
    let r: MoveResult;
    if (dryRun) r = { ok: true, build: b.nvr, buildId: b.buildId, movedTo: toTag, task: null, status: 'would-move' };
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
