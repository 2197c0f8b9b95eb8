import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROLES, SignetError } from '@signet/protocol';
import * as pki from '@signet/pki';

describe('@signet/pki public surface', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(pki).sort()).toEqual(
      [
        'CA_CERT_FILE', 'CA_KEY_FILE', 'CLOCK_SKEW_MS', 'DEFAULT_CA_DAYS', 'DEFAULT_CA_NAME', 'DEFAULT_KEY_BITS', 'DEFAULT_LEAF_DAYS',
        'EKU_CLIENT_AUTH', 'EKU_SERVER_AUTH', 'EXPIRING_SOON_DAYS', 'INDEX_FILE', 'INDEX_ROLES', 'INDEX_VERSION', 'ISSUED_DIR',
        'IndexSchema', 'KEY_BITS', 'MAX_DAYS', 'PKI_ERROR_CODES', 'PKI_USAGE_CODES', 'PkiError', 'ROLE_USAGES', 'USAGE',
        'USER_NAME_PATTERN', 'caPaths', 'computeValidity', 'createCa', 'formatListing', 'generateRsaKeyPair',
        'generateRsaKeyPairAsync', 'initCaDir', 'issueCertificate', 'issueToDir', 'listDir', 'loadCa', 'oidToDerBytes',
        'parseCaName', 'parseDays', 'parseDnsName', 'parseIndex', 'parseIpAddress', 'parseIsoDate', 'parseKeyBits', 'parseRole',
        'parseUserName', 'readCaDir', 'resolveSubject', 'runCli', 'serializeIndex', 'statusOf',
        // lifecycle: CRLs, revocation, renewal, CA rollover
        'CA_BUNDLE_FILE', 'CRL_BUNDLE_FILE', 'CRL_FILE', 'DEFAULT_CRL_DAYS', 'MAX_CRL_DAYS', 'PREVIOUS_DIR', 'REVOCATION_REASONS',
        'createCrl', 'crlInDir', 'nextCaName', 'parseCrlDays', 'parseReason', 'parseSerial', 'renewInDir', 'retireCa', 'revokeInDir',
        'rolloverCa',
      ].sort(),
    );
  });

  it('PkiError is a SignetError with a stable code', () => {
    const err = new pki.PkiError('PKI_NO_CA', 'x');
    expect(err).toBeInstanceOf(SignetError);
    expect(err.name).toBe('PkiError');
    expect(err.code).toBe('PKI_NO_CA');
  });

  it('the code table in errors.ts lists every code with the exit status the CLI uses', () => {
    const source = fs.readFileSync(fileURLToPath(new URL('../../../pki/src/errors.ts', import.meta.url)), 'utf8');
    const rows = [...source.matchAll(/^ \* \| (PKI_[A-Z_]+)\s+\| (\d)\s+\|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows.map((r) => r[0])).toEqual([...pki.PKI_ERROR_CODES]);
    for (const [code, exit] of rows) expect(pki.PKI_USAGE_CODES.has(code as pki.PkiErrorCode) ? 2 : 1).toBe(exit);
  });

  it('the index schema knows exactly the protocol roles, and each role has exactly one role OID', () => {
    expect([...pki.INDEX_ROLES].sort()).toEqual([...ROLES].sort());
    for (const role of ROLES) {
      expect(pki.ROLE_USAGES[role].filter((oid) => oid.startsWith('2.25.'))).toHaveLength(1);
    }
  });
});
