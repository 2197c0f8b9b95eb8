import { describe, expect, it } from 'vitest';
import { completeBuilds, moveBuilds, parsePendingMoves } from '../../../packages/client/src/koji/move.ts';
import type { PlannedRpm } from '../../../packages/client/src/koji/plan.ts';
import type { TaggedRpm } from '../../../packages/client/src/koji/tagged.ts';
import { KojiFault } from '../../../packages/client/src/koji/errors.ts';
import type { KojiSession } from '../../../packages/client/src/koji/session.ts';

const build = (id: number) => ({ id, name: `pkg${id}`, version: '1.0', release: '1', volumeName: undefined });
const rpm = (id: number, buildId: number): TaggedRpm => ({ id, buildId, name: `pkg${buildId}`, version: '1.0', release: '1', arch: 'x86_64', payloadhash: 'a'.repeat(32), build: build(buildId) });
const planned = (id: number, buildId: number): PlannedRpm => ({ rpm: rpm(id, buildId), action: 'sign' });

describe('completeBuilds', () => {
  const plan = [planned(1, 10), planned(2, 10), planned(3, 20), planned(4, 30), planned(5, 30), planned(6, 30)];

  it('takes a build only when every one of its rpms finished without error', () => {
    expect(completeBuilds(plan, new Set([1, 2, 3, 4, 6]))).toEqual([
      { buildId: 10, nvr: 'pkg10-1.0-1' },
      { buildId: 20, nvr: 'pkg20-1.0-1' },
    ]);
  });

  it('a build whose first rpm is missing stays, even when later ones are done', () => {
    expect(completeBuilds(plan, new Set([2, 5, 6]))).toEqual([]);
  });

  it('nothing done, nothing moved; everything done, every build once in plan order', () => {
    expect(completeBuilds(plan, new Set())).toEqual([]);
    expect(completeBuilds(plan, new Set([1, 2, 3, 4, 5, 6])).map((b) => b.buildId)).toEqual([10, 20, 30]);
  });
});

describe('moveBuilds', () => {
  const builds = [
    { buildId: 10, nvr: 'pkg10-1.0-1' },
    { buildId: 20, nvr: 'pkg20-1.0-1' },
  ];

  it('asks tagBuild(TAG2, build, False, TAG) per build and reports the task; a fault on one does not stop the next', async () => {
    const calls: unknown[] = [];
    const session = {
      call: async (method: string, args: unknown[]) => {
        calls.push([method, args]);
        if (args[1] === 10) throw new KojiFault(1004, 'tag permission required');
        return 77;
      },
    } as unknown as KojiSession;
    const results = await moveBuilds(session, builds, 'f40-pending', 'f40', false);
    expect(calls).toEqual([
      ['tagBuild', ['f40', 10, false, 'f40-pending']],
      ['tagBuild', ['f40', 20, false, 'f40-pending']],
    ]);
    expect(results[0]).toMatchObject({ ok: false, build: 'pkg10-1.0-1', code: 'KOJI_ACTION_NOT_ALLOWED' });
    expect(results[1]).toEqual({ ok: true, build: 'pkg20-1.0-1', buildId: 20, movedTo: 'f40', task: 77, status: 'move-requested' });
  });

  it('a dry run calls nothing', async () => {
    const session = { call: async () => expect.unreachable('no hub call in a dry run') } as unknown as KojiSession;
    const results = await moveBuilds(session, builds, 'a', 'b', true);
    expect(results.map((r) => r.ok && r.status)).toEqual(['would-move', 'would-move']);
  });
});

describe('parsePendingMoves', () => {
  const task = (id: number, state: number, request: unknown, method = 'tagBuild') => ({ id, method, state, owner: 1, request, result: null });

  it('maps builds to their unfinished tagBuild task into the target tag', () => {
    const rows = [task(1, 0, [7, 10, false, 3]), task(2, 1, [7, 20, false, null]), task(3, 4, [7, 30, false, 3]), task(4, 2, [7, 40, false, 3]), task(5, 0, [8, 50, false, 3]), task(6, 0, [7, 60], 'newRepo')];
    expect([...parsePendingMoves(rows as never, 7)]).toEqual([
      [10, 1],
      [20, 2],
      [30, 3],
    ]);
  });

  it('refuses answers of another shape (KOJI_HUB_ANSWER)', () => {
    for (const bad of ['x', [1], [task(1, 0, 'raw xml')], [task(1, 0, ['7', 10])], [{ method: 'tagBuild', state: 0, request: [7, 1] }]]) {
      expect(() => parsePendingMoves(bad as never, 7)).toThrow(expect.objectContaining({ code: 'KOJI_HUB_ANSWER' }));
    }
  });
});

describe('moveBuilds with pending tasks', () => {
  it('does not ask again for a build whose move is still waiting; reports the waiting task', async () => {
    const calls: unknown[] = [];
    const session = { call: async (...a: unknown[]) => (calls.push(a), 99) } as unknown as KojiSession;
    const results = await moveBuilds(session, [{ buildId: 10, nvr: 'a-1-1' }, { buildId: 20, nvr: 'b-1-1' }], 'from', 'to', false, undefined, new Map([[10, 5]]));
    expect(results.map((r) => r.ok && [r.status, r.task])).toEqual([
      ['move-pending', 5],
      ['move-requested', 99],
    ]);
    expect(calls).toHaveLength(1);
  });
});
