import { describe, expect, it } from 'vitest';
import { inspectSignaturePacket } from '@signet/client';

/** Builds a v4 signature packet body with the given subpackets (type byte, data). */
function packet(hashed: [number, Buffer][], unhashed: [number, Buffer][] = []): Buffer {
  const area = (subs: [number, Buffer][]) => {
    const parts = subs.map(([t, d]) => Buffer.concat([Buffer.from([d.length + 1, t]), d]));
    const body = Buffer.concat(parts);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(body.length);
    return Buffer.concat([len, body]);
  };
  const body = Buffer.concat([Buffer.from([4, 0x00, 1, 10]), area(hashed), area(unhashed), Buffer.from([0xab, 0xcd]), Buffer.from([0, 8, 0xff])]);
  return Buffer.concat([Buffer.from([0xc2, body.length]), body]);
}

const keyId = Buffer.from('0123456789abcdef', 'hex');
const time = Buffer.from([0x60, 0, 0, 0]);

describe('signature packet inspection (client acceptance)', () => {
  it('reads issuer key IDs from both areas and the creation time', () => {
    const facts = inspectSignaturePacket(packet([[2, time]], [[16, keyId]]));
    expect(facts.issuerKeyIds).toEqual(['0123456789ABCDEF']);
    expect(facts.created?.getTime()).toBe(0x60000000 * 1000);
  });

  it('refuses a critical issuer (Koji does not count it) and an unknown critical subpacket', () => {
    expect(() => inspectSignaturePacket(packet([[0x80 | 16, keyId]]))).toThrow(/critical issuer/);
    expect(() => inspectSignaturePacket(packet([[0x80 | 99, Buffer.alloc(2)]]))).toThrow(/critical subpacket 99/);
  });

  it('refuses trailing bytes, a wrong tag, truncation and out-of-bounds areas', () => {
    const p = packet([[16, keyId]]);
    expect(() => inspectSignaturePacket(Buffer.concat([p, Buffer.from([0])]))).toThrow(/exactly one packet/);
    expect(() => inspectSignaturePacket(Buffer.concat([Buffer.from([0xc6]), p.subarray(1)]))).toThrow(/tag 6/);
    expect(() => inspectSignaturePacket(p.subarray(0, 5))).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    const broken = Buffer.from(p);
    broken.writeUInt16BE(0xffff, 6);
    expect(() => inspectSignaturePacket(broken)).toThrow(/runs past/);
  });
});
