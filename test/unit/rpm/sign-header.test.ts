import { describe, expect, it } from 'vitest';
import {
  buildSignatureHeader,
  checkSignaturePacket,
  extractSignatures,
  getBin,
  inspectSignaturePacket,
  layoutHeader,
  parseHeader,
  regionlessHeaderSize,
  signatureTagFor,
} from '@signet/rpm';
import type { ParsedHeader } from '@signet/rpm';
import { buildHeader, e, fakeSignaturePacket, T } from './builder.ts';
import type { RawEntry } from './builder.ts';
import { codeOf } from '../../helpers/error-code.ts';

const SIG = { maxTags: 32, maxDataBytes: 64 * 1024 * 1024 };


/** A typical rpmbuild 4.18 signature header, with `reserve` bytes of RESERVEDSPACE. */
function unsignedSig(reserve = 4128, extra: RawEntry[] = []): ParsedHeader {
  const entries = [
    e.string(269, 'a'.repeat(40)),
    e.string(273, 'b'.repeat(64)),
    e.int32(1000, 12345),
    e.bin(1004, Buffer.alloc(16, 7)),
    e.int32(1007, 99999),
    ...extra,
    ...(reserve > 0 ? [e.bin(1008, Buffer.alloc(reserve))] : []),
  ].sort((a, b) => a.tag - b.tag);
  return parseHeader(buildHeader(62, entries), 62, SIG);
}

const paddedLength = (h: ParsedHeader) => h.bytes.length + ((8 - (h.bytes.length % 8)) % 8);

describe('layoutHeader', () => {
  it('sorts by tag, aligns integer data from the store start, and closes the region', () => {
    const blob = layoutHeader(62, [
      e.int64(1010, 1n),
      e.string(1000, 'abc'),
      e.int16(1005, 3),
      { tag: 1001, type: T.CHAR, count: 1, data: Buffer.from('z') },
    ]);
    const h = parseHeader(blob, 62, SIG);
    expect(h.entries.map((x) => [x.tag, x.offset])).toEqual([
      [1000, 0],
      [1001, 4],
      [1005, 6],
      [1010, 8],
    ]);
    expect(h.dl).toBe(16 + 16);
    // Gaps are zero.
    expect(blob.subarray(16 + 16 * 5 + 5, 16 + 16 * 5 + 6)).toEqual(Buffer.from([0]));
    expect(regionlessHeaderSize(h.entries)).toBe(16 + 16 * 4 + 16);
  });

  it('refuses duplicate tags and reserved tags', () => {
    expect(codeOf(() => layoutHeader(62, [e.string(1000, 'a'), e.string(1000, 'b')]))).toBe('RPM_BAD_ENTRY');
    expect(codeOf(() => layoutHeader(62, [e.string(62, 'a')]))).toBe('RPM_BAD_ENTRY');
  });
});

describe('signature packets', () => {
  it('reads version, algorithms and issuer from a v4 packet', () => {
    const info = inspectSignaturePacket(fakeSignaturePacket({ pubkeyAlgorithm: 22, hashAlgorithm: 8, keyId: 'b0645aec757bf69e', filler: 300 }));
    expect(info).toMatchObject({ version: 4, signatureType: 0, pubkeyAlgorithm: 22, hashAlgorithm: 8, issuerKeyId: 'b0645aec757bf69e', creationTime: 1_700_000_000 });
  });

  it('maps algorithms to the tags rpmsign uses', () => {
    expect(signatureTagFor(1)).toBe(268);
    expect(signatureTagFor(17)).toBe(267);
    expect(signatureTagFor(22)).toBe(267);
    expect(codeOf(() => signatureTagFor(27))).toBe('RPM_BAD_SIGNATURE_PACKET');
    expect(codeOf(() => signatureTagFor(19))).toBe('RPM_BAD_SIGNATURE_PACKET');
  });

  it('refuses packets rpm 4.18 could not use', () => {
    const good = fakeSignaturePacket();
    const cases: Array<[string, Buffer, number]> = [
      ['empty', Buffer.alloc(0), 1],
      ['not a packet', Buffer.from('hello world'), 1],
      ['a public-key packet', Buffer.concat([Buffer.from([0xc6]), good.subarray(1)]), 1],
      ['trailing bytes', Buffer.concat([good, Buffer.from([0])]), 1],
      ['two packets', Buffer.concat([good, good]), 1],
      ['truncated', good.subarray(0, good.length - 1), 1],
      ['v3 signature', fakeSignaturePacket({ version: 3 }), 1],
      ['v6 signature', fakeSignaturePacket({ version: 6 }), 1],
      ['text signature', fakeSignaturePacket({ signatureType: 1 }), 1],
      ['algorithm mismatch', fakeSignaturePacket({ pubkeyAlgorithm: 1 }), 22],
      ['Ed25519 (27)', fakeSignaturePacket({ pubkeyAlgorithm: 27 }), 27],
      ['unknown hash', fakeSignaturePacket({ hashAlgorithm: 99 }), 1],
      ['no issuer key ID', fakeSignaturePacket({ issuer: false }), 1],
      ['huge', Buffer.alloc(70_000, 0x88), 1],
    ];
    for (const [label, packet, algo] of cases) {
      expect(codeOf(() => checkSignaturePacket(packet, algo)), label).toBe('RPM_BAD_SIGNATURE_PACKET');
    }
    expect(checkSignaturePacket(good, 1).issuerKeyId).toBe('0123456789abcdef');
  });

  it('accepts old-format packet headers', () => {
    const modern = fakeSignaturePacket({ filler: 50 });
    const body = modern.subarray(2);
    const old = Buffer.concat([Buffer.from([0x88, body.length]), body]);
    expect(checkSignaturePacket(old, 1).issuerKeyId).toBe('0123456789abcdef');
  });
});

describe('buildSignatureHeader', () => {
  it('adds an RSA packet as 268 and shrinks the reserve so the size stays', () => {
    const old = unsignedSig();
    const packet = fakeSignaturePacket({ pubkeyAlgorithm: 1, filler: 540 });
    const built = buildSignatureHeader(old, packet, 1);
    expect(built.tag).toBe(268);
    expect(built.sameSize).toBe(true);
    expect(built.region.length).toBe(paddedLength(old));
    expect(built.header.entries.map((x) => x.tag)).toEqual([268, 269, 273, 1000, 1004, 1007, 1008]);
    expect(getBin(built.header, 268)).toEqual(packet);
    // diff = 16 (index) + packet length + change in alignment gaps (the 2-byte gap before 1000 moves).
    const reserve = getBin(built.header, 1008) as Buffer;
    const oldReserve = getBin(old, 1008) as Buffer;
    const gapBefore = 2; // 41 + 65 = 106 -> 1000 aligned at 108
    const gapAfter = (4 - ((packet.length + 106) % 4)) % 4;
    expect(oldReserve.length - reserve.length).toBe(16 + packet.length + gapAfter - gapBefore);
    // Everything but the signature and the reserve is carried over unchanged.
    for (const tag of [269, 273, 1000, 1004, 1007]) {
      expect(built.header.entries.find((x) => x.tag === tag)?.data).toEqual(old.entries.find((x) => x.tag === tag)?.data);
    }
    expect(extractSignatures(built.header)).toEqual([{ tag: 268, packet }]);
  });

  it('puts EdDSA and DSA packets in 267', () => {
    const old = unsignedSig();
    expect(buildSignatureHeader(old, fakeSignaturePacket({ pubkeyAlgorithm: 22, hashAlgorithm: 8 }), 22).tag).toBe(267);
    expect(buildSignatureHeader(old, fakeSignaturePacket({ pubkeyAlgorithm: 17, hashAlgorithm: 8 }), 17).tag).toBe(267);
  });

  it('replaces 267, 268, 1002, 1005 and 1006 and keeps everything else', () => {
    const sig = (algo: number) => fakeSignaturePacket({ pubkeyAlgorithm: algo, filler: 80 });
    const old = unsignedSig(4128, [e.bin(267, sig(22)), e.bin(268, sig(1)), e.bin(1002, sig(1)), e.bin(1005, sig(22)), e.bin(1006, sig(1)), e.string(5000, 'keep me')]);
    const packet = fakeSignaturePacket({ pubkeyAlgorithm: 22, filler: 64 });
    const built = buildSignatureHeader(old, packet, 22);
    expect(built.header.entries.map((x) => x.tag)).toEqual([267, 269, 273, 1000, 1004, 1007, 1008, 5000]);
    expect(extractSignatures(old).map((s) => s.tag)).toEqual([267, 268, 1002, 1005, 1006]);
    expect(extractSignatures(built.header)).toEqual([{ tag: 267, packet }]);
    // The new header is smaller: rpm never grows the reserve back, so the file shrinks.
    expect(getBin(built.header, 1008)?.length).toBe(4128);
    expect(built.sameSize).toBe(false);
    expect(built.region.length).toBeLessThan(paddedLength(old));
  });

  it('leaves the reserve alone when the signature does not fit (diff >= reserve)', () => {
    const packet = fakeSignaturePacket({ filler: 500 });
    const exact = regionlessHeaderSize([...unsignedSig(0).entries, e.bin(268, packet)]) - regionlessHeaderSize(unsignedSig(0).entries);
    for (const reserve of [exact, exact - 1, 8]) {
      const built = buildSignatureHeader(unsignedSig(reserve), packet, 1);
      expect(getBin(built.header, 1008)?.length, `reserve ${reserve}`).toBe(reserve);
      expect(built.sameSize).toBe(false);
    }
    const fits = buildSignatureHeader(unsignedSig(exact + 1), packet, 1);
    expect(getBin(fits.header, 1008)?.length).toBe(1);
    expect(fits.sameSize).toBe(true);
  });

  it('grows the header when there is no reserve at all', () => {
    const old = unsignedSig(0);
    const built = buildSignatureHeader(old, fakeSignaturePacket(), 1);
    expect(built.sameSize).toBe(false);
    expect(built.region.length).toBeGreaterThan(paddedLength(old));
    expect(built.region.length % 8).toBe(0);
  });

  it('re-lays out a header written by another tool (unsorted, with gaps)', () => {
    const messy = parseHeader(
      buildHeader(62, [e.bin(1004, Buffer.alloc(16, 1)), { ...e.string(273, 'c'.repeat(64)), offset: 40 }, e.bin(1008, Buffer.alloc(2000))]),
      62,
      SIG,
    );
    const built = buildSignatureHeader(messy, fakeSignaturePacket(), 1);
    expect(built.header.entries.map((x) => x.tag)).toEqual([268, 273, 1004, 1008]);
    expect(built.header.entries.map((x) => x.offset)).toEqual([0, built.header.entries[0]?.data.length, (built.header.entries[0]?.data.length ?? 0) + 65, (built.header.entries[0]?.data.length ?? 0) + 81]);
  });

  it('refuses rpm 6 OPENPGP signatures and a main header', () => {
    const withV6 = unsignedSig(4128, [e.strings(278, 'c2lnbmF0dXJl')]);
    expect(codeOf(() => buildSignatureHeader(withV6, fakeSignaturePacket(), 1))).toBe('RPM_UNSUPPORTED_VERSION');
    const main = parseHeader(buildHeader(63, [e.string(1000, 'x')]), 63, SIG);
    expect(codeOf(() => buildSignatureHeader(main, fakeSignaturePacket(), 1))).toBe('RPM_BAD_REGION');
  });

  it('refuses a result rpm would not read (more than 32 tags)', () => {
    const many = Array.from({ length: 25 }, (_, i) => e.int32(2000 + i, i));
    const old = unsignedSig(100, many);
    expect(old.il).toBe(32);
    expect(codeOf(() => buildSignatureHeader(old, fakeSignaturePacket(), 1))).toBe('RPM_TOO_MANY_TAGS');
  });
});
