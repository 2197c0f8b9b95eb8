import { describe, expect, it } from 'vitest';
import { ROLE_OIDS, roleOf, requireRole, rolesOf } from '@signet/protocol';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

describe('certificate roles', () => {
  it('reads exactly one role from the EKU list', () => {
    expect(roleOf({ ext_key_usage: [SERVER_AUTH, ROLE_OIDS.bridge] })).toBe('bridge');
    expect(rolesOf([ROLE_OIDS.client, ROLE_OIDS.server])).toEqual(['client', 'server']);
  });

  it('refuses no role, several roles and the wrong role, each with its code', () => {
    expect(() => roleOf({ ext_key_usage: [SERVER_AUTH] })).toThrow(expect.objectContaining({ code: 'CERT_ROLE_MISSING' }));
    expect(() => roleOf({})).toThrow(expect.objectContaining({ code: 'CERT_ROLE_MISSING' }));
    expect(() => roleOf({ ext_key_usage: [ROLE_OIDS.client, ROLE_OIDS.server] })).toThrow(expect.objectContaining({ code: 'CERT_ROLE_AMBIGUOUS' }));
    expect(() => requireRole({ ext_key_usage: [ROLE_OIDS.server] }, 'client', 'test')).toThrow(expect.objectContaining({ code: 'CERT_ROLE_WRONG' }));
  });

  it('does not accept an OID that merely starts with a role OID', () => {
    expect(() => roleOf({ ext_key_usage: [`${ROLE_OIDS.client}0`] })).toThrow(expect.objectContaining({ code: 'CERT_ROLE_MISSING' }));
  });
});
