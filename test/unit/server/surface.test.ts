import { describe, expect, it } from 'vitest';
import * as admin from '../../../packages/server/src/admin/index.ts';
import * as keystore from '../../../packages/server/src/keystore/index.ts';
import * as signing from '../../../packages/server/src/signing/index.ts';
import { SignetError } from '@signet/protocol';

describe('public surface of the key custody core', () => {
  it('pins the runtime exports', () => {
    expect(Object.keys(signing).sort()).toEqual([
      'DEFAULT_MAX_SIGN_INPUT', 'HASH_IDS', 'MAX_RSA_BITS', 'MIN_RSA_BITS', 'PUBKEY_EDDSA_LEGACY', 'PUBKEY_RSA', 'SIGNING_ERROR_CODES',
      'SIG_TYPE_BINARY', 'SUBPACKET_CREATION_TIME', 'SUBPACKET_ISSUER_FINGERPRINT', 'SUBPACKET_ISSUER_KEY_ID', 'SigningError',
      'buildSignaturePacket', 'createSigner', 'encodeMpi', 'hashedPart', 'modInverse', 'nativeSigningKey', 'packetHeader',
      'selectSigningKey', 'signatureHashInput',
    ]);
    expect(Object.keys(keystore).sort()).toEqual([
      'ARGON2_BOUNDS', 'ARGON2_PRESETS', 'AuditLog', 'BACKUP_MAGIC', 'BINDING_BYTES', 'BackupManifest', 'CONSOLE_ACTOR', 'ChainVerifier',
      'DB_FILE', 'DEFAULT_UNLOCK_LIMITS', 'KEYSTORE_ERROR_CODES', 'KEY_NAME_PATTERN', 'KEY_PASSPHRASE_BYTES', 'KEY_TYPES', 'KeyStore',
      'KeyStoreError', 'MAX_ARMORED_KEY_BYTES', 'MAX_AUDIT_LIMIT', 'MAX_PASSPHRASE_BYTES', 'MIN_NEW_PASSPHRASE_CHARS', 'REVOCATION_REASONS',
      'SCHEMA_VERSION', 'SYSTEM_ACTOR', 'USER_NAME_PATTERN', 'canonicalRow', 'createBackup', 'genesisHash', 'parseBackupHeader',
      'restoreBackup', 'rowHash', 'verificationError', 'verifyAuditChain',
    ]);
    expect(Object.keys(admin).sort()).toEqual([
      'ADMIN_ERROR_CODES', 'AdminError', 'COMMANDS', 'EXIT_FAILURE', 'EXIT_OK', 'EXIT_USAGE', 'USAGE', 'parseAdminArgs',
      'promptHidden', 'readPassphraseFile', 'runAdmin',
    ]);
  });

  it('errors extend SignetError and code lists have no duplicates', () => {
    expect(new signing.SigningError('SIGN_FAILED', 'x')).toBeInstanceOf(SignetError);
    expect(new keystore.KeyStoreError('DB_CORRUPT', 'x')).toBeInstanceOf(SignetError);
    expect(new admin.AdminError('USAGE', 'x')).toBeInstanceOf(SignetError);
    for (const list of [signing.SIGNING_ERROR_CODES, keystore.KEYSTORE_ERROR_CODES, admin.ADMIN_ERROR_CODES]) {
      expect(new Set(list).size).toBe(list.length);
    }
  });

  it('every signing refusal code has a key store code of the same name', () => {
    const store = new Set<string>(keystore.KEYSTORE_ERROR_CODES);
    for (const code of signing.SIGNING_ERROR_CODES) {
      if (code === 'SIGNER_DISPOSED' || code === 'SIGN_INPUT_TOO_LARGE' || code === 'KEY_NOT_DECRYPTED') continue;
      expect(store.has(code)).toBe(true);
    }
  });

  it('documents every option and command in the usage text', () => {
    expect(admin.USAGE).toContain('--argon2 LEVEL');
    for (const spec of admin.COMMANDS) expect(admin.USAGE).toContain(`  ${spec.words.join(' ')}`);
    for (const option of ['--binding-file', '--yes', '--force', '--date', '--never', '--reason', '--key KEY']) expect(admin.USAGE).toContain(option);
  });
});
