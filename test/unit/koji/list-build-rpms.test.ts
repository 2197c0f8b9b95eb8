import { describe, expect, it } from 'vitest';
import { listBuildRpms } from '../../../packages/client/src/commands/koji-tag.ts';
import type { KojiSession } from '../../../packages/client/src/koji/session.ts';
import { codeOfAsync } from '../../helpers/error-code.ts';

/** A session whose getBuild answers `build`; records every method called. */
function fakeSession(build: unknown, calls: string[]): KojiSession {
  return {
    call: async (method: string) => {
      calls.push(method);
      if (method === 'getBuild') return build;
      if (method === 'listRPMs') return [];
      throw new Error(`unexpected call ${method}`);
    },
  } as unknown as KojiSession;
}

describe('listBuildRpms checks the getBuild answer', () => {
  for (const [what, answer] of [
    ['null', null],
    ['a list', [1, 2]],
    ['a struct without id', { name: 'a' }],
    ['a string id', { id: '7' }],
    ['a negative id', { id: -1 }],
    ['a non-integer id', { id: 1.5 }],
  ] as const) {
    it(`${what} is KOJI_HUB_ANSWER, and listRPMs is not called`, async () => {
      const calls: string[] = [];
      expect(await codeOfAsync(listBuildRpms(fakeSession(answer, calls), ['a-1-1'], undefined))).toBe('KOJI_HUB_ANSWER');
      expect(calls).toEqual(['getBuild']);
    });
  }

  it('a build struct with an id lists its rpms', async () => {
    const calls: string[] = [];
    const build = { id: 7, name: 'a', version: '1', release: '1' };
    expect(await listBuildRpms(fakeSession(build, calls), ['a-1-1'], undefined)).toEqual([]);
    expect(calls).toEqual(['getBuild', 'listRPMs']);
  });
});
