import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToSign, readPackageHead } from '@signet/rpm';
import { encodeFrame } from '@signet/protocol/e2e';
import type { Deployment } from '../../scripts/lib/deployment.ts';
import type { Daemon } from '../../scripts/lib/run.ts';
import type { HostileBridge, TamperHook } from '../helpers/security-bridge.ts';
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
 * Attack: the bridge alters the relayed stream after the end-to-end handshake — flips a
 * bit, or slips in a frame of its own. TLS integrity must turn every such attempt into a
 * failed session: the signing fails, no output appears, the input is untouched, and a
 * request the bridge altered is never signed.
 */

let dep: Deployment;
let bridge: HostileBridge;
let server: Daemon;
let config: string;
/** Gives up on an unanswered request after 3 s, so the attacks below stay fast. */
let impatient: string;
let headerLength: number;
let original: Buffer;
let work: string;

let setup: BehindHostileBridge;

beforeAll(async () => {
  setup = await behindHostileBridge({ mode: 'relay', name: 'tampered' });
  ({ dep, bridge, server, config, work } = setup);
  impatient = writeClientConfig(dep, { port: bridge.clientPort, requestTimeoutMs: 3_000, name: 'impatient' });
  headerLength = bytesToSign((await readPackageHead(SAMPLE_RPM)).layout).length;
  original = fs.readFileSync(SAMPLE_RPM);
});

afterAll(() => setup?.stop());

/**
 * The client→server frame that carries the sign-rpm-header request: the first one at
 * least as large as the header it holds. Handshake frames are smaller one by one; the
 * test checks afterwards that the handshake had completed (the server logged
 * session-start), so the tampering really happened inside an established session.
 */
function isSignRequest(f: { dir: string; frame: Buffer }): boolean {
  return f.dir === 'up' && f.frame.length >= headerLength;
}

/** Runs one signing through the bridge with `tamper` armed; returns what an observer sees. */
async function signThrough(name: string, tamper: TamperHook, clientConfig = impatient): Promise<{ code: number; stderr: string; outFiles: string[]; input: Buffer; auditDelta: number; sessionStarted: boolean; fired: number; elapsedMs: number }> {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const outDir = path.join(dir, 'out');
  fs.mkdirSync(outDir);
  const input = copySample(dir);
  let fired = 0;
  bridge.tamper = (f) => {
    const out = tamper(f);
    if (out.length !== 1 || out[0] !== f.frame) fired++;
    return out;
  };
  const sessionsBefore = bridge.sessions.length;
  const startsBefore = logEvents(server).filter((e) => e['event'] === 'session-start').length;
  const auditBefore = auditRows(dep);
  const started = Date.now();
  const r = await runClient(clientConfig, ['sign-rpm', '--key', dep.keyName, '--passphrase-file', dep.passphraseFile, '-o', outDir, input]);
  const elapsedMs = Date.now() - started;
  bridge.tamper = undefined;
  await bridge.sessions[sessionsBefore]?.ended;
  return {
    code: r.code,
    stderr: r.stderr,
    outFiles: listFiles(outDir),
    input: fs.readFileSync(input),
    auditDelta: auditRows(dep) - auditBefore,
    sessionStarted: logEvents(server).filter((e) => e['event'] === 'session-start').length > startsBefore,
    fired,
    elapsedMs,
  };
}

/** Flips one bit inside the encrypted body of the first sign request. */
function flipRequestBit(): TamperHook {
  let done = false;
  return (f) => {
    if (done || !isSignRequest(f)) return [f.frame];
    done = true;
    const bad = Buffer.from(f.frame);
    const at = bad.length - 40; // inside the encrypted body, not the record header
    bad[at] = (bad[at] as number) ^ 0x01;
    return [bad];
  };
}

describe('a bridge that tampers with relayed frames', () => {
  it('control: an honest relay signs (so the failures below are the attack, not the setup)', async () => {
    const r = await signThrough('honest', (f) => [f.frame], config);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.outFiles).toHaveLength(1);
    expect(r.auditDelta).toBe(1);
  });

  it('one flipped bit in the client→server request after the handshake: signing fails, nothing written, nothing signed', async () => {
    const r = await signThrough('flip-up', flipRequestBit());
    expect(r.fired).toBe(1);
    expect(r.sessionStarted).toBe(true);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/sign-rpm-header|SESSION_CLOSED|BAD_RESPONSE/);
    expect(r.outFiles).toEqual([]);
    expect(r.input.equals(original)).toBe(true);
    expect(r.auditDelta).toBe(0);
  });

  it('one flipped bit in the server→client answer carrying the signature: the client refuses it, nothing written', async () => {
    let armed = false;
    let done = false;
    const r = await signThrough('flip-down', (f) => {
      if (isSignRequest(f)) armed = true;
      if (done || !armed || f.dir !== 'down') return [f.frame];
      done = true;
      const bad = Buffer.from(f.frame);
      const at = bad.length - 20;
      bad[at] = (bad[at] as number) ^ 0x80;
      return [bad];
    });
    expect(r.fired).toBe(1);
    expect(r.sessionStarted).toBe(true);
    expect(r.code).not.toBe(0);
    expect(r.outFiles).toEqual([]);
    expect(r.input.equals(original)).toBe(true);
  });

  /** Injects `extra` in front of the sign request, once; the session must fail and sign nothing. */
  const injectBeforeRequest = async (label: string, extra: Buffer): Promise<void> => {
    let done = false;
    const r = await signThrough(label, (f) => {
      if (done || !isSignRequest(f)) return [f.frame];
      done = true;
      return [extra, f.frame];
    });
    expect(r.fired).toBe(1);
    expect(r.sessionStarted).toBe(true);
    expect(r.code).not.toBe(0);
    expect(r.outFiles).toEqual([]);
    expect(r.input.equals(original)).toBe(true);
    expect(r.auditDelta).toBe(0);
  };

  it('a forged frame injected before the request (a plaintext sign request of its own): signing fails, nothing signed', async () => {
    const forged = Buffer.concat(encodeFrame({ t: 'req', id: 9999, op: 'sign-rpm-header', key: dep.keyName }, bytesToSign((await readPackageHead(SAMPLE_RPM)).layout)));
    await injectBeforeRequest('inject-plain', forged);
  });

  it('a forged TLS application-data record injected after the handshake: signing fails, nothing signed', async () => {
    // A well-formed TLS 1.3 record header (application_data, legacy version 3.3) with a
    // body the bridge cannot have encrypted: the server must drop the session on it.
    const body = Buffer.alloc(64, 0x5a);
    await injectBeforeRequest('inject-record', Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, body.length]), body]));
  });

  it('a dropped frame (the request never arrives): the client gives up without output', async () => {
    let done = false;
    const r = await signThrough('drop', (f) => {
      if (done || !isSignRequest(f)) return [f.frame];
      done = true;
      return [];
    });
    // A dropped record leaves a gap the next record's sequence number exposes: the
    // client's closing records arrive out of sequence and the server must not sign.
    expect(r.fired).toBe(1);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/TIMEOUT/);
    expect(r.outFiles).toEqual([]);
    expect(r.input.equals(original)).toBe(true);
    expect(r.auditDelta).toBe(0);
  }, 60_000);

  it('a TLS integrity failure ends the session at once, not when the request times out', async () => {
    // Both ends see the bad record (the server sends a bad_record_mac alert); the client
    // must then fail the pending request with SESSION_CLOSED instead of waiting out
    // limits.requestTimeoutMs (120 s by default) on a session that is already dead.
    const patient = writeClientConfig(dep, { port: bridge.clientPort, requestTimeoutMs: 15_000, name: 'patient' });
    const r = await signThrough('flip-prompt', flipRequestBit(), patient);
    expect(r.fired).toBe(1);
    expect(r.code).not.toBe(0);
    expect(r.outFiles).toEqual([]);
    expect(r.stderr).not.toMatch(/TIMEOUT/);
    expect(r.elapsedMs).toBeLessThan(10_000);
  }, 60_000);

  it('the server still serves an honest session afterwards', async () => {
    const r = await signThrough('honest-after', (f) => [f.frame], config);
    expect(r.code).toBe(0);
    expect(r.outFiles).toHaveLength(1);
  });
});
