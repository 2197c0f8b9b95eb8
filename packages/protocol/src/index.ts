export { SignetError, isSignetError } from './errors.ts';
export { ROLE_ARC, ROLE_OIDS, ROLES, rolesOf, roleOf, requireRole, CertRoleError } from './roles.ts';
export type { Role, RoleErrorCode } from './roles.ts';
