import type { TLSSocket, PeerCertificate } from 'node:tls';
import { SignetError } from '../errors.ts';
import { requireRole, type Role } from '../roles.ts';

export type PeerErrorCode = 'PEER_UNAUTHORIZED' | 'PEER_NO_CERTIFICATE' | 'PEER_BAD_NAME';

export class PeerError extends SignetError<PeerErrorCode> {}

export interface Peer {
  /** Common name of the peer's certificate: the user name for a client. */
  cn: string;
  role: Role;
  serial: string;
  validTo: string;
}

/**
 * Checks the peer of an established TLS connection: the chain verified against our CA
 * (OpenSSL already refused otherwise when rejectUnauthorized is set — checked again so a
 * misconfiguration cannot silently let anyone in), a certificate is present, and its
 * Signet role is `role`.
 */
export function checkPeer(socket: TLSSocket, role: Role, where: string): Peer {
  if (!socket.authorized) {
    throw new PeerError('PEER_UNAUTHORIZED', `${where}: peer certificate not trusted: ${String(socket.authorizationError ?? 'unknown reason')}`);
  }
  const cert: PeerCertificate = socket.getPeerCertificate(false);
  if (!cert || Object.keys(cert).length === 0) {
    throw new PeerError('PEER_NO_CERTIFICATE', `${where}: peer presented no certificate`);
  }
  requireRole(cert, role, where);
  const cn = typeof cert.subject?.CN === 'string' ? cert.subject.CN : '';
  if (cn === '') throw new PeerError('PEER_BAD_NAME', `${where}: peer certificate has no common name`);
  return { cn, role, serial: cert.serialNumber, validTo: cert.valid_to };
}
