import { describe, expect, it } from 'vitest';
import {
  getBin,
  getInt32,
  getInt32Array,
  getInt64Array,
  getString,
  getStringArray,
  hasTag,
  parseHeader,
} from '@signet/rpm';
import type { HeaderLimits, ParsedHeader } from '@signet/rpm';
import { buildHeader, e, setEntry, storeStart, str, T } from './builder.ts';
import { codeOf } from '../../helpers/error-code.ts';

const SIG: HeaderLimits = { maxTags: 32, maxDataBytes: 64 * 1024 * 1024 };
const MAIN: HeaderLimits = { maxTags: 65535, maxDataBytes: 32 * 1024 * 1024 };


const sample = () =>
  buildHeader(63, [
    e.strings(100, 'C', 'de'),
    e.string(1000, 'name'),
    { tag: 1001, type: T.CHAR, count: 1, data: Buffer.from('x') },
    e.int16(1002, 7, 8),
    e.int32(1003, 42),
    e.int64(1004, 5n ** 20n),
    e.bin(1005, Buffer.from([1, 2, 3])),
    { tag: 1006, type: T.I18NSTRING, count: 2, data: Buffer.from('hello\0hallo\0') },
  ]);

describe('parseHeader: well-formed headers', () => {
  it('parses every type and exposes typed accessors', () => {
    const h: ParsedHeader = parseHeader(sample(), 63, MAIN);
    expect(h.regionTag).toBe(63);
    expect(h.il).toBe(9);
    expect(h.entries.map((x) => x.tag)).toEqual([100, 1000, 1001, 1002, 1003, 1004, 1005, 1006]);
    expect(getStringArray(h, 100)).toEqual(['C', 'de']);
    expect(getString(h, 1000)).toBe('name');
    expect(getInt32(h, 1003)).toBe(42);
    expect(getInt32Array(h, 1003)).toEqual([42]);
    expect(getInt64Array(h, 1004)).toEqual([5n ** 20n]);
    expect(getBin(h, 1005)).toEqual(Buffer.from([1, 2, 3]));
    expect(getString(h, 1006)).toBe('hello');
    expect(getString(h, 9999)).toBeUndefined();
    expect(hasTag(h, 1001)).toBe(true);
    // INT64 data is aligned to 8 and INT16 to 2 in the store.
    expect((h.entries[5] as { offset: number }).offset % 8).toBe(0);
    expect(h.bytes.length).toBe(16 + 16 * h.il + h.dl);
  });

  it('uses only the blob bytes and ignores what follows', () => {
    const blob = sample();
    const h = parseHeader(Buffer.concat([blob, Buffer.from('trailing')]), 63, MAIN);
    expect(h.bytes.equals(blob)).toBe(true);
  });

  it('accepts unsorted tags, as rpm does (rpm sorts after loading)', () => {
    const h = parseHeader(buildHeader(62, [e.bin(1004, Buffer.alloc(16)), e.string(273, 'ab')]), 62, SIG);
    expect(h.entries.map((x) => x.tag)).toEqual([1004, 273]);
  });

  it('accepts HEADERIMAGE (61) in an old signature trailer, as rpm does', () => {
    const blob = buildHeader(62, [e.string(273, 'ab')]);
    blob.writeUInt32BE(61, storeStart(blob) + blob.readUInt32BE(12) - 16);
    expect(parseHeader(blob, 62, SIG).entries).toHaveLength(1);
  });

  it('refuses a type the accessor cannot use', () => {
    const h = parseHeader(sample(), 63, MAIN);
    expect(codeOf(() => getString(h, 1003))).toBe('RPM_BAD_ENTRY');
    expect(codeOf(() => getInt32(h, 1000))).toBe('RPM_BAD_ENTRY');
    expect(codeOf(() => getBin(h, 1000))).toBe('RPM_BAD_ENTRY');
    const two = parseHeader(buildHeader(63, [e.int32(1003, 1, 2)]), 63, MAIN);
    expect(codeOf(() => getInt32(two, 1003))).toBe('RPM_BAD_ENTRY');
  });
});

describe('parseHeader: malformed headers', () => {
  it('rejects a bad magic', () => {
    const blob = sample();
    blob[3] = 0x02;
    expect(codeOf(() => parseHeader(blob, 63, MAIN))).toBe('RPM_BAD_HEADER_MAGIC');
  });

  it('rejects truncation in the intro, the index and the store', () => {
    const blob = sample();
    for (const cut of [0, 8, 15, 16, 40, 16 + 16 * 9 - 1, 16 + 16 * 9 + 3, blob.length - 1]) {
      expect(codeOf(() => parseHeader(blob.subarray(0, cut), 63, MAIN)), `cut at ${cut}`).toBe('RPM_TRUNCATED');
    }
  });

  it('rejects too many tags before reading them', () => {
    const entries = Array.from({ length: 32 }, (_, i) => e.int32(1000 + i, i));
    expect(codeOf(() => parseHeader(buildHeader(62, entries), 62, SIG))).toBe('RPM_TOO_MANY_TAGS');
    expect(parseHeader(buildHeader(62, entries.slice(0, 31)), 62, SIG).il).toBe(32);
    // An il claiming 2^32-1 entries in a 16-byte intro: refused on the intro alone.
    const huge = Buffer.from('8eade80100000000ffffffff00000010', 'hex');
    expect(codeOf(() => parseHeader(huge, 63, MAIN))).toBe('RPM_TOO_MANY_TAGS');
  });

  it('rejects an oversized data store before reading it', () => {
    const huge = Buffer.from('8eade8010000000000000001ffffff00', 'hex');
    expect(codeOf(() => parseHeader(huge, 62, SIG))).toBe('RPM_HEADER_TOO_LARGE');
    const blob = buildHeader(63, [e.bin(1000, Buffer.alloc(2000))]);
    expect(codeOf(() => parseHeader(blob, 63, { maxTags: 10, maxDataBytes: 1000 }))).toBe('RPM_HEADER_TOO_LARGE');
  });

  it('rejects an empty index (no region)', () => {
    expect(codeOf(() => parseHeader(Buffer.from('8eade801000000000000000000000000', 'hex'), 63, MAIN))).toBe('RPM_BAD_REGION');
  });

  it('rejects a bad region entry or trailer', () => {
    const cases: Array<[string, (b: Buffer) => void]> = [
      ['wrong region tag', (b) => setEntry(b, 0, 'tag', 62)],
      ['no region: entry 0 is an ordinary tag', (b) => setEntry(b, 0, 'tag', 1000)],
      ['region type', (b) => setEntry(b, 0, 'type', T.INT32)],
      ['region count', (b) => setEntry(b, 0, 'count', 32)],
      ['region offset not the last 16 bytes', (b) => setEntry(b, 0, 'offset', b.readUInt32BE(12) - 32)],
      ['region offset negative', (b) => setEntry(b, 0, 'offset', -16)],
      ['trailer tag', (b) => b.writeUInt32BE(62, storeStart(b) + b.readUInt32BE(12) - 16)],
      ['trailer type', (b) => b.writeUInt32BE(4, storeStart(b) + b.readUInt32BE(12) - 12)],
      ['trailer covers fewer entries', (b) => b.writeInt32BE(-16 * (b.readUInt32BE(8) - 1), storeStart(b) + b.readUInt32BE(12) - 8)],
      ['trailer count', (b) => b.writeUInt32BE(8, storeStart(b) + b.readUInt32BE(12) - 4)],
    ];
    for (const [label, corrupt] of cases) {
      const blob = sample();
      corrupt(blob);
      expect(codeOf(() => parseHeader(blob, 63, MAIN)), label).toBe('RPM_BAD_REGION');
    }
  });

  it('rejects offsets and data outside the store', () => {
    const mk = () => buildHeader(63, [e.string(1000, 'abc'), e.int32(1001, 1, 2)]);
    const dataEnd = (b: Buffer) => b.readUInt32BE(12) - 16;
    const cases: Array<[string, (b: Buffer) => void]> = [
      ['negative offset', (b) => setEntry(b, 1, 'offset', -4)],
      ['offset past the store', (b) => setEntry(b, 2, 'offset', b.readUInt32BE(12) + 64)],
      ['offset inside the trailer', (b) => setEntry(b, 2, 'offset', dataEnd(b) + 4)],
      ['INT32 data running into the trailer', (b) => setEntry(b, 2, 'count', 3)],
      ['huge count', (b) => setEntry(b, 2, 'count', 0x00100000 - 1)],
    ];
    for (const [label, corrupt] of cases) {
      const blob = mk();
      corrupt(blob);
      const code = codeOf(() => parseHeader(blob, 63, MAIN));
      expect(['RPM_INDEX_OUT_OF_BOUNDS', 'RPM_BAD_ENTRY'], label).toContain(code);
      if (label !== 'huge count') expect(code, label).toBe('RPM_INDEX_OUT_OF_BOUNDS');
    }
  });

  it('rejects malformed entries', () => {
    const cases: Array<[string, Buffer]> = [
      ['tag below 100', buildHeader(63, [e.string(63, 'x')])],
      ['a second region tag', buildHeader(63, [e.bin(62, Buffer.alloc(16))])],
      ['NULL type', buildHeader(63, [{ tag: 1000, type: T.NULL, count: 1, data: Buffer.alloc(0) }])],
      ['type 10', buildHeader(63, [{ tag: 1000, type: 10, count: 1, data: Buffer.alloc(4) }])],
      ['count 0', buildHeader(63, [{ tag: 1000, type: T.BIN, count: 0, data: Buffer.alloc(4) }])],
      ['STRING with count 2', buildHeader(63, [{ tag: 1000, type: T.STRING, count: 2, data: Buffer.from('a\0b\0') }])],
      ['unterminated string', buildHeader(63, [{ tag: 1000, type: T.STRING, count: 1, data: Buffer.from('abc') }])],
      ['string array with fewer strings than count', buildHeader(63, [{ tag: 1000, type: T.STRING_ARRAY, count: 3, data: Buffer.from('a\0b\0') }])],
      ['misaligned INT32', buildHeader(63, [e.bin(1000, Buffer.alloc(1)), { ...e.int32(1001, 5), offset: 2 }])],
      ['misaligned INT64', buildHeader(63, [e.bin(1000, Buffer.alloc(1)), { ...e.int64(1001, 5n), offset: 4 }])],
      ['overlapping data', buildHeader(63, [e.string(1000, 'abcdef'), { ...e.string(1001, 'xy'), offset: 3 }])],
      ['data out of index order', buildHeader(63, [{ ...e.string(1000, 'abc'), offset: 8 }, { ...e.string(1001, 'xy'), offset: 0 }])],
      ['duplicate tag', buildHeader(63, [e.string(1000, 'a'), e.string(1000, 'b')])],
      ['duplicate tag, unsorted', buildHeader(63, [e.string(1000, 'a'), e.string(1001, 'b'), e.string(1000, 'c')])],
    ];
    for (const [label, blob] of cases) {
      expect(codeOf(() => parseHeader(blob, 63, MAIN)), label).toBe('RPM_BAD_ENTRY');
    }
  });

  it('rejects a string whose NUL lies only in the trailer', () => {
    // 'abc' fills the data area up to the trailer; the trailer's first byte is 0.
    const blob = buildHeader(63, [{ tag: 1000, type: T.STRING, count: 1, data: Buffer.from('abc') }]);
    expect(blob[storeStart(blob) + 3]).toBe(0);
    expect(codeOf(() => parseHeader(blob, 63, MAIN))).toBe('RPM_BAD_ENTRY');
    expect(parseHeader(buildHeader(63, [{ tag: 1000, type: T.STRING, count: 1, data: str('abc') }]), 63, MAIN).entries).toHaveLength(1);
  });
});
