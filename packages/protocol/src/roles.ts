import { X509Certificate } from 'node:crypto';
import { SignetError } from './errors.ts';

/**
 * Every Signet certificate carries its role as an Extended Key Usage OID, next to the
 * standard serverAuth/clientAuth usages. The OIDs live under a UUID arc (ITU-T X.667,
 * `2.25.<uuid>`), which needs no registration.
 *
 * A role in the certificate, checked by every party, stops a stolen certificate of one
 * kind being used as another: a client certificate on the server port, a server
 * certificate on the client port, a bridge certificate posing as the server inside the
 * end-to-end session.
 */
export const ROLE_ARC = '2.25.255981326442277093188111242654156279751';

export const ROLE_OIDS = {
  client: `${ROLE_ARC}.1`,
  bridge: `${ROLE_ARC}.2`,
  server: `${ROLE_ARC}.3`,
} as const;

export type Role = keyof typeof ROLE_OIDS;

export const ROLES: readonly Role[] = ['client', 'bridge', 'server'];

export type RoleErrorCode = 'CERT_ROLE_MISSING' | 'CERT_ROLE_AMBIGUOUS' | 'CERT_ROLE_WRONG';

export class CertRoleError extends SignetError<RoleErrorCode> {}

/** The roles named in a certificate's Extended Key Usage. */
export function rolesOf(extKeyUsage: readonly string[] | undefined): Role[] {
  const usages = new Set(extKeyUsage ?? []);
  return ROLES.filter((role) => usages.has(ROLE_OIDS[role]));
}

/**
 * The single role a certificate holds. A certificate with no role or with several is
 * refused: roles must not combine, or one stolen key would open every door.
 */
export function roleOf(cert: X509Certificate | { ext_key_usage?: string[] }): Role {
  const eku = cert instanceof X509Certificate ? cert.keyUsage : cert.ext_key_usage;
  const roles = rolesOf(eku);
  if (roles.length === 0) {
    throw new CertRoleError('CERT_ROLE_MISSING', 'certificate carries no Signet role; issue it with signet-pki');
  }
  if (roles.length > 1) {
    throw new CertRoleError('CERT_ROLE_AMBIGUOUS', `certificate carries several Signet roles (${roles.join(', ')})`);
  }
  return roles[0] as Role;
}

/** Throws CERT_ROLE_WRONG unless the certificate's role is `expected`. */
export function requireRole(cert: X509Certificate | { ext_key_usage?: string[] }, expected: Role, where: string): void {
  const role = roleOf(cert);
  if (role !== expected) {
    throw new CertRoleError('CERT_ROLE_WRONG', `${where}: peer presented a ${role} certificate where a ${expected} certificate is required`);
  }
}
