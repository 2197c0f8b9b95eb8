import { RpmError } from '../errors.ts';
import type { HeaderLimits } from '../limits.ts';
import { FIRST_ORDINARY_TAG, REGION_TAG, RPM_TYPE, TYPE_ALIGN, TYPE_SIZES } from '../tags.ts';
import type { HeaderEntry, ParsedHeader } from './types.ts';

export const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01, 0x00, 0x00, 0x00, 0x00]);

/** Bytes of magic + il + dl. */
export const HEADER_INTRO_SIZE = 16;
const ENTRY_SIZE = 16;
const TRAILER_SIZE = 16;
/** rpm `HEADER_ARRAY_MAX`: elements in one non-BIN entry. */
const MAX_ARRAY_COUNT = 0x000fffff;

export interface HeaderIntro {
  readonly il: number;
  readonly dl: number;
  /** Total blob size: `16 + 16*il + dl`. */
  readonly size: number;
}

function headerName(regionTag: number): string {
  return regionTag === REGION_TAG.SIGNATURES ? 'signature header' : 'main header';
}

/**
 * Reads and bounds the 16-byte intro of a header blob at `buf[at..]`. Checked before
 * anything else so a hostile il/dl never drives a read or an allocation.
 */
export function parseHeaderIntro(buf: Buffer, at: number, regionTag: number, limits: HeaderLimits): HeaderIntro {
  const what = headerName(regionTag);
  if (buf.length < at + HEADER_INTRO_SIZE) {
    throw new RpmError('RPM_TRUNCATED', `${what}: file ends inside the header intro`);
  }
  if (!buf.subarray(at, at + 8).equals(HEADER_MAGIC)) {
    throw new RpmError('RPM_BAD_HEADER_MAGIC', `${what}: bad header magic at byte ${at}; the file is not a valid RPM`);
  }
  const il = buf.readUInt32BE(at + 8);
  const dl = buf.readUInt32BE(at + 12);
  // Threat: a huge il/dl forcing us to read or allocate gigabytes (rpm hdrblobVerifyLengths).
  if (il > limits.maxTags) {
    throw new RpmError('RPM_TOO_MANY_TAGS', `${what}: ${il} index entries exceed the limit of ${limits.maxTags}`);
  }
  if (dl > limits.maxDataBytes) {
    throw new RpmError('RPM_HEADER_TOO_LARGE', `${what}: data store of ${dl} bytes exceeds the limit of ${limits.maxDataBytes}`);
  }
  if (il < 1) {
    throw new RpmError('RPM_BAD_REGION', `${what}: no index entries, so no region tag`);
  }
  return { il, dl, size: HEADER_INTRO_SIZE + ENTRY_SIZE * il + dl };
}

/**
 * Length of the data of one entry as rpm computes it (`dataLength`), bounded by `end`
 * (offset in the store where the entry's data must stop). Returns -1 when strings are
 * not NUL-terminated in bounds.
 */
function dataLength(store: Buffer, type: number, offset: number, count: number, end: number): number {
  const size = TYPE_SIZES[type] ?? 0;
  if (size >= 0) return size * count;
  let pos = offset;
  for (let i = 0; i < count; i++) {
    const nul = store.indexOf(0, pos);
    if (nul < 0 || nul >= end) return -1;
    pos = nul + 1;
  }
  return pos - offset;
}

/**
 * Parses one header blob starting at `buf[0]` with every bound checked, following rpm
 * 4.18 `hdrblobInit` / `hdrblobVerifyRegion` / `hdrblobVerifyInfo`, and stricter where
 * rpm is lax: the region must cover the whole header, tags may not repeat.
 *
 * Tags need not be sorted: rpm sorts after loading, and rpm's own test corpus holds a
 * signature header with unsorted tags. Data must be in index order and not overlap.
 */
export function parseHeader(buf: Buffer, regionTag: number, limits: HeaderLimits): ParsedHeader {
  const what = headerName(regionTag);
  const { il, dl, size } = parseHeaderIntro(buf, 0, regionTag, limits);
  if (buf.length < size) {
    throw new RpmError('RPM_TRUNCATED', `${what}: needs ${size} bytes, only ${buf.length} present`);
  }
  const bytes = buf.subarray(0, size);
  const storeStart = HEADER_INTRO_SIZE + ENTRY_SIZE * il;
  const store = bytes.subarray(storeStart, size);
  const entryAt = (i: number) => {
    const p = HEADER_INTRO_SIZE + ENTRY_SIZE * i;
    return {
      tag: bytes.readUInt32BE(p),
      type: bytes.readUInt32BE(p + 4),
      offset: bytes.readInt32BE(p + 8),
      count: bytes.readUInt32BE(p + 12),
    };
  };

  // Region entry 0 and its trailer. Threat: a header whose immutable region does not
  // cover all entries lets unsigned entries ride along with signed ones.
  const region = entryAt(0);
  if (region.tag !== regionTag) {
    throw new RpmError('RPM_BAD_REGION', `${what}: entry 0 has tag ${region.tag}, expected region tag ${regionTag}`);
  }
  if (region.type !== RPM_TYPE.BIN || region.count !== TRAILER_SIZE) {
    throw new RpmError('RPM_BAD_REGION', `${what}: region entry has type ${region.type} count ${region.count}, expected BIN 16`);
  }
  if (dl < TRAILER_SIZE || region.offset !== dl - TRAILER_SIZE) {
    throw new RpmError('RPM_BAD_REGION', `${what}: region trailer at ${region.offset} is not the last 16 bytes of the ${dl}-byte store`);
  }
  const tTag = store.readUInt32BE(region.offset);
  const tType = store.readUInt32BE(region.offset + 4);
  const tOffset = store.readInt32BE(region.offset + 8);
  const tCount = store.readUInt32BE(region.offset + 12);
  // rpm accepts HEADERIMAGE (61) in old signature trailers and fixes it up; so do we.
  const trailerTagOk = tTag === regionTag || (regionTag === REGION_TAG.SIGNATURES && tTag === REGION_TAG.IMAGE);
  if (!trailerTagOk || tType !== RPM_TYPE.BIN || tCount !== TRAILER_SIZE || tOffset !== -ENTRY_SIZE * il) {
    throw new RpmError('RPM_BAD_REGION', `${what}: region trailer {${tTag}, ${tType}, ${tOffset}, ${tCount}} does not close a region of all ${il} entries`);
  }

  const dataEnd = dl - TRAILER_SIZE;
  const entries: HeaderEntry[] = [];
  const seen = new Set<number>();
  let end = 0;
  for (let i = 1; i < il; i++) {
    const e = entryAt(i);
    const where = `${what}: entry ${i} (tag ${e.tag})`;
    // Threat: a second region tag or a negative tag confusing region handling (rpm hdrchkTag).
    if (e.tag < FIRST_ORDINARY_TAG) throw new RpmError('RPM_BAD_ENTRY', `${where}: tags below 100 are reserved for regions`);
    // Threat: two values for one tag, so we and rpm could read different NEVRA or digests.
    if (seen.has(e.tag)) throw new RpmError('RPM_BAD_ENTRY', `${where}: tag appears twice`);
    seen.add(e.tag);
    if (e.type <= RPM_TYPE.NULL || e.type > RPM_TYPE.I18NSTRING) {
      throw new RpmError('RPM_BAD_ENTRY', `${where}: unknown data type ${e.type}`);
    }
    if (e.count < 1 || e.count > dl) throw new RpmError('RPM_BAD_ENTRY', `${where}: count ${e.count} out of range`);
    if (e.type !== RPM_TYPE.BIN && e.count > MAX_ARRAY_COUNT) {
      throw new RpmError('RPM_BAD_ENTRY', `${where}: ${e.count} array elements exceed rpm's cap`);
    }
    if (e.type === RPM_TYPE.STRING && e.count !== 1) throw new RpmError('RPM_BAD_ENTRY', `${where}: STRING with count ${e.count}`);
    if (e.offset < 0 || e.offset > dataEnd) {
      throw new RpmError('RPM_INDEX_OUT_OF_BOUNDS', `${where}: data offset ${e.offset} outside the ${dataEnd}-byte data area`);
    }
    if (e.offset % (TYPE_ALIGN[e.type] ?? 1) !== 0) {
      throw new RpmError('RPM_BAD_ENTRY', `${where}: data offset ${e.offset} misaligned for type ${e.type}`);
    }
    // Threat: overlapping or reordered data, one byte range read as two values (rpm rejects it too).
    if (e.offset < end) throw new RpmError('RPM_BAD_ENTRY', `${where}: data at ${e.offset} overlaps the previous entry ending at ${end}`);
    const len = dataLength(store, e.type, e.offset, e.count, dataEnd);
    if (len < 0) throw new RpmError('RPM_BAD_ENTRY', `${where}: string data not NUL-terminated inside the data area`);
    if (e.offset + len > dataEnd) {
      throw new RpmError('RPM_INDEX_OUT_OF_BOUNDS', `${where}: ${len} data bytes at ${e.offset} run past the data area (${dataEnd})`);
    }
    end = e.offset + len;
    entries.push({ tag: e.tag, type: e.type, count: e.count, offset: e.offset, data: store.subarray(e.offset, end) });
  }
  return { regionTag, il, dl, bytes, entries };
}
