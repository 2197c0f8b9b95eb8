export { KeyStore } from './keystore.ts';
export { KEY_PASSPHRASE_BYTES, CONSOLE_ACTOR } from './types.ts';
export type {
  KeyStoreOptions, KeyInfo, KeyStatus, UserInfo, UserDetail, UserGrantInfo, GrantOptions, GenerateOptions, ActorOptions, ForceOptions,
} from './types.ts';
export { KeyStoreError, KEYSTORE_ERROR_CODES } from './errors.ts';
export type { KeyStoreErrorCode } from './errors.ts';
export type { AuditEntry, AuditRecord } from './audit.ts';
export { AuditLog, verifyAuditChain, verificationError, MAX_AUDIT_LIMIT } from './audit-log.ts';
export type { AuditFilter, AuditVerification } from './audit-log.ts';
export { genesisHash, rowHash, canonicalRow, ChainVerifier } from './audit-chain.ts';
export type { ChainBreak, ChainBreakReason, ChainHead, ChainLookup } from './audit-chain.ts';
export { SYSTEM_ACTOR } from './audit-store.ts';
export { createBackup, restoreBackup } from './backup.ts';
export type { BackupResult, RestoreResult } from './backup.ts';
export { BackupManifest, BACKUP_MAGIC, parseBackupHeader } from './backup-format.ts';
export { KEY_TYPES, MAX_ARMORED_KEY_BYTES } from './openpgp-keys.ts';
export type { KeyType, KeyDescription } from './openpgp-keys.ts';
export { REVOCATION_REASONS } from './key-certs.ts';
export type { RevocationReason } from './key-certs.ts';
export { ARGON2_PRESETS, ARGON2_BOUNDS } from './wrap.ts';
export type { Argon2Level, Argon2Params } from './wrap.ts';
export { DEFAULT_UNLOCK_LIMITS } from './limiter.ts';
export type { UnlockLimits } from './limiter.ts';
export { BINDING_BYTES } from './binding.ts';
export { USER_NAME_PATTERN, KEY_NAME_PATTERN, MAX_PASSPHRASE_BYTES, MIN_NEW_PASSPHRASE_CHARS } from './names.ts';
export { DB_FILE, SCHEMA_VERSION } from './schema.ts';
