import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { oidToDerBytes, parseDnsName, parseIpAddress, parseUserName, USER_NAME_PATTERN } from '@signet/pki';

describe('user names', () => {
  it('accepts the documented pattern only', () => {
    expect(USER_NAME_PATTERN.source).toBe('^[a-z_][a-z0-9_.-]{0,63}$');
    for (const ok of ['alice', '_svc', 'a', 'build-bot.2', `a${'b'.repeat(63)}`]) expect(parseUserName(ok)).toBe(ok);
    for (const bad of ['', 'Alice', '9lives', '-x', '.x', 'a/b', 'a b', `a${'b'.repeat(64)}`, 'alice\u0000', 'аlice']) {
      expect(() => parseUserName(bad)).toThrow(expect.objectContaining({ code: 'PKI_BAD_NAME' }));
    }
  });
});

describe('DNS names', () => {
  it('lowercases LDH names and refuses the rest', () => {
    expect(parseDnsName('Signet-Server.Test')).toBe('signet-server.test');
    expect(parseDnsName('localhost')).toBe('localhost');
    for (const bad of ['', '.', 'a.', '.a', 'a..b', '-a.test', 'a-.test', 'a_b.test', '10.0.0.1', 'x.123', `${'a'.repeat(64)}.test`, 'ä.test']) {
      expect(() => parseDnsName(bad)).toThrow(expect.objectContaining({ code: 'PKI_BAD_NAME' }));
    }
  });
});

describe('IP addresses', () => {
  it('encodes IPv4 and IPv6 in network order', () => {
    expect(parseIpAddress('127.0.0.1').bytes.toString('hex')).toBe('7f000001');
    expect(parseIpAddress('::1').bytes.toString('hex')).toBe('00000000000000000000000000000001');
    expect(parseIpAddress('2001:DB8::8:800:200C:417A').bytes.toString('hex')).toBe('20010db80000000000080800200c417a');
    expect(parseIpAddress('::ffff:192.0.2.1').bytes.toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(parseIpAddress('fe80::').bytes.toString('hex')).toBe('fe800000000000000000000000000000');
  });

  it('refuses anything else', () => {
    for (const bad of ['localhost', '256.1.1.1', '1.2.3', '::g', 'fe80::1%eth0', '']) {
      expect(() => parseIpAddress(bad)).toThrow(expect.objectContaining({ code: 'PKI_BAD_NAME' }));
    }
  });
});

describe('oidToDerBytes', () => {
  it('agrees with forge on ordinary OIDs', () => {
    for (const oid of ['1.3.6.1.5.5.7.3.1', '2.5.29.37', '1.2.840.113549.1.1.11', '2.999.3', '0.39']) {
      expect(oidToDerBytes(oid).toString('binary')).toBe(forge.asn1.oidToDer(oid).getBytes());
    }
  });

  it('encodes arcs beyond 2^32 (the UUID arc of the role OIDs)', () => {
    // X.667 example UUID f81d4fae-7dec-11d0-a765-00a0c91e6bf6 as 2.25.<decimal>.
    const uuid = BigInt('0xf81d4fae7dec11d0a76500a0c91e6bf6');
    const der = oidToDerBytes(`2.25.${uuid}`);
    expect(der[0]).toBe(0x69); // 2*40 + 25
    let value = 0n;
    for (const byte of der.subarray(1)) value = (value << 7n) | BigInt(byte & 0x7f);
    expect(value).toBe(uuid);
    expect([...der.subarray(1, -1)].every((b) => (b & 0x80) !== 0)).toBe(true);
    expect((der[der.length - 1] ?? 0x80) & 0x80).toBe(0);
  });

  it('refuses malformed OIDs', () => {
    for (const bad of ['', '1', '3.1', '1.40', '1.2.', '1..2', '1.02', 'a.b']) expect(() => oidToDerBytes(bad)).toThrow(TypeError);
  });
});
