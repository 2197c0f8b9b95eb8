import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import type { Role } from '@signet/protocol';
import { PkiError } from './errors.ts';
import { generateRsaKeyPair, privateKeyPem, publicKeyPem, rsaBits, type KeyBits, type KeyPair } from './keys.ts';
import { parseCaName } from './names.ts';
import { caExtensions, leafExtensions, resolveSubject } from './profile.ts';
import { computeValidity, DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS, type ValidityOptions } from './validity.ts';

export const DEFAULT_CA_NAME = 'Signet CA';
const SERIAL_BYTES = 16;

export interface CreateCaOptions extends ValidityOptions {
  /** Subject CN of the CA; default "Signet CA". */
  name?: string;
  /** RSA modulus size; default 3072. Ignored when `keyPair` is given. */
  keyBits?: KeyBits;
  /** A pre-generated RSA key pair (tests generate keys in parallel). */
  keyPair?: KeyPair;
}

export interface IssueOptions extends ValidityOptions {
  role: Role;
  /** bridge: DNS name or IP (CN and first SAN); server: DNS name; client: user name. */
  name: string;
  /** Extra SAN DNS names (bridge only). */
  dns?: readonly string[];
  /** Extra SAN IP addresses (bridge only). */
  ip?: readonly string[];
  keyBits?: KeyBits;
  keyPair?: KeyPair;
}

/** A CA as PEM text: the certificate and its PKCS#8 private key. */
export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface MintedCertificate {
  certPem: string;
  keyPem: string;
  /** Uppercase hex, as node's X509Certificate.serialNumber prints it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IssuedCertificate extends MintedCertificate {
  role: Role;
  /** The CN as written (normalised: lowercase DNS names). */
  name: string;
  dns: string[];
  ip: string[];
}

/** A new self-signed CA: basicConstraints CA (critical, pathLen 0), keyCertSign + cRLSign. */
export function createCa(opts: CreateCaOptions = {}): MintedCertificate {
  const name = parseCaName(opts.name ?? DEFAULT_CA_NAME);
  const validity = computeValidity(opts, DEFAULT_CA_DAYS);
  const keys = opts.keyPair ?? generateRsaKeyPair(opts.keyBits);
  const cert = newCertificate(keys.publicKey, validity.notBefore, validity.notAfter);
  const dn = [cnAttribute(name)];
  cert.setSubject(dn);
  cert.setIssuer(dn);
  cert.setExtensions([
    ...caExtensions(),
    { name: 'authorityKeyIdentifier', keyIdentifier: cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  const certPem = signCertificate(cert, keys.privateKey, keys.publicKey);
  return { certPem, keyPem: privateKeyPem(keys.privateKey), serial: cert.serialNumber.toUpperCase(), ...validity };
}

/**
 * A certificate for one Signet party, signed by `ca`. Pure apart from key generation
 * and the random serial: nothing is read or written.
 */
export function issueCertificate(ca: CaMaterial, opts: IssueOptions): IssuedCertificate {
  const subject = resolveSubject(opts.role, opts.name, opts.dns, opts.ip);
  const validity = computeValidity(opts, DEFAULT_LEAF_DAYS);
  const issuer = loadCa(ca, opts.now ?? new Date());
  const keys = opts.keyPair ?? generateRsaKeyPair(opts.keyBits);
  const cert = newCertificate(keys.publicKey, validity.notBefore, validity.notAfter);
  cert.setSubject([cnAttribute(subject.name)]);
  cert.setIssuer(issuer.forgeCert.subject.attributes);
  cert.setExtensions(leafExtensions(subject, issuer.keyId));
  const certPem = signCertificate(cert, issuer.privateKey, issuer.publicKey);
  return {
    certPem,
    keyPem: privateKeyPem(keys.privateKey),
    serial: cert.serialNumber.toUpperCase(),
    ...validity,
    role: subject.role,
    name: subject.name,
    dns: subject.dns,
    ip: subject.ip.map((a) => a.text),
  };
}

interface LoadedCa {
  forgeCert: forge.pki.Certificate;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Subject key identifier, binary string, for the issued certificates' AKID. */
  keyId: string;
}

/** Parses and checks CA material before it signs anything. */
export function loadCa(ca: CaMaterial, now: Date): LoadedCa {
  let x509: X509Certificate;
  let privateKey: KeyObject;
  let forgeCert: forge.pki.Certificate;
  try {
    x509 = new X509Certificate(ca.certPem);
    privateKey = createPrivateKey(ca.keyPem);
    forgeCert = forge.pki.certificateFromPem(ca.certPem);
  } catch (err) {
    throw new PkiError('PKI_BAD_CA', 'CA certificate or key cannot be parsed (expected PEM from signet-pki init)', { cause: err });
  }
  // Threat: signing with a key that is not the CA's, yielding certificates nobody trusts.
  if (!x509.checkPrivateKey(privateKey)) {
    throw new PkiError('PKI_BAD_CA', 'CA private key does not belong to the CA certificate');
  }
  // Threat: an end-entity certificate mistakenly used as the issuer.
  if (!x509.ca) {
    throw new PkiError('PKI_BAD_CA', 'CA certificate lacks basicConstraints CA:TRUE');
  }
  if (rsaBits(privateKey) === undefined) {
    throw new PkiError('PKI_BAD_CA', 'CA key is not an RSA key');
  }
  // Certificates from an expired CA would fail verification everywhere.
  if (now < new Date(x509.validFrom) || now > new Date(x509.validTo)) {
    throw new PkiError('PKI_CA_EXPIRED', `CA certificate is valid only from ${x509.validFrom} to ${x509.validTo}; create a new CA`);
  }
  const skid = forgeCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  const keyId = skid?.subjectKeyIdentifier !== undefined
    ? forge.util.hexToBytes(skid.subjectKeyIdentifier)
    : forgeCert.generateSubjectKeyIdentifier().getBytes();
  return { forgeCert, privateKey, publicKey: x509.publicKey, keyId };
}

function newCertificate(publicKey: KeyObject, notBefore: Date, notAfter: Date): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.version = 2; // X.509 v3
  cert.serialNumber = randomSerial();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem(publicKey));
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return cert;
}

/** 16 random bytes, high bit clear (positive) and first byte non-zero (minimal DER). */
function randomSerial(): string {
  const bytes = randomBytes(SERIAL_BYTES);
  bytes[0] = (bytes[0] ?? 0) & 0x7f || 0x01;
  return bytes.toString('hex');
}

function cnAttribute(value: string): forge.pki.CertificateField {
  // UTF8String: PrintableString cannot carry '_' (allowed in user names).
  return { shortName: 'CN', value, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class };
}

interface ForgePkiInternals {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}

/**
 * sha256WithRSAEncryption over the TBSCertificate, signed by node:crypto (OpenSSL), so
 * the CA key never has to be turned into a forge key. The result is checked against
 * the issuer's public key before it leaves.
 */
function signCertificate(cert: forge.pki.Certificate, issuerKey: KeyObject, issuerPublicKey: KeyObject): string {
  const oid = forge.pki.oids['sha256WithRSAEncryption'] as string;
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  cert.tbsCertificate = (forge.pki as unknown as ForgePkiInternals).getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, issuerKey).toString('binary');
  const pem = forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
  if (!new X509Certificate(pem).verify(issuerPublicKey)) {
    throw new PkiError('PKI_BAD_CA', 'freshly signed certificate does not verify under the CA key');
  }
  return pem;
}
