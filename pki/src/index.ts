export { PkiError, PKI_ERROR_CODES, PKI_USAGE_CODES } from './errors.ts';
export type { PkiErrorCode } from './errors.ts';
export { createCa, issueCertificate, loadCa, DEFAULT_CA_NAME } from './certificate.ts';
export type { CaMaterial, CreateCaOptions, IssueOptions, IssuedCertificate, MintedCertificate } from './certificate.ts';
export { KEY_BITS, DEFAULT_KEY_BITS, generateRsaKeyPair, generateRsaKeyPairAsync, parseKeyBits } from './keys.ts';
export type { KeyBits, KeyPair } from './keys.ts';
export { EKU_SERVER_AUTH, EKU_CLIENT_AUTH, ROLE_USAGES, parseRole, resolveSubject } from './profile.ts';
export type { SubjectSpec } from './profile.ts';
export { USER_NAME_PATTERN, parseUserName, parseDnsName, parseIpAddress, parseCaName } from './names.ts';
export { oidToDerBytes } from './oid.ts';
export { CLOCK_SKEW_MS, DEFAULT_LEAF_DAYS, DEFAULT_CA_DAYS, MAX_DAYS, computeValidity, parseDays, parseIsoDate } from './validity.ts';
export type { Validity, ValidityOptions } from './validity.ts';
export { INDEX_VERSION, INDEX_ROLES, IndexSchema, parseIndex, serializeIndex } from './index-file.ts';
export type { IndexCa, IndexEntry, PkiIndex, PreviousCa, Revocation } from './index-file.ts';
export {
  CA_CERT_FILE,
  CA_KEY_FILE,
  INDEX_FILE,
  ISSUED_DIR,
  CRL_FILE,
  CA_BUNDLE_FILE,
  CRL_BUNDLE_FILE,
  PREVIOUS_DIR,
  caPaths,
} from './layout.ts';
export type { CaPaths } from './layout.ts';
export { EXPIRING_SOON_DAYS, initCaDir, readCaDir, issueToDir, listDir, statusOf } from './store.ts';
export type { IssueToDirOptions, IssueToDirResult, CertificateStatus, ListedCertificate, Listing, ListOptions } from './store.ts';
export { createCrl, parseCrlDays, REVOCATION_REASONS, DEFAULT_CRL_DAYS, MAX_CRL_DAYS } from './crl.ts';
export type { CrlOptions, RevocationReason, RevokedSerial } from './crl.ts';
export { parseSerial } from './select.ts';
export { revokeInDir, crlInDir, parseReason } from './revoke.ts';
export type { RevokeOptions, RevokeResult, CrlInDirOptions, CrlResult } from './revoke.ts';
export { renewInDir } from './renew.ts';
export type { RenewOptions, RenewResult } from './renew.ts';
export { rolloverCa, retireCa, nextCaName } from './rollover.ts';
export type { RolloverOptions, RolloverResult, RetireOptions, RetireResult } from './rollover.ts';
export { formatListing } from './list-format.ts';
export { runCli, USAGE } from './cli.ts';
export type { CliIo } from './cli.ts';
