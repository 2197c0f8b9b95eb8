import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToSign, extractSignatures, readPackageHead } from '@signet/rpm';
import type { Deployment } from '../../scripts/lib/deployment.ts';
import type { Daemon, RunResult } from '../../scripts/lib/run.ts';
import { startHostileBridge, type HostileBridge } from '../helpers/security-bridge.ts';
import { copySample, newDeployment, passphraseOf, removeDir, runClient, SAMPLE_RPM, startServerProcess, tempDir, writeClientConfig } from '../helpers/security-common.ts';

/**
 * Attack: the bridge is hostile and records every byte it relays. The end-to-end TLS
 * session must leave it nothing: not the passphrase, not the package header that is
 * signed, not the signature that comes back, not even the package's name.
 */

/** Every `width`-byte window of `buf`, as hex strings. */
function windows(buf: Buffer, width: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + width <= buf.length; i++) out.add(buf.toString('hex', i, i + width));
  return out;
}

/** How many `width`-byte windows of `needle` occur anywhere in `haystacks`. */
function sharedWindows(needle: Buffer, haystacks: Buffer[], width: number): number {
  const seen = new Set<string>();
  for (const h of haystacks) for (const w of windows(h, width)) seen.add(w);
  let n = 0;
  for (let i = 0; i + width <= needle.length; i++) if (seen.has(needle.toString('hex', i, i + width))) n++;
  return n;
}

let dep: Deployment;
let bridge: HostileBridge;
let server: Daemon;
let work: string;
let input: string;
let outDir: string;
let result: RunResult;
let up: Buffer;
let down: Buffer;

beforeAll(async () => {
  dep = await newDeployment({ keyType: 'rsa4096' });
  bridge = await startHostileBridge({ ...dep.cert('localhost'), ca: dep.caCert, mode: 'relay' });
  server = startServerProcess(dep, { port: bridge.serverPort, name: 'recorded' });
  await server.waitFor((l) => l['event'] === 'link-ready');
  work = tempDir();
  input = copySample(work);
  outDir = path.join(work, 'out');
  fs.mkdirSync(outDir);
  const config = writeClientConfig(dep, { port: bridge.clientPort });
  result = await runClient(config, ['sign-rpm', '--key', dep.keyName, '--passphrase-file', dep.passphraseFile, '-o', outDir, input]);
  const session = bridge.sessions[0];
  if (session) await session.ended;
  up = Buffer.concat(session?.up ?? []);
  down = Buffer.concat(session?.down ?? []);
});

afterAll(async () => {
  await server?.stop();
  await bridge?.close();
  if (work) removeDir(work);
  if (dep) removeDir(dep.dir);
});

describe('a bridge that records every relayed byte', () => {
  it('relayed a real signing session (the test is not vacuous)', async () => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(bridge.sessions).toHaveLength(1);
    const signed = path.join(outDir, path.basename(input));
    const { layout } = await readPackageHead(signed);
    expect(extractSignatures(layout.signatureHeader).length).toBeGreaterThan(0);
    // The header went through the relay (encrypted): the recording is at least that big.
    const header = bytesToSign((await readPackageHead(SAMPLE_RPM)).layout);
    expect(up.length).toBeGreaterThan(header.length);
    expect(down.length).toBeGreaterThan(0);
  });

  it('never saw the passphrase', () => {
    const pass = Buffer.from(passphraseOf(dep), 'utf8');
    for (const stream of [up, down]) {
      expect(stream.includes(pass)).toBe(false);
      // Nor its distinctive tail (the random part), nor a UTF-16 copy of it.
      expect(stream.includes(pass.subarray(pass.length - 8))).toBe(false);
      expect(stream.includes(Buffer.from(passphraseOf(dep), 'utf16le'))).toBe(false);
    }
  });

  it('never saw any 32-byte window of the main header it relayed', async () => {
    const { layout } = await readPackageHead(SAMPLE_RPM);
    const header = bytesToSign(layout);
    const file = fs.readFileSync(SAMPLE_RPM);
    expect(header.equals(file.subarray(layout.mainStart, layout.mainEnd))).toBe(true);
    expect(sharedWindows(header, [up, down], 32)).toBe(0);
    // The detector itself works: a recording holding a slice of the header is caught.
    expect(sharedWindows(header, [Buffer.concat([up, header.subarray(100, 140)])], 32)).toBe(9);
  });

  it('never saw any 16-byte window of the signature packet', async () => {
    const { layout } = await readPackageHead(path.join(outDir, path.basename(input)));
    const sigs = extractSignatures(layout.signatureHeader);
    expect(sigs.length).toBeGreaterThan(0);
    for (const sig of sigs) {
      expect(sig.packet.length).toBeGreaterThan(100);
      expect(sharedWindows(sig.packet, [up, down], 16)).toBe(0);
      expect(sharedWindows(sig.packet, [Buffer.concat([down, sig.packet.subarray(10, 30)])], 16)).toBe(5);
    }
  });

  it("never saw the package's name", async () => {
    const { layout } = await readPackageHead(SAMPLE_RPM);
    const fileBase = path.basename(SAMPLE_RPM, '.rpm');
    const name = 'signet-demo-hello';
    expect(fileBase.startsWith(name)).toBe(true);
    expect(layout.mainHeader.bytes.includes(Buffer.from(name))).toBe(true);
    for (const stream of [up, down]) {
      expect(stream.includes(Buffer.from(name))).toBe(false);
      expect(stream.includes(Buffer.from(fileBase))).toBe(false);
    }
  });
});
