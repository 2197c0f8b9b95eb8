import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateIssuerSerial, createCrlSource, isRevokedBy, parseCrlBundle, parseCrlEntries, RevocationWatch } from '@signet/protocol';
import type { CrlEntries, CrlSource } from '@signet/protocol';
import { generateRsaKeyPairAsync, initCaDir, issueToDir, revokeInDir, rolloverCa, type KeyPair } from '@signet/pki';

/**
 * The revoked serials of signet-pki's CRLs, as openssl reads them, and which certificates
 * they revoke: by issuer Name AND serial, across a CA rollover (two CRLs in the bundle).
 */

let dir: string;
let caDir: string;
const certs: Record<string, Buffer> = {};
let entries: CrlEntries[];

const der = (pem: Buffer): Buffer => Buffer.from(new X509Certificate(pem).raw);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  caDir = path.join(dir, 'ca');
  const keys = await Promise.all(Array.from({ length: 3 }, () => generateRsaKeyPairAsync(2048)));
  const k = (i: number) => keys[i] as KeyPair;
  initCaDir(caDir, { keyPair: k(0) });
  const issue = (name: string) => issueToDir(caDir, { role: 'client', name, keyPair: k(1), out: path.join(dir, name) });
  certs['alice'] = fs.readFileSync(issue('alice').certPath);
  const mallory = issue('mallory');
  certs['mallory'] = fs.readFileSync(mallory.certPath);
  revokeInDir(caDir, { serial: mallory.entry.serial, reason: 'keyCompromise' });
  rolloverCa(caDir, { keyPair: k(2) });
  certs['bob'] = fs.readFileSync(issue('bob').certPath);
  const trent = issue('trent');
  certs['trent'] = fs.readFileSync(trent.certPath);
  revokeInDir(caDir, { serial: trent.entry.serial, reason: 'superseded' });
  entries = parseCrlBundle(fs.readFileSync(path.join(caDir, 'crl-bundle.pem')), 'bundle').map(parseCrlEntries);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('CRL entries', () => {
  it('lists the serials openssl lists, per CRL of the bundle', () => {
    expect(entries).toHaveLength(2);
    const bundle = parseCrlBundle(fs.readFileSync(path.join(caDir, 'crl-bundle.pem')), 'bundle');
    bundle.forEach((pem, i) => {
      const text = spawnSync('openssl', ['crl', '-noout', '-text'], { input: pem, encoding: 'utf8' });
      expect(text.status, text.stderr).toBe(0);
      const listed = [...text.stdout.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => (m[1] as string).toLowerCase().replace(/^(00)+(?=.)/, ''));
      expect([...(entries[i] as CrlEntries).serials].sort()).toEqual(listed.sort());
    });
  });

  it('reads issuer and serial of a certificate as node:crypto does', () => {
    for (const pem of Object.values(certs)) {
      const x = new X509Certificate(pem);
      const id = certificateIssuerSerial(der(pem));
      expect(id?.serial).toBe(x.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''));
      expect(id?.issuer.length).toBeGreaterThan(10);
    }
  });

  it('revokes the revoked certificates of either CA, and only those', () => {
    expect(isRevokedBy(der(certs['mallory'] as Buffer), entries)).toBe(true);
    expect(isRevokedBy(der(certs['trent'] as Buffer), entries)).toBe(true);
    expect(isRevokedBy(der(certs['alice'] as Buffer), entries)).toBe(false);
    expect(isRevokedBy(der(certs['bob'] as Buffer), entries)).toBe(false);
  });

  it('needs the issuer to match: the same serial under another CA is not revoked', () => {
    const bob = certificateIssuerSerial(der(certs['bob'] as Buffer));
    const alice = certificateIssuerSerial(der(certs['alice'] as Buffer));
    if (bob === undefined || alice === undefined) throw new Error('unparsed');
    expect(bob.issuer.equals(alice.issuer)).toBe(false);
    // A CRL of the old CA that lists bob's serial does not revoke bob (issued by the new CA).
    const oldCa = entries.find((e) => e.issuer.equals(alice.issuer)) as CrlEntries;
    const forged: CrlEntries = { issuer: oldCa.issuer, serials: new Set([bob.serial]) };
    expect(isRevokedBy(der(certs['bob'] as Buffer), [forged])).toBe(false);
    expect(isRevokedBy(der(certs['bob'] as Buffer), [{ issuer: bob.issuer, serials: new Set([bob.serial]) }])).toBe(true);
  });

  it('refuses what is not a CRL; a certificate that does not parse counts as revoked', () => {
    expect(() => parseCrlEntries(Buffer.from('-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----\n'))).toThrow(expect.objectContaining({ code: 'TLS_FILE_UNREADABLE' }));
    expect(() => parseCrlEntries(Buffer.from('nothing'))).toThrow(expect.objectContaining({ code: 'TLS_FILE_UNREADABLE' }));
    const alice = der(certs['alice'] as Buffer);
    expect(isRevokedBy(alice.subarray(0, 40), entries)).toBe(true);
    expect(certificateIssuerSerial(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]))).toBeUndefined();
  });
});

describe('RevocationWatch', () => {
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 60));

  it('on a new CRL, ends exactly the tracked connections it revokes, once, after onChange', async () => {
    const bundle = parseCrlBundle(fs.readFileSync(path.join(caDir, 'crl-bundle.pem')), 'bundle');
    let current: Buffer[] = [];
    const source: CrlSource = { path: 'test', current: () => current, entries: () => current.map(parseCrlEntries) };
    const log: string[] = [];
    const watch = new RevocationWatch<string>(source, { onChange: (c) => log.push(`change ${c.length}`), onError: (e) => log.push(`error ${e.message}`), intervalMs: 10 });
    try {
      for (const name of ['alice', 'mallory', 'bob', 'trent']) watch.track(name, der(certs[name] as Buffer), () => log.push(`end ${name}`));
      watch.untrack('trent'); // closed before the CRL arrived
      await tick();
      expect(log).toEqual([]); // nothing changed yet
      current = bundle;
      await tick();
      expect(log).toEqual(['change 2', 'end mallory']);
      current = [...bundle]; // a reload of the same revocations: nobody is ended twice
      await tick();
      expect(log).toEqual(['change 2', 'end mallory', 'change 2']);
      // A connection registered after the change (its handshake used the older CRL) is checked at once.
      watch.track('late-mallory', der(certs['mallory'] as Buffer), () => log.push('end late-mallory'));
      watch.track('late-alice', der(certs['alice'] as Buffer), () => log.push('end late-alice'));
      expect(log.at(-1)).toBe('end late-mallory');
    } finally {
      watch.stop();
    }
  });

  it('acts on a changed file within one interval, even when connections keep the source rate-limited', async () => {
    // The source's own re-check interval never lapses (frozen clock) and a new connection
    // looks at it just before every tick: only the watch's fresh look can see the change.
    const file = path.join(dir, 'watched-crl.pem');
    const bundle = fs.readFileSync(path.join(caDir, 'crl-bundle.pem'));
    const first = parseCrlBundle(bundle, 'bundle')[0] as Buffer; // the old CA's CRL: it lists mallory
    fs.writeFileSync(file, parseCrlBundle(bundle, 'bundle')[1] as Buffer); // the new CA's CRL: trent only
    const source = createCrlSource(file, { now: () => 0, recheckMs: 60_000 });
    const log: string[] = [];
    const watch = new RevocationWatch<string>(source, { onError: (e) => log.push(`error ${e.message}`), intervalMs: 20 });
    const busy = setInterval(() => source.current(), 5);
    try {
      watch.track('mallory', der(certs['mallory'] as Buffer), () => log.push('end mallory'));
      await tick();
      expect(log).toEqual([]);
      fs.writeFileSync(`${file}.new`, Buffer.concat([first, Buffer.from('\n'), parseCrlBundle(bundle, 'bundle')[1] as Buffer]));
      fs.renameSync(`${file}.new`, file);
      await tick();
      expect(log).toEqual(['end mallory']);
    } finally {
      clearInterval(busy);
      watch.stop();
    }
  });

  it('a CRL whose entries cannot be read ends nobody and says why; no source tracks nothing', async () => {
    let current: Buffer[] = [];
    const source: CrlSource = { path: 'test', current: () => current, entries: () => current.map(parseCrlEntries) };
    const log: string[] = [];
    const watch = new RevocationWatch<string>(source, { onError: () => log.push('error'), intervalMs: 10 });
    watch.track('mallory', der(certs['mallory'] as Buffer), () => log.push('end'));
    current = [Buffer.from('-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----\n')];
    await tick();
    watch.stop();
    expect(log).toEqual(['error']);
    const none = new RevocationWatch<string>(undefined, { onError: () => undefined });
    none.track('x', Buffer.alloc(1), () => log.push('never'));
    none.stop();
  });
});
