import { genericError, pythonError } from './faults.ts';

/**
 * What Koji's `RawHeader` and `get_sigpacket_key_id` do with a signature header blob —
 * deliberately as loose as Koji: magic and bounds only, no region or digest checks, so a
 * test can hand the hub what the real hub would accept.
 */

const MAGIC = Buffer.from([0x8e, 0xad, 0xe8]);
const MAX_ENTRIES = 10_000;

export interface RawHeader {
  /** Bytes of the header itself, `16 + 16*il + dl` (trailing padding not included). */
  readonly size: number;
  /** Data of tag `tag` (BIN or any type: raw bytes from its offset, `count` long for BIN). */
  get(tag: number): Buffer | undefined;
}

export function parseRawHeader(blob: Buffer): RawHeader {
  if (blob.length < 16 || !blob.subarray(0, 3).equals(MAGIC)) {
    throw genericError(`Invalid rpm header: bad magic: ${blob.subarray(0, 4).toString('hex')}`);
  }
  const il = blob.readUInt32BE(8);
  const dl = blob.readUInt32BE(12);
  if (il > MAX_ENTRIES || 16 + 16 * il + dl > blob.length) throw genericError(`Invalid rpm header: il ${il}, dl ${dl} exceed the ${blob.length} bytes given`);
  const storeAt = 16 + 16 * il;
  const entries = new Map<number, Buffer>();
  for (let i = 0; i < il; i++) {
    const at = 16 + 16 * i;
    const tag = blob.readUInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (offset < 0 || offset > dl) throw genericError(`Invalid rpm header: entry ${tag} offset ${offset} out of range`);
    // Only BIN (7) lengths matter here: 1004 and the signature tags.
    const end = type === 7 ? offset + count : offset;
    if (end > dl) throw genericError(`Invalid rpm header: entry ${tag} runs past the data store`);
    if (!entries.has(tag)) entries.set(tag, blob.subarray(storeAt + offset, storeAt + end));
  }
  return { size: storeAt + dl, get: (tag) => entries.get(tag) };
}

/** Signature header tags Koji looks at, in its order: SIGGPG, SIGPGP, DSAHEADER, RSAHEADER. */
export const SIGNATURE_TAGS = [1005, 1002, 267, 268] as const;
export const SIGTAG_MD5 = 1004;

function packet(data: Buffer): { tag: number; body: Buffer } {
  const b0 = data[0] ?? 0;
  if ((b0 & 0x80) === 0) throw pythonError('ValueError', 'Invalid packet header');
  let tag: number;
  let headerLength: number;
  let bodyLength: number;
  if (b0 & 0x40) {
    tag = b0 & 0x3f;
    const l0 = data[1] ?? 0;
    if (l0 < 192) [headerLength, bodyLength] = [2, l0];
    else if (l0 < 224) [headerLength, bodyLength] = [3, ((l0 - 192) << 8) + (data[2] ?? 0) + 192];
    else if (l0 === 255 && data.length >= 6) [headerLength, bodyLength] = [6, data.readUInt32BE(2)];
    else throw pythonError('ValueError', 'Unsupported packet length');
  } else {
    tag = (b0 >> 2) & 0x0f;
    const lt = b0 & 3;
    if (lt === 3) throw pythonError('ValueError', 'Indeterminate length packets not supported');
    headerLength = 1 + (1 << lt);
    if (data.length < headerLength) throw pythonError('ValueError', 'Invalid packet header');
    bodyLength = data.readUIntBE(1, 1 << lt);
  }
  if (headerLength + bodyLength !== data.length) throw pythonError('ValueError', `Invalid packet length: ${headerLength + bodyLength} != ${data.length}`);
  return { tag, body: data.subarray(headerLength) };
}

function issuerIds(area: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < area.length) {
    const l0 = area[at] as number;
    let length: number;
    let off: number;
    if (l0 < 192) [length, off] = [l0, 1];
    else if (l0 < 255) [length, off] = [((l0 - 192) << 8) + (area[at + 1] ?? 0) + 192, 2];
    else [length, off] = [area.length >= at + 5 ? area.readUInt32BE(at + 1) : 0, 5];
    if (length < 1 || at + off + length > area.length) throw pythonError('ValueError', 'Invalid subpacket');
    // Exactly type byte 16: a critical Issuer (0x90) is not counted, as in Koji.
    if (area[at + off] === 16) out.push(area.subarray(at + off + 1, at + off + length));
    at += off + length;
  }
  return out;
}

/** `koji.get_sigpacket_key_id`: the last 4 bytes of the issuer key ID, 8 lowercase hex digits. */
export function sigpacketKeyId(data: Buffer): string {
  const { tag, body } = packet(data);
  if (tag !== 2) throw pythonError('ValueError', 'Not a signature packet');
  const version = body[0];
  if (version === 3) {
    if (body.length < 15) throw pythonError('ValueError', 'Truncated signature packet');
    return body.subarray(11, 15).toString('hex');
  }
  if (version !== 4) throw pythonError('NotImplementedError', `Unknown PGP signature packet version ${version}`);
  if (body.length < 6) throw pythonError('ValueError', 'Truncated signature packet');
  const hashedEnd = 6 + body.readUInt16BE(4);
  if (hashedEnd + 2 > body.length) throw pythonError('ValueError', 'Truncated signature packet');
  const unhashedEnd = hashedEnd + 2 + body.readUInt16BE(hashedEnd);
  if (unhashedEnd > body.length) throw pythonError('ValueError', 'Truncated signature packet');
  const ids = [...issuerIds(body.subarray(6, hashedEnd)), ...issuerIds(body.subarray(hashedEnd + 2, unhashedEnd))];
  if (ids.length !== 1) throw pythonError('NotImplementedError', `Unexpected number of key IDs: ${ids.length}`);
  return (ids[0] as Buffer).subarray(-4).toString('hex');
}

/** The sigkey of a signature header: '' when it carries no signature (Koji's "unsigned"). */
export function sigkeyOfHeader(h: RawHeader): string {
  for (const tag of SIGNATURE_TAGS) {
    const data = h.get(tag);
    if (data !== undefined && data.length > 0) return sigpacketKeyId(data);
  }
  return '';
}

/** `koji.find_rpm_sighdr`: start (96) and padded size of the signature header in an rpm file. */
export function findRpmSighdr(file: Buffer): { start: number; size: number } {
  const start = 96;
  if (file.length < start + 16 || !file.subarray(start, start + 3).equals(MAGIC)) throw genericError('Invalid rpm: no signature header');
  const il = file.readUInt32BE(start + 8);
  const dl = file.readUInt32BE(start + 12);
  let size = 16 + 16 * il + dl;
  size += (8 - (size % 8)) % 8;
  return { start, size };
}

/** `koji.splice_rpm_sighdr`: the rpm with `sighdr` in place of its signature header. */
export function spliceRpmSighdr(sighdr: Buffer, rpm: Buffer): Buffer {
  const { start, size } = findRpmSighdr(rpm);
  return Buffer.concat([rpm.subarray(0, start), sighdr, rpm.subarray(start + size)]);
}

/** `koji.rip_rpm_sighdr`: the signature header as on disk, padding included. */
export function ripRpmSighdr(rpm: Buffer): Buffer {
  const { start, size } = findRpmSighdr(rpm);
  return Buffer.from(rpm.subarray(start, start + size));
}
