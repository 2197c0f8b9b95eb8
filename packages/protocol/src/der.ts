/**
 * A bounded DER (X.690) TLV reader: the one every party and signet-pki use to look inside
 * certificates and CRLs. Pure: Buffers in, offsets out; it never copies or allocates per byte.
 *
 * It reads one level at a time (an element, or the elements directly inside one), so its
 * callers walk nesting explicitly and no input can drive recursion. Malformed input gives
 * `undefined`, never an exception: each caller maps that to its own error code and message.
 *
 * Not a validating DER parser: non-minimal length encodings are accepted, as the readers
 * this replaced did; the structures read here were already accepted by OpenSSL or
 * node:crypto, or are matched field by field by their callers.
 */

/** Longest long-form length field read: 4 octets, lengths below 4 GiB. */
export const DER_MAX_LENGTH_OCTETS = 4;

/** One TLV element: its identifier octet, and where its header and content sit in the buffer. */
export interface DerElement {
  /** The identifier octet (class, constructed bit and a tag number below 31), e.g. 0x30 SEQUENCE. */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly offset: number;
  /** Offset of the first content octet. */
  readonly start: number;
  /** Offset just past the content. */
  readonly end: number;
}

/**
 * The element at `offset`, which must end by `limit` (its parent's end; default the end of
 * `buf`). Undefined when it is truncated, overruns `limit`, has a multi-byte tag, an
 * indefinite length or a length field over DER_MAX_LENGTH_OCTETS.
 */
export function readDer(buf: Buffer, offset = 0, limit = buf.length): DerElement | undefined {
  const bound = Math.min(limit, buf.length);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(bound) || offset < 0 || offset + 2 > bound) return undefined;
  const tag = buf[offset] as number;
  // Threat: tag numbers of 31 and more take further octets; no structure read here uses them,
  // and skipping them wrongly would shift every later field.
  if ((tag & 0x1f) === 0x1f) return undefined;
  const first = buf[offset + 1] as number;
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    // Threat: an indefinite length (0x80) has no end to check; a long length field an
    // arithmetic overflow. Both are refused.
    if (count === 0 || count > DER_MAX_LENGTH_OCTETS || start + count > bound) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[start + i] as number);
    start += count;
  }
  const end = start + length;
  // Threat: a length that reaches past its parent (or the buffer), making a reader take
  // bytes of the next field, or of nothing, as this one's content.
  return end > bound ? undefined : { tag, offset, start, end };
}

/** The elements directly inside `parent`, in order; undefined when any is malformed. */
export function readDerChildren(buf: Buffer, parent: DerElement): DerElement[] | undefined {
  const out: DerElement[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readDer(buf, at, parent.end);
    if (child === undefined) return undefined;
    out.push(child);
    at = child.end; // each child is at least 2 octets: the walk always advances
  }
  return out;
}

/**
 * The single element that is all of `buf`, with the tag `tag` when one is given; undefined
 * when `buf` is malformed, holds another tag, or has bytes after the element.
 */
export function readDerWhole(buf: Buffer, tag?: number): DerElement | undefined {
  const el = readDer(buf, 0, buf.length);
  // Threat: trailing bytes smuggled after a well-formed element, which another reader may see.
  if (el === undefined || el.end !== buf.length) return undefined;
  return tag === undefined || el.tag === tag ? el : undefined;
}

/** The bytes of a whole element (header and content), as a view into `buf`. */
export const derElementBytes = (buf: Buffer, el: DerElement): Buffer => buf.subarray(el.offset, el.end);

/** The content octets of an element, as a view into `buf`. */
export const derContent = (buf: Buffer, el: DerElement): Buffer => buf.subarray(el.start, el.end);
