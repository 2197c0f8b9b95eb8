import { describe, expect, it } from 'vitest';
import { parseV4Signature, readPacketHeader, readSubpackets, MAX_SIGNATURE_PACKET_BYTES } from '@signet/rpm';
import { codeOf } from '../../helpers/error-code.ts';

/** The shared OpenPGP signature-packet parser: every length form, every bound. */


/** One subpacket with the given length encoding (1, 2 or 5 length bytes). */
function sub(type: number, body: Buffer, form: 1 | 2 | 5 = 1): Buffer {
  const len = body.length + 1;
  let prefix: Buffer;
  if (form === 1) prefix = Buffer.from([len]);
  else if (form === 2) prefix = Buffer.from([((len - 192) >> 8) + 192, (len - 192) & 0xff]);
  else {
    prefix = Buffer.alloc(5);
    prefix[0] = 255;
    prefix.writeUInt32BE(len, 1);
  }
  return Buffer.concat([prefix, Buffer.from([type]), body]);
}

function area(...subs: Buffer[]): Buffer {
  const a = Buffer.concat(subs);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(a.length);
  return Buffer.concat([len, a]);
}

/** A new-format signature packet around `body`. */
function packet(body: Buffer): Buffer {
  if (body.length < 192) return Buffer.concat([Buffer.from([0xc2, body.length]), body]);
  const n = body.length - 192;
  return Buffer.concat([Buffer.from([0xc2, (n >> 8) + 192, n & 0xff]), body]);
}

const issuer = Buffer.from('0123456789abcdef', 'hex');
const created = Buffer.from([0x65, 0, 0, 0]);
const tail = Buffer.from([0xab, 0xcd, 0x00, 0x08, 0xff]);

function v4(hashed: Buffer, unhashed: Buffer, rest = tail): Buffer {
  return packet(Buffer.concat([Buffer.from([4, 0x00, 1, 10]), hashed, unhashed, rest]));
}

describe('parseV4Signature', () => {
  it('reads the fields, both areas with their critical bits, the hashed part and the tail', () => {
    const hashed = area(sub(0x80 | 2, created), sub(20, Buffer.alloc(200, 7), 2));
    const unhashed = area(sub(16, issuer, 5));
    const p = v4(hashed, unhashed);
    const s = parseV4Signature(p);
    expect([s.version, s.signatureType, s.pubkeyAlgorithm, s.hashAlgorithm]).toEqual([4, 0, 1, 10]);
    expect(s.hashed.map((x) => [x.type, x.critical, x.body.length])).toEqual([
      [2, true, 4],
      [20, false, 200],
    ]);
    expect(s.unhashed.map((x) => [x.type, x.critical, x.body.toString('hex')])).toEqual([[16, false, '0123456789abcdef']]);
    expect(s.hashedPart.equals(Buffer.concat([Buffer.from([4, 0, 1, 10]), hashed]))).toBe(true);
    expect(s.signatureTail.equals(tail)).toBe(true);
  });

  it('accepts the old packet format with 1, 2 and 4 length bytes', () => {
    const body = Buffer.concat([Buffer.from([4, 0, 22, 8]), area(), area(), tail]);
    for (const [first, len] of [
      [0x88, Buffer.from([body.length])],
      [0x89, Buffer.from([0, body.length])],
      [0x8a, Buffer.from([0, 0, 0, body.length])],
    ] as const) {
      expect(parseV4Signature(Buffer.concat([Buffer.from([first]), len, body])).pubkeyAlgorithm).toBe(22);
    }
  });

  it('refuses every malformed or out-of-bounds packet with RPM_BAD_SIGNATURE_PACKET', () => {
    const good = v4(area(sub(2, created)), area(sub(16, issuer)));
    const cases: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['not a packet', Buffer.from([0x02, 0x00])],
      ['another tag', Buffer.concat([Buffer.from([0xc6]), good.subarray(1)])],
      ['trailing byte', Buffer.concat([good, Buffer.from([0])])],
      ['truncated', good.subarray(0, good.length - 1)],
      ['partial length', Buffer.from([0xc2, 0xe1, 0, 0])],
      ['indeterminate length', Buffer.from([0x8b, 4, 0, 1, 8])],
      ['version 3', packet(Buffer.from([3, 0, 1, 8, 0, 0, 0, 0, 0, 0]))],
      ['hashed area past the end', packet(Buffer.from([4, 0, 1, 8, 0xff, 0xff, 0, 0]))],
      ['no hash prefix', packet(Buffer.concat([Buffer.from([4, 0, 1, 8]), area(), area()]))],
      ['subpacket past its area', v4(Buffer.from([0, 2, 5, 2]), area())],
      ['zero-length subpacket', v4(Buffer.from([0, 1, 0]), area())],
      ['over 64 KiB', Buffer.alloc(MAX_SIGNATURE_PACKET_BYTES + 1, 0xc2)],
    ];
    for (const [label, p] of cases) expect(codeOf(() => parseV4Signature(p)), label).toBe('RPM_BAD_SIGNATURE_PACKET');
  });
});

describe('readSubpackets and readPacketHeader', () => {
  it('gives each type byte offset in the area, for callers that rewrite it', () => {
    const a = Buffer.concat([sub(0x80 | 9, Buffer.alloc(4)), sub(0x80 | 29, Buffer.alloc(300), 2)]);
    const subs = readSubpackets(a);
    expect(subs.map((s) => [s.type, s.critical, a[s.typeOffset]])).toEqual([
      [9, true, 0x89],
      [29, true, 0x9d],
    ]);
  });

  it('refuses truncated length prefixes', () => {
    expect(codeOf(() => readSubpackets(Buffer.from([200])))).toBe('RPM_BAD_SIGNATURE_PACKET');
    expect(codeOf(() => readSubpackets(Buffer.from([255, 0, 0])))).toBe('RPM_BAD_SIGNATURE_PACKET');
    expect(codeOf(() => readPacketHeader(Buffer.from([0xc2])))).toBe('RPM_BAD_SIGNATURE_PACKET');
    expect(codeOf(() => readPacketHeader(Buffer.from([0xc2, 255, 0])))).toBe('RPM_BAD_SIGNATURE_PACKET');
  });
});
