import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '@signet/protocol/e2e';
import { isSignetError } from '@signet/protocol';

const join = (parts: Buffer[]): Buffer => Buffer.concat(parts);

describe('e2e framing', () => {
  it('round-trips a message with and without an attachment, across any chunking', () => {
    const a = join(encodeFrame({ t: 'req', id: 1, op: 'ping' }));
    const bin = Buffer.from([0, 1, 2, 3, 255]);
    const b = join(encodeFrame({ t: 'req', id: 2, op: 'sign-data', key: 'k' }, bin));
    const stream = Buffer.concat([a, b]);
    for (const size of [1, 3, 7, stream.length]) {
      const d = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...d.push(stream.subarray(i, i + size)));
      expect(frames.map((f) => f.json)).toEqual([{ t: 'req', id: 1, op: 'ping' }, { t: 'req', id: 2, op: 'sign-data', key: 'k' }]);
      expect(frames[0]?.bin.length).toBe(0);
      expect(frames[1]?.bin.equals(bin)).toBe(true);
    }
  });

  it('refuses an oversized frame from its 8-byte prefix alone', () => {
    const d = new FrameDecoder({ maxJson: 1024, maxBin: 4096 });
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32BE(10, 0);
    prefix.writeUInt32BE(0xffffffff, 4);
    expect(() => d.push(prefix)).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
    const j = Buffer.alloc(8);
    j.writeUInt32BE(1025, 0);
    expect(() => new FrameDecoder({ maxJson: 1024, maxBin: 1 }).push(j)).toThrow(expect.objectContaining({ code: 'FRAME_TOO_LARGE' }));
  });

  it('refuses a message that is not JSON', () => {
    const body = Buffer.from('{not json');
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32BE(body.length, 0);
    try {
      new FrameDecoder().push(Buffer.concat([prefix, body]));
      expect.unreachable();
    } catch (err) {
      expect(isSignetError(err, 'FRAME_MALFORMED')).toBe(true);
    }
  });

  it('waits for the rest of a partial frame', () => {
    const whole = join(encodeFrame({ x: 1 }, Buffer.alloc(100, 7)));
    const d = new FrameDecoder();
    expect(d.push(whole.subarray(0, 50))).toEqual([]);
    expect(d.push(whole.subarray(50))).toHaveLength(1);
  });

  it('with a per-message attachment limit: parses each message once, admits within the limit, skips past it unbuffered', () => {
    const seen: unknown[] = [];
    const decoder = new FrameDecoder(undefined, {
      binLimit: (json) => {
        seen.push(json);
        return (json as { op: string }).op === 'small' ? 4 : 1 << 20;
      },
    });
    const ok = Buffer.concat(encodeFrame({ op: 'big', id: 1 }, Buffer.alloc(100, 7)));
    const refused = Buffer.concat(encodeFrame({ op: 'small', id: 2 }, Buffer.alloc(100, 7)));
    const after = Buffer.concat(encodeFrame({ op: 'big', id: 3 }));
    const frames = [...decoder.push(ok.subarray(0, 20)), ...decoder.push(ok.subarray(20)), ...decoder.push(Buffer.concat([refused, after]))];
    expect(frames.map((f) => [(f.json as { id: number }).id, f.bin.length, f.oversized])).toEqual([
      [1, 100, undefined],
      [2, 0, 100],
      [3, 0, undefined],
    ]);
    // The message checked against the limit is the very object returned: parsed once.
    expect(seen[0]).toBe(frames[0]?.json);
  });
});
