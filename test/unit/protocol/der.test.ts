import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateIssuerSerial, createCrlSource, parseCrlEntries, RevocationWatch, type CrlSource } from '@signet/protocol';
import {
  DER_MAX_LENGTH_OCTETS,
  derContent,
  derElementBytes,
  readDer,
  readDerChildren,
  readDerWhole,
  type DerElement,
} from '../../../packages/protocol/src/der.ts';
import { createCa, createCrl, generateRsaKeyPair, issueCertificate, type CaMaterial } from '@signet/pki';
import { derInteger, derSequence, tlv } from '../../../pki/src/der.ts';
import { crlEntriesOfDer } from '../../../packages/protocol/src/tls/crl-entries.ts';
import { readCrlBundle } from '../../../packages/protocol/src/tls/crl.ts';

/**
 * The one bounded DER reader of @signet/protocol, on hand-made bytes and on real
 * certificates and CRLs from signet-pki; and the CRL code that reads with it.
 */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;
const b = (...bytes: number[]): Buffer => Buffer.from(bytes);

let dir: string;
let ca: CaMaterial;
let crlPem: string;
let crlDer: Buffer;
let caDer: Buffer;
let aliceDer: Buffer;
let malloryDer: Buffer;
let mallorySerial: string;

const pemBody = (pem: string): Buffer => Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----/g, '').replace(/\s/g, ''), 'base64');

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  const [caKeys, leafKeys] = [generateRsaKeyPair(2048), generateRsaKeyPair(2048)];
  ca = createCa({ name: 'DER Test CA', keyPair: caKeys, notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2045-01-01T00:00:00Z') });
  const alice = issueCertificate(ca, { role: 'client', name: 'alice', now: NOW, keyPair: leafKeys });
  const mallory = issueCertificate(ca, { role: 'client', name: 'mallory', now: NOW, keyPair: leafKeys });
  mallorySerial = mallory.serial;
  crlPem = createCrl(ca, {
    crlNumber: 7,
    thisUpdate: NOW,
    nextUpdate: new Date(NOW.getTime() + 7 * DAY),
    now: NOW,
    revoked: [{ serial: mallory.serial, revokedAt: NOW, reason: 'keyCompromise' }],
  });
  crlDer = pemBody(crlPem);
  caDer = Buffer.from(new X509Certificate(ca.certPem).raw);
  aliceDer = Buffer.from(new X509Certificate(alice.certPem).raw);
  malloryDer = Buffer.from(new X509Certificate(mallory.certPem).raw);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every element of `buf`, depth first, walked with an explicit stack; undefined if any level is malformed. */
function walk(buf: Buffer): DerElement[] | undefined {
  const top = readDerWhole(buf);
  if (top === undefined) return undefined;
  const out: DerElement[] = [];
  const stack: DerElement[] = [top];
  while (stack.length > 0) {
    const el = stack.pop() as DerElement;
    out.push(el);
    if ((el.tag & 0x20) === 0) continue; // primitive
    const kids = readDerChildren(buf, el);
    if (kids === undefined) return undefined;
    stack.push(...kids.reverse());
  }
  return out;
}

describe('readDer', () => {
  it('reads short-form elements, and the elements of nested sequences in order', () => {
    // SEQUENCE { INTEGER 5, SEQUENCE { NULL, OCTET STRING 'ab' }, [0] { } }
    const buf = b(0x30, 0x0d, 0x02, 0x01, 0x05, 0x30, 0x06, 0x05, 0x00, 0x04, 0x02, 0x61, 0x62, 0xa0, 0x00);
    const top = readDer(buf) as DerElement;
    expect(top).toEqual({ tag: 0x30, offset: 0, start: 2, end: 15 });
    const kids = readDerChildren(buf, top) as DerElement[];
    expect(kids.map((k) => k.tag)).toEqual([0x02, 0x30, 0xa0]);
    expect(derContent(buf, kids[0] as DerElement)).toEqual(b(0x05));
    const inner = readDerChildren(buf, kids[1] as DerElement) as DerElement[];
    expect(inner).toEqual([
      { tag: 0x05, offset: 7, start: 9, end: 9 },
      { tag: 0x04, offset: 9, start: 11, end: 13 },
    ]);
    expect(derElementBytes(buf, inner[1] as DerElement).toString('latin1')).toBe('\x04\x02ab');
    expect(readDerChildren(buf, kids[2] as DerElement)).toEqual([]);
    expect(readDerWhole(buf, 0x30)).toEqual(top);
  });

  it('reads long-form lengths of 1 to 4 octets', () => {
    for (const [n, header] of [
      [200, [0x04, 0x81, 0xc8]],
      [300, [0x04, 0x82, 0x01, 0x2c]],
      [70000, [0x04, 0x83, 0x01, 0x11, 0x70]],
      [256, [0x04, 0x84, 0x00, 0x00, 0x01, 0x00]], // 4 octets (not minimal: accepted, as before)
    ] as const) {
      const buf = Buffer.concat([b(...header), Buffer.alloc(n, 0x55)]);
      expect(readDerWhole(buf)).toEqual({ tag: 0x04, offset: 0, start: header.length, end: header.length + n });
    }
    // Agrees with the pki writer's long forms, nested.
    const big = derSequence(tlv(0x04, Buffer.alloc(1000, 1)), derInteger('00ff'));
    const kids = readDerChildren(big, readDerWhole(big, 0x30) as DerElement) as DerElement[];
    expect(kids.map((k) => [k.tag, k.end - k.start])).toEqual([[0x04, 1000], [0x02, 2]]);
  });

  it('refuses an element whose length reaches past its parent, though the buffer holds the bytes', () => {
    // SEQUENCE of length 3 holding an INTEGER that claims 5 octets; the buffer has 8 after it.
    const buf = b(0x30, 0x03, 0x02, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06);
    const top = readDer(buf) as DerElement;
    expect(top.end).toBe(5);
    expect(readDerChildren(buf, top)).toBeUndefined();
    expect(readDer(buf, 2)).toBeDefined(); // read against the buffer alone it would pass
    expect(readDer(buf, 2, top.end)).toBeUndefined();
    // A long-form length field that itself runs past the parent.
    expect(readDer(b(0x30, 0x02, 0x04, 0x82, 0x00, 0x01, 0x00), 2, 4)).toBeUndefined();
  });

  it('refuses multi-byte tags, indefinite lengths and length fields over 4 octets', () => {
    expect(readDer(b(0x1f, 0x81, 0x00, 0x01, 0x00))).toBeUndefined();
    expect(readDer(b(0xbf, 0x20, 0x00))).toBeUndefined(); // [32] constructed
    expect(readDer(b(0x30, 0x80, 0x05, 0x00, 0x00, 0x00))).toBeUndefined();
    expect(DER_MAX_LENGTH_OCTETS).toBe(4);
    const five = Buffer.concat([b(0x04, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01), b(0x00)]);
    expect(readDer(five)).toBeUndefined();
    expect(readDer(b(0x30, 0x84, 0xff, 0xff, 0xff, 0xff))).toBeUndefined(); // 4 GiB claimed
  });

  it('refuses empty and one-byte input, bad offsets and limits, trailing bytes and another tag', () => {
    expect(readDer(Buffer.alloc(0))).toBeUndefined();
    expect(readDerWhole(Buffer.alloc(0))).toBeUndefined();
    expect(readDer(b(0x30))).toBeUndefined();
    const ok = b(0x05, 0x00);
    expect(readDer(ok, -1)).toBeUndefined();
    expect(readDer(ok, 0.5)).toBeUndefined();
    expect(readDer(ok, 0, Number.NaN)).toBeUndefined();
    expect(readDer(ok, 0, 1)).toBeUndefined();
    expect(readDer(ok, 0, 99)).toEqual({ tag: 0x05, offset: 0, start: 2, end: 2 }); // limit clamped to the buffer
    expect(readDerWhole(b(0x05, 0x00, 0x00))).toBeUndefined();
    expect(readDerWhole(ok, 0x30)).toBeUndefined();
  });

  it('walks a real certificate and CRL: children tile each constructed element exactly', () => {
    for (const der of [caDer, aliceDer, crlDer]) {
      const all = walk(der) as DerElement[];
      expect(all.length).toBeGreaterThan(20);
      for (const el of all) {
        if ((el.tag & 0x20) === 0) continue;
        const kids = readDerChildren(der, el) as DerElement[];
        let at = el.start;
        for (const k of kids) {
          expect(k.offset).toBe(at);
          at = k.end;
        }
        expect(at).toBe(el.end);
      }
    }
    // The certificate's serial, read by the walk, is node:crypto's.
    const tbs = (readDerChildren(aliceDer, readDerWhole(aliceDer, 0x30) as DerElement) as DerElement[])[0] as DerElement;
    const serial = (readDerChildren(aliceDer, tbs) as DerElement[])[1] as DerElement;
    expect(derContent(aliceDer, serial).toString('hex').toUpperCase().replace(/^(00)+(?=.)/, '')).toBe(
      new X509Certificate(aliceDer).serialNumber.toUpperCase().replace(/^(00)+(?=.)/, ''),
    );
  });

  it('gives a clean refusal, never an exception, for a real CRL or certificate cut at every byte', () => {
    for (const der of [crlDer, aliceDer]) {
      for (let n = 0; n < der.length; n++) {
        const cut = der.subarray(0, n);
        expect(readDerWhole(cut)).toBeUndefined();
        expect(walk(cut)).toBeUndefined();
      }
    }
    for (let n = 0; n < crlDer.length; n++) {
      expect(() => crlEntriesOfDer(crlDer.subarray(0, n))).toThrow(expect.objectContaining({ code: 'TLS_FILE_UNREADABLE' }));
    }
    for (let n = 0; n < aliceDer.length; n++) expect(certificateIssuerSerial(aliceDer.subarray(0, n))).toBeUndefined();
  });
});

describe('the CRL code on the shared reader', () => {
  it('reads a CRL once: the bundle keeps the DER, whose entries are those parseCrlEntries reads from the PEM', () => {
    const bundle = readCrlBundle(Buffer.from(crlPem + crlPem), 'test');
    expect(bundle.pems).toHaveLength(2);
    const entries = bundle.ders.map(crlEntriesOfDer);
    expect(entries).toHaveLength(2);
    const fromPem = parseCrlEntries(bundle.pems[0] as Buffer);
    expect(entries[0]?.issuer.equals(fromPem.issuer)).toBe(true);
    expect([...(entries[0]?.serials ?? [])]).toEqual([mallorySerial.toLowerCase().replace(/^(00)+(?=.)/, '')]);
    // The CRL's issuer is the CA's subject, byte for byte (pki's issuerName uses the same reader).
    expect(fromPem.issuer.equals(certificateIssuerSerial(aliceDer)?.issuer ?? Buffer.alloc(0))).toBe(true);
  });

  it('a CRL source hands out the entries of the CRLs it returns, and [] before any', () => {
    const file = path.join(dir, 'crl-bundle.pem');
    fs.writeFileSync(file, crlPem);
    const source = createCrlSource(file, { recheckMs: 0 });
    expect(source.current()).toHaveLength(1);
    const entries = source.entries();
    expect(source.entries()).toBe(entries); // decoded once per file version
    expect(entries).toHaveLength(1);
    expect(entries[0]?.serials.size).toBe(1);
    const none = createCrlSource(path.join(dir, 'missing.pem'), { recheckMs: 0 });
    expect(none.current()).toBeUndefined();
    expect(none.entries()).toEqual([]);
  });

  it('RevocationWatch uses the entries the source read rather than decoding the PEMs again', async () => {
    const pems = readCrlBundle(Buffer.from(crlPem), 'test').pems;
    const alice = certificateIssuerSerial(aliceDer) as { issuer: Buffer; serial: string };
    // The PEMs revoke mallory; the entries the source reports revoke alice: which one ends tells which was used.
    let current: Buffer[] | undefined;
    const source: CrlSource = { path: 'test', current: () => current, entries: () => [{ issuer: alice.issuer, serials: new Set([alice.serial]) }] };
    const log: string[] = [];
    const watch = new RevocationWatch<string>(source, { onError: (e) => log.push(`error ${e.message}`), intervalMs: 10 });
    try {
      watch.track('alice', aliceDer, () => log.push('end alice'));
      watch.track('mallory', malloryDer, () => log.push('end mallory'));
      current = pems;
      await new Promise((r) => setTimeout(r, 60));
      expect(log).toEqual(['end alice']);
    } finally {
      watch.stop();
    }
  });
});
