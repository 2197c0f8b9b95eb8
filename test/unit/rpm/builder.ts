/**
 * A tiny, independent builder of RPM header blobs and packages for unit tests. It does
 * not use the code under test, lays entries out in the order given (so tests can make
 * unsorted or malformed headers), and exposes helpers to corrupt fields afterwards.
 */

export const T = { NULL: 0, CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 };
const SIZES = [0, 1, 1, 2, 4, 8, 1, 1, 1, 1];

export interface RawEntry {
  tag: number;
  type: number;
  count: number;
  data: Buffer;
  /** Explicit data offset; default: appended after the previous entry, aligned. */
  offset?: number;
}

export const str = (s: string): RawEntry['data'] => Buffer.from(`${s}\0`, 'utf8');
export const strs = (...s: string[]): Buffer => Buffer.from(s.map((x) => `${x}\0`).join(''), 'utf8');
export function i32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v, 4 * i));
  return b;
}
export function i16(...values: number[]): Buffer {
  const b = Buffer.alloc(2 * values.length);
  values.forEach((v, i) => b.writeUInt16BE(v, 2 * i));
  return b;
}
export function i64(...values: bigint[]): Buffer {
  const b = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => b.writeBigUInt64BE(v, 8 * i));
  return b;
}

export const e = {
  string: (tag: number, s: string): RawEntry => ({ tag, type: T.STRING, count: 1, data: str(s) }),
  strings: (tag: number, ...s: string[]): RawEntry => ({ tag, type: T.STRING_ARRAY, count: s.length, data: strs(...s) }),
  int32: (tag: number, ...v: number[]): RawEntry => ({ tag, type: T.INT32, count: v.length, data: i32(...v) }),
  int16: (tag: number, ...v: number[]): RawEntry => ({ tag, type: T.INT16, count: v.length, data: i16(...v) }),
  int64: (tag: number, ...v: bigint[]): RawEntry => ({ tag, type: T.INT64, count: v.length, data: i64(...v) }),
  bin: (tag: number, data: Buffer): RawEntry => ({ tag, type: T.BIN, count: data.length, data }),
};

/** A header blob: region entry first, entries in the given order, trailer last. */
export function buildHeader(regionTag: number, entries: RawEntry[]): Buffer {
  const il = entries.length + 1;
  const offsets: number[] = [];
  let at = 0;
  for (const entry of entries) {
    const size = SIZES[entry.type] ?? 1;
    if (entry.offset !== undefined) {
      at = entry.offset;
    } else if (size > 1 && at % size !== 0) {
      at += size - (at % size);
    }
    offsets.push(at);
    at = Math.max(at + entry.data.length, at);
  }
  const dataEnd = Math.max(at, ...offsets.map((o, i) => o + (entries[i] as RawEntry).data.length), 0);
  const dl = dataEnd + 16;
  const out = Buffer.alloc(16 + 16 * il + dl);
  Buffer.from('8eade80100000000', 'hex').copy(out, 0);
  out.writeUInt32BE(il, 8);
  out.writeUInt32BE(dl, 12);
  const store = 16 + 16 * il;
  const put = (i: number, tag: number, type: number, offset: number, count: number) => {
    out.writeUInt32BE(tag, 16 + 16 * i);
    out.writeUInt32BE(type, 20 + 16 * i);
    out.writeInt32BE(offset, 24 + 16 * i);
    out.writeUInt32BE(count, 28 + 16 * i);
  };
  put(0, regionTag, T.BIN, dataEnd, 16);
  entries.forEach((entry, i) => {
    put(i + 1, entry.tag, entry.type, offsets[i] as number, entry.count);
    entry.data.copy(out, store + (offsets[i] as number));
  });
  out.writeUInt32BE(regionTag, store + dataEnd);
  out.writeUInt32BE(T.BIN, store + dataEnd + 4);
  out.writeInt32BE(-16 * il, store + dataEnd + 8);
  out.writeUInt32BE(16, store + dataEnd + 12);
  return out;
}

/** Sets a field of index entry `i` (0 = region entry) in place. */
export function setEntry(blob: Buffer, i: number, field: 'tag' | 'type' | 'offset' | 'count', value: number): Buffer {
  const at = 16 + 16 * i + { tag: 0, type: 4, offset: 8, count: 12 }[field];
  if (field === 'offset') blob.writeInt32BE(value, at);
  else blob.writeUInt32BE(value, at);
  return blob;
}

/** Byte offset of the data store in a blob. */
export const storeStart = (blob: Buffer): number => 16 + 16 * blob.readUInt32BE(8);

export interface LeadOptions {
  major?: number;
  type?: number;
  signatureType?: number;
  name?: string;
}

export function buildLead(o: LeadOptions = {}): Buffer {
  const lead = Buffer.alloc(96);
  Buffer.from('edabeedb', 'hex').copy(lead, 0);
  lead[4] = o.major ?? 3;
  lead.writeUInt16BE(o.type ?? 0, 6);
  lead.writeUInt16BE(1, 8);
  lead.write(o.name ?? 'test-1.0-1', 10, 'latin1');
  lead.writeUInt16BE(1, 76);
  lead.writeUInt16BE(o.signatureType ?? 5, 78);
  return lead;
}

/** lead + signature header + zero padding + main header + payload. */
export function buildPackage(parts: { lead?: Buffer; sig: Buffer; main: Buffer; payload?: Buffer }): Buffer {
  const pad = (8 - (parts.sig.length % 8)) % 8;
  return Buffer.concat([parts.lead ?? buildLead(), parts.sig, Buffer.alloc(pad), parts.main, parts.payload ?? Buffer.alloc(0)]);
}

/**
 * A synthetic v4 OpenPGP signature packet (not cryptographically valid): creation time
 * hashed, issuer key ID unhashed, then `filler` bytes standing in for hash bits and MPIs.
 */
export function fakeSignaturePacket(o: {
  pubkeyAlgorithm?: number;
  hashAlgorithm?: number;
  signatureType?: number;
  version?: number;
  keyId?: string;
  issuer?: boolean;
  filler?: number;
} = {}): Buffer {
  const hashed = Buffer.concat([Buffer.from([5, 2]), i32(1_700_000_000)]);
  const unhashed = o.issuer === false ? Buffer.alloc(0) : Buffer.concat([Buffer.from([9, 16]), Buffer.from(o.keyId ?? '0123456789abcdef', 'hex')]);
  const body = Buffer.concat([
    Buffer.from([o.version ?? 4, o.signatureType ?? 0, o.pubkeyAlgorithm ?? 1, o.hashAlgorithm ?? 10]),
    i16(hashed.length),
    hashed,
    i16(unhashed.length),
    unhashed,
    Buffer.alloc(o.filler ?? 100, 0xaa),
  ]);
  if (body.length < 192) return Buffer.concat([Buffer.from([0xc2, body.length]), body]);
  const l = body.length - 192;
  return Buffer.concat([Buffer.from([0xc2, (l >> 8) + 192, l & 0xff]), body]);
}
