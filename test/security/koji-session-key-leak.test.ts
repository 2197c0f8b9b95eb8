import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRpm } from '../helpers/rpmbuild.ts';
import { jsonLines, startSignetKoji } from '../helpers/koji-signet.ts';
import type { SignetKoji } from '../helpers/koji-signet.ts';

/**
 * Attack: harvest the Koji session key from what `signet` prints. sign-tag's output goes
 * to terminals, CI logs and pipeline reports; the session key is a bearer credential that
 * lets anyone holding it call the hub as the signing user (addRPMSig, tagBuild) until the
 * session ends. With older hubs (no `header-auth`) the key travels in every request URL,
 * so an error message that quoted the URL would print it.
 *
 * Here: an older hub (session data in the URL), one lost answer (HTTP 502 after the
 * write batch ran, which the client settles), sessions expired midway (a new login, a new
 * key), and a call refused with HTTP 403 that the client reports. Not one key the hub
 * handed out may appear in stdout or stderr.
 */

const TAG = 'f40-leak';
let k: SignetKoji;

beforeAll(async () => {
  k = await startSignetKoji([{ name: 'testhub' }], (fx) => {
    fx.hub.state.addTag(TAG);
    for (let i = 0; i < 6; i++) fx.hub.state.importBuild([buildRpm({ name: `signet-leak-${i}`, files: 1 + (i % 2) })], { tag: TAG });
  });
}, 180_000);

afterAll(() => k?.dispose());

describe('the Koji session key never reaches the output', () => {
  it('with the key in request URLs, a lost answer and a re-login', async () => {
    const { hub } = k.fx;
    hub.state.headerAuth = false;
    let failedWrites = 0;
    hub.httpStatusFor = (method, body) => {
      if (method === 'multiCall' && body.includes('addRPMSig') && failedWrites === 0) {
        failedWrites++;
        // The batch ran but its answer is lost; the session then expires (next call: a new login).
        hub.state.expireSessions();
        return 502;
      }
      return undefined;
    };
    const urlsBefore = hub.log.length;
    try {
      const run = await k.koji(['sign-tag', TAG, '--json', '--jobs', '2']);
      const check = await k.koji(['check-tag', TAG]);
      // A refusal the client reports: an HTTP error on a call made with the key in its URL.
      hub.httpStatusFor = (method) => (method === 'listTaggedRPMS' ? 403 : undefined);
      const refused = await k.koji(['check-tag', TAG]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/KOJI_HTTP: .*listTaggedRPMS.*403/);
      const printed = [run.stdout, run.stderr, check.stdout, check.stderr, refused.stdout, refused.stderr].join('\n');

      // The attack surface was there: keys in URLs, the lost answer, more than one login.
      const keys = [...hub.state.sessions.values()].map((s) => s.key);
      expect(keys.length).toBeGreaterThanOrEqual(4);
      expect(failedWrites).toBe(1);
      expect(hub.log.slice(urlsBefore).filter((l) => l === 'call sslLogin').length).toBeGreaterThanOrEqual(3);
      expect(jsonLines(run.stdout).at(-1)).toMatchObject({ summary: true, total: 6 });
      expect(check.code, printed).toBe(0);

      for (const key of keys) {
        expect(printed.includes(key), `session key ${key.slice(0, 6)}… printed`).toBe(false);
        // Nor the random part on its own, nor URL-encoded.
        expect(printed.includes(key.split('-')[1] as string)).toBe(false);
        expect(printed.includes(encodeURIComponent(key))).toBe(false);
      }
      expect(printed).not.toMatch(/session-key/i);
    } finally {
      hub.httpStatusFor = undefined;
      hub.state.headerAuth = true;
    }
  }, 120_000);
});
