import { RpmError } from '../errors.ts';
import { FIRST_ORDINARY_TAG, RPM_TYPE, TYPE_SIZES } from '../tags.ts';
import { HEADER_INTRO_SIZE, HEADER_MAGIC } from './parse.ts';
import type { EntrySpec } from './types.ts';

/**
 * Lays out a header the way rpm 4.18 writes one after `headerCopy` + `headerReload`
 * (checked byte for byte against rpmsign): index sorted by tag behind the region entry,
 * data in the same order, INT16/32/64 data aligned to 2/4/8 from the start of the store
 * with zero gaps, and the 16-byte region trailer right after the last entry's data.
 */

const ENTRY_SIZE = 16;
const TRAILER_SIZE = 16;

/** Zero bytes needed before data of `type` at store offset `at` (rpm `alignDiff`). */
function alignGap(type: number, at: number): number {
  const size = TYPE_SIZES[type] ?? 1;
  if (size <= 1) return 0;
  const rem = at % size;
  return rem === 0 ? 0 : size - rem;
}

function sortedByTag(entries: readonly EntrySpec[]): EntrySpec[] {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as EntrySpec;
    if (i > 0 && (sorted[i - 1] as EntrySpec).tag === e.tag) {
      throw new RpmError('RPM_BAD_ENTRY', `tag ${e.tag} appears twice in a header to write`);
    }
    if (e.tag < FIRST_ORDINARY_TAG || e.type <= RPM_TYPE.NULL || e.type > RPM_TYPE.I18NSTRING || e.count < 1) {
      throw new RpmError('RPM_BAD_ENTRY', `refusing to write entry tag ${e.tag} type ${e.type} count ${e.count}`);
    }
  }
  return sorted;
}

/** Store offsets of each entry (sorted by tag) and the end of the data. */
function placeData(sorted: readonly EntrySpec[]): { offsets: number[]; end: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const e of sorted) {
    at += alignGap(e.type, at);
    offsets.push(at);
    at += e.data.length;
  }
  return { offsets, end: at };
}

/**
 * rpm's `headerSizeof(h, HEADER_MAGIC_YES)` of a header holding `entries` and no region:
 * `16 + 16*n + aligned data`. rpmsign compares two such sizes to decide the reserve.
 */
export function regionlessHeaderSize(entries: readonly EntrySpec[]): number {
  const sorted = sortedByTag(entries);
  return HEADER_INTRO_SIZE + ENTRY_SIZE * sorted.length + placeData(sorted).end;
}

/** Serializes `entries` (region entry excluded) as one header blob with region `regionTag`. */
export function layoutHeader(regionTag: number, entries: readonly EntrySpec[]): Buffer {
  const sorted = sortedByTag(entries);
  const { offsets, end } = placeData(sorted);
  const il = sorted.length + 1;
  const dl = end + TRAILER_SIZE;
  const out = Buffer.alloc(HEADER_INTRO_SIZE + ENTRY_SIZE * il + dl);
  HEADER_MAGIC.copy(out, 0);
  out.writeUInt32BE(il, 8);
  out.writeUInt32BE(dl, 12);
  const writeEntry = (i: number, tag: number, type: number, offset: number, count: number) => {
    const p = HEADER_INTRO_SIZE + ENTRY_SIZE * i;
    out.writeUInt32BE(tag, p);
    out.writeUInt32BE(type, p + 4);
    out.writeInt32BE(offset, p + 8);
    out.writeUInt32BE(count, p + 12);
  };
  const storeStart = HEADER_INTRO_SIZE + ENTRY_SIZE * il;
  writeEntry(0, regionTag, RPM_TYPE.BIN, end, TRAILER_SIZE);
  sorted.forEach((e, i) => {
    const offset = offsets[i] as number;
    writeEntry(i + 1, e.tag, e.type, offset, e.count);
    e.data.copy(out, storeStart + offset);
  });
  const trailer = storeStart + end;
  out.writeUInt32BE(regionTag, trailer);
  out.writeUInt32BE(RPM_TYPE.BIN, trailer + 4);
  out.writeInt32BE(-ENTRY_SIZE * il, trailer + 8);
  out.writeUInt32BE(TRAILER_SIZE, trailer + 12);
  return out;
}

/** Zero padding that follows a signature header of `size` bytes (to a multiple of 8). */
export function signaturePadding(size: number): number {
  return (8 - (size % 8)) % 8;
}
