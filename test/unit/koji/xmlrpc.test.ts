import { describe, expect, it } from 'vitest';
import {
  decodeCall,
  decodeMultiCallResult,
  decodeResponse,
  encodeCall,
  encodeFault,
  encodeMultiCallArgs,
  encodeResponse,
  KojiFault,
  kojiFaultErrorCode,
} from '../../../packages/client/src/koji/index.ts';
import type { KojiValue } from '../../../packages/client/src/koji/index.ts';
import { codeOf } from '../../helpers/error-code.ts';

function roundTrip(v: KojiValue): KojiValue {
  return decodeResponse(encodeResponse(v));
}


describe('Koji XML-RPC codec', () => {
  it('round-trips every type', () => {
    const value = {
      i: 42,
      neg: -7,
      big: 2 ** 40,
      t: true,
      f: false,
      s: 'a<b>&c\r\n"\'é',
      d: 1.5,
      nil: null,
      when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      bin: Buffer.from([0, 1, 2, 255]),
      list: [1, 'two', [null], {}],
    };
    expect(roundTrip(value)).toEqual(value);
  });

  it('writes <i8> beyond 32 bits, <nil/> for null and Python datetimes', () => {
    const xml = encodeResponse([2 ** 31, 2 ** 31 - 1, null, new Date(Date.UTC(2024, 11, 31, 23, 59, 58))]);
    expect(xml).toContain('<i8>2147483648</i8>');
    expect(xml).toContain('<int>2147483647</int>');
    expect(xml).toContain('<nil/>');
    expect(xml).toContain('<dateTime.iso8601>20241231T23:59:58</dateTime.iso8601>');
  });

  it('reads what Python sends: untyped strings, <i4>, i8, nil, dateTime with dashes', () => {
    const xml = `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><array><data>
<value>plain</value>
<value><i4>-3</i4></value>
<value><i8>9007199254740991</i8></value>
<value><nil/></value>
<value><dateTime.iso8601>2024-01-02T03:04:05</dateTime.iso8601></value>
<value><struct><member><name>__proto__</name><value><int>1</int></value></member></struct></value>
</data></array></value>
</param>
</params>
</methodResponse>`;
    const v = decodeResponse(xml) as KojiValue[];
    expect(v.slice(0, 5)).toEqual(['plain', -3, 2 ** 53 - 1, null, new Date(Date.UTC(2024, 0, 2, 3, 4, 5))]);
    const s = v[5] as Record<string, KojiValue>;
    expect(Object.keys(s)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(s)).toBeNull();
  });

  it('puts keyword arguments in a trailing __starstar struct, and the hub side splits them off', () => {
    const xml = encodeCall('listTaggedRPMS', ['f40'], { latest: true, rpmsigs: true, arch: undefined });
    expect(xml).toContain('<name>__starstar</name><value><boolean>1</boolean></value>');
    const call = decodeCall(xml);
    expect(call.method).toBe('listTaggedRPMS');
    expect(call.args).toEqual(['f40']);
    expect({ ...call.kwargs }).toEqual({ latest: true, rpmsigs: true });
    expect(encodeCall('hello')).not.toContain('__starstar');
  });

  it('maps faults to typed errors, refining GenericError texts the signer acts on', () => {
    const cases: [number, string, string][] = [
      [1000, 'Signature already exists for package foo-1.0-1.noarch, key 12c944d0', 'KOJI_SIGNATURE_EXISTS'],
      [1000, 'No cached signature for package foo-1.0-1.src, key 12c944d0', 'KOJI_NO_CACHED_SIGNATURE'],
      [1000, 'wrong md5 for foo-1.0-1.noarch: abc', 'KOJI_WRONG_MD5'],
      [1000, "No such rpm: {'id': 9}", 'KOJI_NO_SUCH_RPM'],
      [1000, 'something else', 'KOJI_GENERIC_ERROR'],
      [1002, 'invalid username or password', 'KOJI_AUTH_ERROR'],
      [1004, 'sign permission required', 'KOJI_ACTION_NOT_ALLOWED'],
      [1007, 'session "3" has expired', 'KOJI_AUTH_EXPIRED'],
      [1008, '5 > 3 (session 1)', 'KOJI_SEQUENCE_ERROR'],
      [1009, 'unable to retry call 3', 'KOJI_RETRY_ERROR'],
      [1014, 'offline', 'KOJI_SERVER_OFFLINE'],
      [1019, 'bad param', 'KOJI_PARAMETER_ERROR'],
      [1, "<class 'TypeError'>: no", 'KOJI_NON_KOJI_ERROR'],
      [4242, 'odd', 'KOJI_FAULT'],
    ];
    for (const [code, text, expected] of cases) {
      let caught: unknown;
      try {
        decodeResponse(encodeFault(code, text));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(KojiFault);
      const f = caught as KojiFault;
      expect([f.code, f.faultCode, f.faultString]).toEqual([expected, code, text]);
      expect(kojiFaultErrorCode(code, text)).toBe(expected);
    }
  });

  it('encodes multiCall and reads [value] / fault entries', () => {
    const [calls] = encodeMultiCallArgs([{ method: 'getRPM', args: [1] }, { method: 'writeSignedRPM', args: [2, 'abcd1234'], kwargs: { force: true } }]) as [unknown];
    expect(calls).toEqual([
      { methodName: 'getRPM', params: [1] },
      { methodName: 'writeSignedRPM', params: [2, 'abcd1234', { force: true, __starstar: true }] },
    ]);
    const results = decodeMultiCallResult([[{ id: 1 }], { faultCode: 1000, faultString: 'No cached signature for package x, key y' }], 2);
    expect(results[0]).toEqual({ ok: true, value: { id: 1 } });
    expect(results[1]?.ok).toBe(false);
    expect(results[1]?.ok === false && results[1].fault.code).toBe('KOJI_NO_CACHED_SIGNATURE');
    expect(codeOf(() => decodeMultiCallResult([[1]], 2))).toBe('KOJI_XML_MALFORMED');
  });

  it('refuses malformed documents with KOJI_XML_MALFORMED', () => {
    const bad = [
      '',
      'not xml',
      '<methodResponse><params><param><value><int>1</int></value></param></params>',
      '<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>',
      '<methodResponse><params><param><value><boolean>2</boolean></value></param></params></methodResponse>',
      '<methodResponse><params><param><value><base64>@@@@</base64></value></param></params></methodResponse>',
      '<methodResponse><params><param><value><weird/></value></param></params></methodResponse>',
      '<methodResponse><params><param><value><string>&bogus;</string></value></param></params></methodResponse>',
      '<methodResponse><params><param><value>a</value><value>b</value></param></params></methodResponse>',
      '<methodResponse><params></params></methodResponse>',
      '<methodResponse><params><param><value>x</value></param></params></methodResponse><extra/>',
      '<methodResponse><fault><value><string>no struct</string></value></fault></methodResponse>',
      '<!DOCTYPE x [<!ENTITY a "aaaa">]><methodResponse/>',
      '<methodResponse><params><param><value><![CDATA[x]]></value></param></params></methodResponse>',
      '<methodResponse><params><param><value>\u0001</value></param></params></methodResponse>',
    ];
    for (const doc of bad) expect(codeOf(() => decodeResponse(doc)), doc).toBe('KOJI_XML_MALFORMED');
    expect(codeOf(() => decodeResponse(Buffer.from([0x3c, 0xff, 0xfe])))).toBe('KOJI_XML_MALFORMED');
  });

  it('bounds size, depth and element count', () => {
    const doc = encodeResponse('x'.repeat(2000));
    expect(codeOf(() => decodeResponse(doc, { maxBytes: 1000, maxDepth: 64, maxElements: 100 }))).toBe('KOJI_XML_TOO_LARGE');
    let deep: KojiValue = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    const deepDoc = encodeResponse(deep);
    expect(codeOf(() => decodeResponse(deepDoc, { maxBytes: 1e6, maxDepth: 64, maxElements: 1e6 }))).toBe('KOJI_XML_LIMIT');
    const many = encodeResponse(Array.from({ length: 500 }, (_, i) => i));
    expect(codeOf(() => decodeResponse(many, { maxBytes: 1e6, maxDepth: 64, maxElements: 200 }))).toBe('KOJI_XML_LIMIT');
    expect(decodeResponse(many)).toHaveLength(500);
  });

  it('refuses values XML-RPC cannot carry', () => {
    expect(codeOf(() => encodeResponse(Number.NaN))).toBe('KOJI_XML_UNSUPPORTED');
    expect(codeOf(() => encodeResponse(2 ** 60))).toBe('KOJI_XML_UNSUPPORTED');
    expect(codeOf(() => encodeResponse('\u0000'))).toBe('KOJI_XML_UNSUPPORTED');
    expect(codeOf(() => encodeResponse(undefined))).toBe('KOJI_XML_UNSUPPORTED');
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(codeOf(() => encodeResponse(cyclic as KojiValue))).toBe('KOJI_XML_UNSUPPORTED');
    expect(codeOf(() => decodeResponse('<methodResponse><params><param><value><i8>99999999999999999999</i8></value></param></params></methodResponse>'))).toBe('KOJI_XML_UNSUPPORTED');
    expect(codeOf(() => encodeCall('bad name'))).toBe('KOJI_XML_UNSUPPORTED');
  });
});
