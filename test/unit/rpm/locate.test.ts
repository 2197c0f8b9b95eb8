import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bytesToSign,
  checkHeaderDigests,
  locatePackage,
  packageInfo,
  parseHeader,
  parsePackageHead,
  PayloadVerifier,
  requireHeaderOnlySignable,
} from '@signet/rpm';
import type { PackageLayout } from '@signet/rpm';
import { buildHeader, buildLead, buildPackage, e } from './builder.ts';
import { makeMain, makePackage, makeSig } from './fixtures.ts';
import { codeOf } from '../../helpers/error-code.ts';


const MAIN_LIMITS = { maxTags: 65535, maxDataBytes: 1 << 25 };

describe('locatePackage', () => {
  it('finds lead, signature header, padding, main header and payload', () => {
    const { file, sig, main, payload } = makePackage();
    const layout = parsePackageHead(file);
    const S = 96 + sig.length;
    const M = S + ((8 - (sig.length % 8)) % 8);
    expect(layout.signatureStart).toBe(96);
    expect(layout.signatureEnd).toBe(S);
    expect(layout.mainStart).toBe(M);
    expect(layout.mainEnd).toBe(M + main.length);
    expect(file.length - layout.mainEnd).toBe(payload.length);
    expect(layout.leadBytes.equals(file.subarray(0, 96))).toBe(true);
    expect(layout.signatureRegion.equals(file.subarray(96, M))).toBe(true);
    expect(bytesToSign(layout).equals(file.subarray(M, layout.mainEnd))).toBe(true);
    expect(layout.lead).toMatchObject({ major: 3, type: 0, signatureType: 5, name: 'test-1.0-1' });
  });

  it('asks for exactly what it needs, step by step, and never for the payload', () => {
    const { file } = makePackage({ payload: Buffer.alloc(100_000, 1) });
    const layout = parsePackageHead(file);
    const needs = new Set<number>();
    let complete = -1;
    for (let n = 0; n <= layout.mainEnd; n++) {
      const r = locatePackage(file.subarray(0, n));
      if (r.complete) {
        complete = n;
        break;
      }
      expect(r.need).toBeGreaterThan(n);
      needs.add(r.need);
    }
    expect(complete).toBe(layout.mainEnd);
    expect([...needs]).toEqual([96, 112, layout.mainStart + 16, layout.mainEnd]);
  });

  it('returns private copies, independent of the input buffer', () => {
    const { file } = makePackage();
    const layout = parsePackageHead(file);
    const before = Buffer.from(layout.mainHeader.bytes);
    file.fill(0);
    expect(layout.mainHeader.bytes.equals(before)).toBe(true);
  });

  it('refuses a non-RPM on its first four bytes', () => {
    expect(codeOf(() => locatePackage(Buffer.from('\x7fELF')))).toBe('RPM_NOT_RPM');
    expect(codeOf(() => parsePackageHead(Buffer.from('<html><body>not an rpm</body></html>'.repeat(10))))).toBe('RPM_NOT_RPM');
    expect(locatePackage(Buffer.from([0xed, 0xab]))).toEqual({ complete: false, need: 96 });
  });

  it('refuses rpm 6 leads and other versions clearly', () => {
    const { sig, main } = makePackage();
    for (const major of [4, 2, 5]) {
      const file = buildPackage({ lead: buildLead({ major }), sig, main });
      expect(codeOf(() => parsePackageHead(file)), `major ${major}`).toBe('RPM_UNSUPPORTED_VERSION');
    }
    expect(codeOf(() => parsePackageHead(buildPackage({ lead: buildLead({ signatureType: 1 }), sig, main })))).toBe('RPM_BAD_LEAD');
  });

  it('refuses a v6 main header (RPMFORMAT 6) behind a v3 lead', () => {
    const { file } = makePackage({ mainExtra: [e.int32(5114, 6)] });
    expect(codeOf(() => parsePackageHead(file))).toBe('RPM_UNSUPPORTED_VERSION');
    expect(parsePackageHead(makePackage({ mainExtra: [e.int32(5114, 4)] }).file).mainEnd).toBeGreaterThan(0);
  });

  it('reports truncation at every boundary', () => {
    const { file } = makePackage();
    const layout = parsePackageHead(file);
    const cuts = [0, 3, 50, 95, 96, 100, 111, 112, layout.signatureEnd - 1, layout.signatureEnd, layout.mainStart + 8, layout.mainStart + 100, layout.mainEnd - 1];
    for (const cut of cuts) {
      expect(codeOf(() => parsePackageHead(file.subarray(0, cut))), `cut at ${cut}`).toBe('RPM_TRUNCATED');
    }
    expect(parsePackageHead(file.subarray(0, layout.mainEnd)).mainEnd).toBe(layout.mainEnd);
  });

  it('checks both headers against their own region tag and limits', () => {
    const { sig, main } = makePackage();
    expect(codeOf(() => parsePackageHead(buildPackage({ sig: main, main })))).toBe('RPM_BAD_REGION');
    expect(codeOf(() => parsePackageHead(buildPackage({ sig, main: sig })))).toBe('RPM_BAD_REGION');
    const bigSig = buildHeader(62, Array.from({ length: 32 }, (_, i) => e.int32(1000 + i, i)));
    expect(codeOf(() => parsePackageHead(buildPackage({ sig: bigSig, main })))).toBe('RPM_TOO_MANY_TAGS');
    const { file } = makePackage();
    expect(codeOf(() => parsePackageHead(file, { mainMaxBytes: 100 }))).toBe('RPM_HEADER_TOO_LARGE');
    expect(codeOf(() => parsePackageHead(file, { mainMaxTags: 3 }))).toBe('RPM_TOO_MANY_TAGS');
    expect(() => parsePackageHead(file, { mainMaxBytes: -1 })).toThrow(RangeError);
  });

  it('does not check the padding bytes, as rpm does not', () => {
    const { file, sig } = makePackage();
    const S = 96 + sig.length;
    expect((8 - (sig.length % 8)) % 8).toBeGreaterThan(0);
    file[S] = 0xff;
    expect(parsePackageHead(file).signatureRegion[sig.length]).toBe(0xff);
  });
});

describe('packageInfo', () => {
  const info = (o: Parameters<typeof makePackage>[0]) => packageInfo(parsePackageHead(makePackage(o).file).mainHeader);

  it('reads NEVRA, source flag and payload digest', () => {
    const payload = Buffer.from('abc');
    const i = info({ payload });
    expect(i).toMatchObject({ name: 'demo', epoch: undefined, version: '1.2', release: '3.el9', arch: 'x86_64', isSource: false, nevra: 'demo-1.2-3.el9.x86_64', hasPayloadDigest: true });
    expect(i.payloadDigest).toEqual({ algorithm: 8, hex: createHash('sha256').update(payload).digest('hex') });
    expect(info({ epoch: 2 }).nevra).toBe('demo-2:1.2-3.el9.x86_64');
    expect(info({ epoch: 0 }).nevra).toBe('demo-0:1.2-3.el9.x86_64');
    const src = info({ source: true });
    expect(src.isSource).toBe(true);
    expect(src.nevra).toBe('demo-1.2-3.el9.src');
  });

  it('trusts the header, not the lead, for the source flag', () => {
    expect(info({ lead: { type: 1 } }).isSource).toBe(false);
  });

  it('refuses packages without a payload digest for header-only signing', () => {
    const i = info({ payloadDigest: false });
    expect(i.hasPayloadDigest).toBe(false);
    expect(codeOf(() => requireHeaderOnlySignable(i))).toBe('RPM_NEEDS_V3');
    expect(() => requireHeaderOnlySignable(info({}))).not.toThrow();
    const altOnly = info({ payloadDigest: false, mainExtra: [e.int32(5093, 8), e.strings(5097, 'ab'.repeat(32))] });
    expect(altOnly.hasPayloadDigest).toBe(true);
  });

  it('refuses missing or malformed identity and digest tags', () => {
    const noName = parseHeader(buildHeader(63, [e.string(1001, '1'), e.string(1002, '1'), e.string(1022, 'noarch')]), 63, MAIN_LIMITS);
    expect(codeOf(() => packageInfo(noName))).toBe('RPM_MISSING_TAG');
    const wrongType = parseHeader(buildHeader(63, [e.int32(1000, 5), e.string(1001, '1'), e.string(1002, '1'), e.string(1022, 'noarch')]), 63, MAIN_LIMITS);
    expect(codeOf(() => packageInfo(wrongType))).toBe('RPM_BAD_ENTRY');
    const ids = [e.string(1000, 'n'), e.string(1001, '1'), e.string(1002, '1'), e.string(1022, 'noarch'), e.string(1044, 'n.src.rpm')];
    const noAlgo = parseHeader(buildHeader(63, [...ids, e.strings(5092, 'ab')]), 63, MAIN_LIMITS);
    expect(codeOf(() => packageInfo(noAlgo))).toBe('RPM_MISSING_TAG');
    const upper = parseHeader(buildHeader(63, [...ids, e.strings(5092, 'AB'), e.int32(5093, 8)]), 63, MAIN_LIMITS);
    expect(codeOf(() => packageInfo(upper))).toBe('RPM_BAD_ENTRY');
  });
});

describe('digest checks', () => {
  function verifyAll(layout: PackageLayout, payload: Buffer, chunk = 7) {
    checkHeaderDigests(layout);
    const v = new PayloadVerifier(layout);
    for (let i = 0; i < payload.length; i += chunk) v.update(payload.subarray(i, i + chunk));
    return v.finish();
  }

  it('accepts a consistent package, in any chunking', () => {
    const { file, payload } = makePackage();
    const layout = parsePackageHead(file);
    expect(checkHeaderDigests(layout)).toEqual({ headerSha256: true, headerSha1: true });
    expect(verifyAll(layout, payload, 1)).toEqual({ payloadDigest: true, md5: true, size: true });
    expect(verifyAll(layout, payload, 1 << 20)).toEqual({ payloadDigest: true, md5: true, size: true });
  });

  it('detects a main header that does not match SHA256HEADER or SHA1HEADER', () => {
    const payload = Buffer.from('p');
    const main = makeMain({}, payload);
    const otherMain = makeMain({ name: 'other' }, payload);
    const sig = makeSig(otherMain, payload);
    const layout = parsePackageHead(buildPackage({ sig, main, payload }));
    expect(codeOf(() => checkHeaderDigests(layout))).toBe('RPM_HEADER_DIGEST_MISMATCH');
    // Only SHA1 present (old packages): still checked.
    const sha1Only = buildHeader(62, [e.string(269, createHash('sha1').update(otherMain).digest('hex'))]);
    const l2 = parsePackageHead(buildPackage({ sig: sha1Only, main, payload }));
    expect(codeOf(() => checkHeaderDigests(l2))).toBe('RPM_HEADER_DIGEST_MISMATCH');
  });

  it('tells payload, MD5 and size mismatches apart', () => {
    const { file, payload } = makePackage();
    const layout = parsePackageHead(file);
    const damaged = Buffer.from(payload);
    damaged[10] = (damaged[10] ?? 0) ^ 1;
    expect(codeOf(() => verifyAll(layout, damaged))).toBe('RPM_PAYLOAD_DIGEST_MISMATCH');
    expect(codeOf(() => verifyAll(layout, Buffer.concat([payload, Buffer.from('x')])))).toBe('RPM_PAYLOAD_DIGEST_MISMATCH');

    // No payload digest: the MD5 over header+payload catches it, then SIZE.
    const old = makePackage({ payloadDigest: false });
    const oldLayout = parsePackageHead(old.file);
    const d2 = Buffer.from(old.payload);
    d2[0] = (d2[0] ?? 0) ^ 1;
    expect(codeOf(() => verifyAll(oldLayout, d2))).toBe('RPM_MD5_MISMATCH');
    const sizeOnly = buildHeader(62, [e.int32(1000, 5)]);
    const l3 = parsePackageHead(buildPackage({ sig: sizeOnly, main: old.main, payload: old.payload }));
    expect(codeOf(() => verifyAll(l3, old.payload))).toBe('RPM_SIZE_MISMATCH');
  });

  it('refuses a payload digest algorithm it does not know', () => {
    const { file } = makePackage({ mainExtra: [] });
    const layout = parsePackageHead(file);
    expect(new PayloadVerifier(layout)).toBeInstanceOf(PayloadVerifier);
    const ids = [e.string(1000, 'n'), e.string(1001, '1'), e.string(1002, '1'), e.string(1022, 'noarch'), e.string(1044, 's')];
    const main = buildHeader(63, [...ids, e.strings(5092, 'ab'), e.int32(5093, 77)]);
    const l = parsePackageHead(buildPackage({ sig: buildHeader(62, [e.int32(1000, 1)]), main }));
    expect(codeOf(() => new PayloadVerifier(l))).toBe('RPM_UNSUPPORTED_DIGEST');
  });
});
