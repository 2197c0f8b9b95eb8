/**
 * Hand-made v4 OpenPGP signature packets (RSA, SHA-256) with chosen subpackets: the hub
 * never verifies signatures, so these exercise its sigkey rules without gpg.
 */
export function subpacket(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([body.length + 1, type]), body]);
}

export function issuer(keyId: string, critical = false): Buffer {
  return subpacket(critical ? 0x90 : 16, Buffer.from(keyId, 'hex'));
}

export function fakePacket(hashed: Buffer[], unhashed: Buffer[]): Buffer {
  const h = Buffer.concat([subpacket(2, Buffer.from([0x65, 0x00, 0x00, 0x00])), ...hashed]);
  const u = Buffer.concat(unhashed);
  const len = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const body = Buffer.concat([Buffer.from([4, 0x00, 1, 8]), len(h.length), h, len(u.length), u, Buffer.from([0xab, 0xcd]), Buffer.from([0x00, 0x08, 0x55])]);
  if (body.length >= 192) throw new Error('fake packet too long for a one-byte length');
  return Buffer.concat([Buffer.from([0xc2, body.length]), body]);
}
