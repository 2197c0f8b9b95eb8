import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildSignaturePacket, encodeMpi, hashedPart, modInverse, packetHeader, type RawSignRequest } from '../../../packages/server/src/signing/index.ts';
import { parseSignaturePacket } from './helpers.ts';

const spec = {
  pubkeyAlgorithm: 22,
  hash: 'sha256' as const,
  issuerKeyId: Buffer.from('B0645AEC757BF69E', 'hex'),
  issuerFingerprint: Buffer.from('152BB32FD9CA982797E835CFB0645AEC757BF69E', 'hex'),
  created: new Date(1_700_000_000_000),
};

describe('signature packet (pure)', () => {
  it('hashes data ‖ hashed part ‖ 04 FF ‖ u32 length and writes the injected MPIs', async () => {
    let seen: RawSignRequest | undefined;
    const packet = await buildSignaturePacket(Buffer.from('abc'), spec, async (req) => {
      seen = req;
      return [Buffer.from([0, 0, 1, 2]), Buffer.from([0x80])];
    });
    const hashed = hashedPart(spec);
    expect(hashed.subarray(0, 6)).toEqual(Buffer.from([4, 0, 22, 8, 0, 6 + 23 + 10]));
    const expectedInput = Buffer.concat([Buffer.from('abc'), hashed, Buffer.from([4, 0xff, 0, 0, 0, hashed.length])]);
    expect(seen?.hashInput).toEqual(expectedInput);
    expect(seen?.digest).toEqual(createHash('sha256').update(expectedInput).digest());
    const parsed = parseSignaturePacket(packet);
    expect(parsed.mpis).toEqual([Buffer.from([1, 2]), Buffer.from([0x80])]);
    expect(packet.subarray(-7)).toEqual(Buffer.from([0x00, 0x09, 1, 2, 0x00, 0x08, 0x80]));
    expect(parsed.hashed[0]!.body.readUInt32BE(0)).toBe(1_700_000_000);
  });

  it('encodes MPIs without leading zeros and with exact bit counts', () => {
    expect(encodeMpi(Buffer.from([0, 0, 1]))).toEqual(Buffer.from([0, 1, 1]));
    expect(encodeMpi(Buffer.from([0xff, 0]))).toEqual(Buffer.from([0, 16, 0xff, 0]));
    expect(encodeMpi(Buffer.from([0, 0]))).toEqual(Buffer.from([0, 0]));
  });

  it('writes new-format lengths at the one/two/five-octet boundaries', () => {
    expect(packetHeader(2, 191)).toEqual(Buffer.from([0xc2, 191]));
    expect(packetHeader(2, 192)).toEqual(Buffer.from([0xc2, 192, 0]));
    expect(packetHeader(2, 8383)).toEqual(Buffer.from([0xc2, 223, 255]));
    expect(packetHeader(2, 8384)).toEqual(Buffer.from([0xc2, 255, 0, 0, 0x20, 0xc0]));
  });

  it('refuses bad issuer sizes, algorithms and times', () => {
    expect(() => hashedPart({ ...spec, issuerKeyId: Buffer.alloc(7) })).toThrow(RangeError);
    expect(() => hashedPart({ ...spec, issuerFingerprint: Buffer.alloc(32) })).toThrow(RangeError);
    expect(() => hashedPart({ ...spec, pubkeyAlgorithm: 27 })).toThrow(RangeError);
    expect(() => hashedPart({ ...spec, created: new Date(-1000) })).toThrow(RangeError);
    expect(() => hashedPart({ ...spec, created: new Date(NaN) })).toThrow(RangeError);
  });

  it('computes modular inverses (JWK qi from OpenPGP p, q)', () => {
    expect(modInverse(3n, 11n)).toBe(4n);
    expect((modInverse(65537n, 1000000007n) * 65537n) % 1000000007n).toBe(1n);
    expect(() => modInverse(6n, 9n)).toThrow();
  });
});
