import { describe, expect, it } from 'vitest';
import { SignetError } from '@signet/protocol';
import * as rpm from '@signet/rpm';

describe('@signet/rpm public surface', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(rpm).sort()).toEqual(
      [
        'DEFAULT_PACKAGE_LIMITS',
        'HEADER_MAGIC',
        'LEAD_SIZE',
        'MAX_SIGNATURE_PACKET_BYTES',
        'PGP_HASH_ALGORITHMS',
        'PUBKEY_ALGORITHM',
        'PayloadVerifier',
        'REGION_TAG',
        'RPM_ERROR_CODES',
        'RPM_TYPE',
        'RpmError',
        'SIGTAG',
        'TAG',
        'buildSignatureHeader',
        'bytesToSign',
        'checkHeaderDigests',
        'checkSignaturePacket',
        'extractSignatures',
        'findEntry',
        'getBin',
        'getInt32',
        'getInt32Array',
        'getInt64Array',
        'getString',
        'getStringArray',
        'hasTag',
        'inspectSignaturePacket',
        'parseV4Signature',
        'readPacketHeader',
        'readSubpackets',
        'layoutHeader',
        'loadPackage',
        'locatePackage',
        'packageInfo',
        'parseHeader',
        'parseHeaderIntro',
        'parseLead',
        'parsePackageHead',
        'readPackageHead',
        'regionlessHeaderSize',
        'requireHeaderOnlySignable',
        'resolveLimits',
        'signatureTagFor',
        'signaturePadding',
        'v4HashTrailer',
        'verifyPackageDigests',
        'writeSignedPackage',
      ].sort(),
    );
  });

  it('has unique error codes and errors that are SignetErrors', () => {
    expect(new Set(rpm.RPM_ERROR_CODES).size).toBe(rpm.RPM_ERROR_CODES.length);
    const err = new rpm.RpmError('RPM_NOT_RPM', 'x');
    expect(err).toBeInstanceOf(SignetError);
    expect(err.code).toBe('RPM_NOT_RPM');
    expect(err.name).toBe('RpmError');
  });
});
