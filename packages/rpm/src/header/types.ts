/** One index entry of a header blob, with its data located and bounded. */
export interface HeaderEntry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  /** Offset of the data in the data store. */
  readonly offset: number;
  /** Exactly the entry's data bytes (length derived from type and count, as rpm does). */
  readonly data: Buffer;
}

/** A header blob that passed every structural check of `parseHeader`. */
export interface ParsedHeader {
  /** 62 (signature header) or 63 (main header). */
  readonly regionTag: number;
  /** Index entries, region entry included. */
  readonly il: number;
  /** Data store length, trailer included. */
  readonly dl: number;
  /** The blob exactly as on disk: magic, il, dl, index, store (`16 + 16*il + dl` bytes). */
  readonly bytes: Buffer;
  /** Entries in index (and data) order, region entry 0 excluded. */
  readonly entries: readonly HeaderEntry[];
}

/** An entry to lay out: tag, type, count and the raw on-disk data bytes. */
export interface EntrySpec {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  readonly data: Buffer;
}
