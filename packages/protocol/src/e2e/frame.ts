import { ProtocolError } from '../protocol-error.ts';

/**
 * Framing of the end-to-end stream (inside the inner TLS session).
 *
 *   u32 BE jsonLength | u32 BE binLength | json (UTF-8) | bin
 *
 * The JSON part carries the message; the binary part carries bulk bytes (an RPM main
 * header, data to sign, a signature packet) without base64 inflation. Both lengths are
 * checked against limits *before* any byte of the body is buffered, so a peer cannot make
 * us allocate more than the limit.
 */
export const FRAME_PREFIX = 8;

export interface FrameLimits {
  /** Largest JSON part accepted, bytes. */
  maxJson: number;
  /** Largest binary part accepted, bytes. */
  maxBin: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  maxJson: 64 * 1024,
  maxBin: 32 * 1024 * 1024,
};

export interface Frame {
  json: unknown;
  bin: Buffer;
  /**
   * Set when the attachment exceeded the per-message limit (`binLimit`): its bytes were
   * skipped as they arrived, never buffered, and `bin` is empty. Value: its declared size.
   */
  oversized?: number;
}

export interface DecoderOptions {
  /**
   * The attachment limit for one message, decided from its JSON part before any byte of
   * the attachment is buffered (e.g. headers and data have different limits). Cannot
   * exceed FrameLimits.maxBin, which is checked from the prefix alone.
   */
  binLimit?: (json: unknown) => number;
}

export function encodeFrame(message: unknown, bin: Buffer = Buffer.alloc(0)): Buffer[] {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const prefix = Buffer.allocUnsafe(FRAME_PREFIX);
  prefix.writeUInt32BE(json.length, 0);
  prefix.writeUInt32BE(bin.length, 4);
  return bin.length > 0 ? [prefix, json, bin] : [prefix, json];
}

/**
 * Incremental decoder: push chunks as they arrive, take whole frames out.
 * Pure: no stream, no socket; the caller owns the I/O.
 */
export class FrameDecoder {
  readonly #limits: FrameLimits;
  readonly #binLimit: ((json: unknown) => number) | undefined;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of an oversized attachment still to be discarded as they arrive. */
  #skipping = 0;
  /**
   * The current frame's message, once its attachment passed `binLimit` (checked once per
   * frame; kept so the message is not parsed twice). `JSON.parse` never yields undefined.
   */
  #admitted: unknown = undefined;

  constructor(limits: FrameLimits = DEFAULT_FRAME_LIMITS, options: DecoderOptions = {}) {
    this.#limits = limits;
    this.#binLimit = options.binLimit;
  }

  /** Adds bytes and returns every frame now complete. Throws ProtocolError on bad input. */
  push(chunk: Buffer): Frame[] {
    if (this.#skipping > 0) {
      const skip = Math.min(this.#skipping, chunk.length);
      this.#skipping -= skip;
      chunk = chunk.subarray(skip);
      if (chunk.length === 0) return [];
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.#next();
      if (frame === undefined) return frames;
      frames.push(frame);
      if (frame.oversized !== undefined && this.#skipping > 0) return frames;
    }
  }

  #next(): Frame | undefined {
    if (this.#buffered < FRAME_PREFIX) return undefined;
    const head = this.#peek(FRAME_PREFIX);
    const jsonLength = head.readUInt32BE(0);
    const binLength = head.readUInt32BE(4);
    // Oversized frames are refused from their prefix: never buffer what we will not accept.
    if (jsonLength > this.#limits.maxJson) {
      throw new ProtocolError('FRAME_TOO_LARGE', `message of ${jsonLength} bytes exceeds the limit of ${this.#limits.maxJson}`);
    }
    if (binLength > this.#limits.maxBin) {
      throw new ProtocolError('FRAME_TOO_LARGE', `attachment of ${binLength} bytes exceeds the limit of ${this.#limits.maxBin}`);
    }
    if (this.#binLimit && this.#admitted === undefined && binLength > 0 && this.#buffered >= FRAME_PREFIX + jsonLength) {
      const json = parseJson(this.#peek(FRAME_PREFIX + jsonLength).subarray(FRAME_PREFIX));
      if (binLength > this.#binLimit(json)) {
        // Refused from the message itself: the attachment is discarded as it streams in.
        this.#take(FRAME_PREFIX + jsonLength);
        const present = Math.min(this.#buffered, binLength);
        this.#take(present);
        this.#skipping = binLength - present;
        return { json, bin: Buffer.alloc(0), oversized: binLength };
      }
      this.#admitted = json;
    }
    const total = FRAME_PREFIX + jsonLength + binLength;
    if (this.#buffered < total) return undefined;
    const parsed = this.#admitted;
    this.#admitted = undefined;
    const all = this.#take(total);
    const json = parsed !== undefined ? parsed : parseJson(all.subarray(FRAME_PREFIX, FRAME_PREFIX + jsonLength));
    return { json, bin: all.subarray(FRAME_PREFIX + jsonLength) };
  }

  #peek(n: number): Buffer {
    if (this.#chunks.length === 0) return Buffer.alloc(0);
    const first = this.#chunks[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.#chunks).subarray(0, n);
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return all.subarray(0, n);
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new ProtocolError('FRAME_MALFORMED', 'message is not valid JSON', { cause });
  }
}
