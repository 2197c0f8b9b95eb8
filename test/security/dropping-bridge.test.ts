import fs from 'node:fs';
import path from 'node:path';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToSign, readPackageHead } from '@signet/rpm';
import type { Deployment } from '../../scripts/lib/deployment.ts';
import type { Daemon, RunResult } from '../../scripts/lib/run.ts';
import { verifyWithRpmkeys } from '../../scripts/lib/verify-rpm.ts';
import { requireTools } from '../helpers/gpg.ts';
import { relayLinks, sendPaired, type HostileBridge, type Recording, type TamperHook } from '../helpers/security-bridge.ts';
import { behindHostileBridge, type BehindHostileBridge } from '../helpers/hostile-setup.ts';
import {
  auditRows,
  copySample,
  listFiles,
  logEvents,
  runClient,
  SAMPLE_RPM,
  writeClientConfig,
} from '../helpers/security-common.ts';

/**
 * Attack (or plain bad luck): the bridge drops the connection in the middle of a
 * signature — it terminates both links (TCP gone, no WebSocket close) right after the
 * client sent its sign request. The client must notice at once (SESSION_CLOSED, a
 * retryable code), not at its request timeout; write nothing; leave the input untouched.
 * With retries on, the package is signed on a new session and verifies with rpmkeys.
 */

/** What the bridge does with one session: its tamper hook, given both links. */
type SessionPlan = (client: WebSocket, link: WebSocket) => TamperHook | undefined;

let dep: Deployment;
let hostile: HostileBridge;
let server: Daemon;
let work: string;
let original: Buffer;
let headerLength: number;
let publicKey: string;
/** One attempt, 30 s request timeout (writeClientConfig's). */
let once: string;
/** Four attempts, the default backoff. */
let retrying: string;
/** Decides each new session's fate; set per test. */
let plan: SessionPlan = () => undefined;
const recordings: Recording[] = [];
let stopped = false;
let pairing: Promise<void>;
let setup: BehindHostileBridge;

/** The hostile bridge as a relay: pairs each client with a server link and applies `plan`. */
async function pairForever(): Promise<void> {
  while (!stopped) {
    let client: WebSocket;
    try {
      client = await hostile.nextClient(250);
    } catch {
      continue; // nobody came; look again
    }
    let link: WebSocket;
    try {
      link = await hostile.nextServer(10_000);
    } catch {
      client.terminate();
      continue;
    }
    sendPaired(client);
    sendPaired(link);
    recordings.push(relayLinks(client, link, plan(client, link)));
  }
}

/** The sign-rpm-header request: the first client→server frame as large as the header it carries. */
function isSignRequest(f: { dir: string; frame: Buffer }): boolean {
  return f.dir === 'up' && f.frame.length >= headerLength;
}

/** Both links torn down at the TCP level, as a crashing or hostile relay would. */
function cut(client: WebSocket, link: WebSocket): void {
  setImmediate(() => {
    client.terminate();
    link.terminate();
  });
}

/** Cuts both links on the sign request; the request never reaches the server. */
const dropOnRequest: SessionPlan = (client, link) => {
  let fired = false;
  return (f) => {
    if (fired || !isSignRequest(f)) return [f.frame];
    fired = true;
    cut(client, link);
    return [];
  };
};

/** Forwards the sign request, then cuts both links as the server's answer (the signature) comes down. */
const dropOnAnswer: SessionPlan = (client, link) => {
  let armed = false;
  let fired = false;
  return (f) => {
    if (isSignRequest(f)) armed = true;
    if (fired || !armed || f.dir !== 'down') return [f.frame];
    fired = true;
    cut(client, link);
    return [];
  };
};

/** Only the first session of a test gets `first`; later ones are relayed honestly. */
function firstSessionOnly(first: SessionPlan): SessionPlan {
  let n = 0;
  return (client, link) => (n++ === 0 ? first(client, link) : undefined);
}

beforeAll(async () => {
  requireTools('rpmkeys');
  setup = await behindHostileBridge({ mode: 'manual', name: 'dropped' });
  ({ dep, bridge: hostile, server, config: once, work } = setup);
  pairing = pairForever();
  retrying = path.join(dep.dir, 'client-retrying.json');
  fs.writeFileSync(
    retrying,
    JSON.stringify({
      bridge: { host: '127.0.0.1', port: hostile.clientPort },
      serverName: dep.serverName,
      tls: { ...dep.cert(dep.user), ca: dep.caCert },
      retry: { maxAttempts: 4 },
    }),
  );
  headerLength = bytesToSign((await readPackageHead(SAMPLE_RPM)).layout).length;
  original = fs.readFileSync(SAMPLE_RPM);
  publicKey = path.join(work, 'key.asc');
  const r = await runClient(once, ['get-public-key', dep.keyName, '-o', publicKey]);
  if (r.code !== 0) throw new Error(`get-public-key failed: ${r.stderr}`);
});

afterAll(async () => {
  stopped = true;
  await pairing;
  await setup?.stop();
});

/** Signs one copy of the sample through the bridge under `sessionPlan`. */
async function signThrough(
  name: string,
  config: string,
  sessionPlan: SessionPlan,
): Promise<RunResult & { input: string; outFiles: string[]; auditDelta: number; sessions: number; sessionStarts: number; elapsedMs: number }> {
  const dir = path.join(work, name);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out, { recursive: true });
  const input = copySample(dir);
  plan = sessionPlan;
  const sessionsBefore = recordings.length;
  const startsBefore = logEvents(server).filter((e) => e['event'] === 'session-start').length;
  const auditBefore = auditRows(dep);
  const started = Date.now();
  const r = await runClient(config, ['sign-rpm', '--key', dep.keyName, '--passphrase-file', dep.passphraseFile, '-o', out, input]);
  const elapsedMs = Date.now() - started;
  plan = () => undefined;
  await Promise.all(recordings.slice(sessionsBefore).map((s) => s.ended));
  return {
    ...r,
    input,
    outFiles: listFiles(out),
    auditDelta: auditRows(dep) - auditBefore,
    sessions: recordings.length - sessionsBefore,
    sessionStarts: logEvents(server).filter((e) => e['event'] === 'session-start').length - startsBefore,
    elapsedMs,
  };
}

describe('a bridge that drops both links in the middle of a signature', () => {
  it('control: relayed honestly, one attempt signs', async () => {
    const r = await signThrough('honest', once, () => undefined);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.outFiles).toHaveLength(1);
    expect(r.auditDelta).toBe(1);
    expect(r.sessions).toBe(1);
  });

  const cases = [
    { name: 'on the sign request (it never reaches the server)', sessionPlan: dropOnRequest, audited: 0 },
    { name: 'after the request reached the server, as the signature comes back', sessionPlan: dropOnAnswer, audited: 1 },
  ];

  for (const c of cases) {
    it(`cut ${c.name}, one attempt: SESSION_CLOSED within seconds, nothing written, input untouched`, async () => {
      const r = await signThrough(`once-${c.sessionPlan === dropOnRequest ? 'request' : 'answer'}`, once, c.sessionPlan);
      expect(r.sessions).toBe(1);
      // The cut happened inside an established session, not during the handshake.
      expect(r.sessionStarts).toBe(1);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/signet: \S+: SESSION_CLOSED: /);
      expect(r.stderr).not.toMatch(/TIMEOUT|retrying/);
      // Not at the request timeout (30 s here, 120 s by default).
      expect(r.elapsedMs).toBeLessThan(5_000);
      expect(r.outFiles).toEqual([]);
      expect(fs.readFileSync(r.input).equals(original)).toBe(true);
      // The server signs (and audits) only what reached it; an answer lost on the way
      // leaves an audit row for a signature nobody received, which is harmless.
      expect(r.auditDelta).toBe(c.audited);
    }, 30_000);

    it(`cut ${c.name} on the first session only, retries on: signed on the retry, verifies with rpmkeys`, async () => {
      const r = await signThrough(`retry-${c.sessionPlan === dropOnRequest ? 'request' : 'answer'}`, retrying, firstSessionOnly(c.sessionPlan));
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/SESSION_CLOSED: .*; retrying \(attempt 2 of 4\)/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.sessions).toBe(2);
      expect(r.outFiles).toHaveLength(1);
      const signed = r.outFiles[0] as string;
      const v = await verifyWithRpmkeys(signed, publicKey);
      expect(v.output).toMatch(/Header V4 EdDSA\/SHA(256|512) Signature, key ID [0-9a-f]{8}: OK/);
      expect(v.ok).toBe(true);
      expect(fs.readFileSync(r.input).equals(original)).toBe(true);
      // Signing the same header twice is harmless: one or two audit rows.
      expect(r.auditDelta).toBeGreaterThanOrEqual(1);
      expect(r.auditDelta).toBeLessThanOrEqual(2);
    }, 60_000);
  }

  it('the bridge dropping every session: all four attempts fail closed with SESSION_CLOSED', async () => {
    const r = await signThrough('always', retrying, dropOnRequest);
    expect(r.code).toBe(1);
    expect(r.sessions).toBe(4);
    expect(r.stderr.match(/retrying \(attempt \d of 4\)/g)).toHaveLength(3);
    expect(r.stderr).toMatch(/signet: \S+: SESSION_CLOSED: [^\n]*\nsignet: 1 of 1 packages failed\n$/);
    expect(r.outFiles).toEqual([]);
    expect(fs.readFileSync(r.input).equals(original)).toBe(true);
    expect(r.auditDelta).toBe(0);
  }, 60_000);
});
