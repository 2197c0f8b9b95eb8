import forge from 'node-forge';
import { ROLE_OIDS, ROLES, type Role } from '@signet/protocol';
import { PkiError } from './errors.ts';
import { isIpAddress, parseDnsName, parseIpAddress, parseUserName } from './names.ts';
import { oidNode } from './oid.ts';

/** Standard EKU purposes (RFC 5280 4.2.1.12). */
export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * What each role's certificate may be used for. Exactly one Signet role OID per
 * certificate, so a stolen certificate of one kind cannot open another kind's door; the
 * standard usages make OpenSSL's own purpose check refuse, say, a client certificate
 * offered as a TLS server certificate.
 *
 * - bridge: TLS server toward clients and server.
 * - server: TLS client toward the bridge, and TLS server of the inner end-to-end session.
 * - client: TLS client only.
 */
export const ROLE_USAGES: Readonly<Record<Role, readonly string[]>> = {
  bridge: [EKU_SERVER_AUTH, ROLE_OIDS.bridge],
  server: [EKU_SERVER_AUTH, EKU_CLIENT_AUTH, ROLE_OIDS.server],
  client: [EKU_CLIENT_AUTH, ROLE_OIDS.client],
};

export interface SubjectSpec {
  role: Role;
  /** Subject CN; also the default file name. */
  name: string;
  /** SAN DNS names, in order. */
  dns: string[];
  /** SAN IP addresses, in order. */
  ip: { text: string; bytes: Buffer }[];
}

export function parseRole(value: string): Role {
  const role = ROLES.find((r) => r === value);
  if (role === undefined) {
    throw new PkiError('PKI_USAGE', `role must be one of ${ROLES.join(', ')}`);
  }
  return role;
}

/**
 * Checks a request's names against its role and puts them in certificate form.
 * bridge: NAME (a DNS name or IP) plus any --dns/--ip, CN = NAME.
 * server: SAN DNS = NAME only, the name clients pin for the end-to-end session.
 * client: CN = user name, no SAN.
 */
export function resolveSubject(role: Role, name: string, dns: readonly string[] = [], ip: readonly string[] = []): SubjectSpec {
  if (role === 'client' || role === 'server') {
    // Threat: extra names widening what a certificate vouches for beyond its one identity.
    if (dns.length > 0 || ip.length > 0) {
      throw new PkiError('PKI_USAGE', `--dns and --ip apply to bridge certificates only; a ${role} certificate carries exactly its name`);
    }
    return role === 'client'
      ? { role, name: parseUserName(name), dns: [], ip: [] }
      : { role, name: parseDnsName(name), dns: [parseDnsName(name)], ip: [] };
  }
  const first = isIpAddress(name) ? parseIpAddress(name) : undefined;
  const cn = first?.text ?? parseDnsName(name);
  const dnsNames = unique([...(first ? [] : [cn]), ...dns.map(parseDnsName)]);
  const ips = new Map<string, { text: string; bytes: Buffer }>();
  for (const addr of [...(first ? [first] : []), ...ip.map(parseIpAddress)]) {
    ips.set(addr.bytes.toString('hex'), addr);
  }
  return { role, name: cn, dns: dnsNames, ip: [...ips.values()] };
}

/** forge extension objects for an end-entity certificate of this subject. */
export function leafExtensions(subject: SubjectSpec, authorityKeyId: string): object[] {
  const exts: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    // RSA keys may also wrap keys (TLS 1.2 RSA key exchange); TLS 1.3 needs only signatures.
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', value: ekuValue(ROLE_USAGES[subject.role]) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
  ];
  if (subject.dns.length > 0 || subject.ip.length > 0) {
    exts.push({
      name: 'subjectAltName',
      altNames: [
        ...subject.dns.map((value) => ({ type: 2, value })),
        ...subject.ip.map((addr) => ({ type: 7, value: addr.bytes.toString('binary') })),
      ],
    });
  }
  return exts;
}

export function caExtensions(): object[] {
  return [
    // pathLen 0: this CA signs end entities only, never another CA.
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
}

/**
 * The ExtKeyUsageSyntax value, built by hand: forge's own extKeyUsage encoder cannot
 * encode OIDs with arcs above 2^32, which our UUID-arc role OIDs have.
 */
function ekuValue(oids: readonly string[]): forge.asn1.Asn1 {
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, oids.map(oidNode));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
