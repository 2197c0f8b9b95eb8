import type * as openpgp from 'openpgp';
import type { RevocationReason } from './key-certs.ts';
import type { UnlockLimits } from './limiter.ts';
import type { KeyDescription } from './openpgp-keys.ts';
import type { Argon2Level, Argon2Params } from './wrap.ts';

/** The key store's options, and what it returns: keys, users, grants. */

export interface KeyStoreOptions {
  /** Argon2id cost for passphrases wrapped from now on (default 'moderate'). Unwrapping uses each grant's stored cost. */
  readonly argon2?: Argon2Level | Argon2Params;
  /** Clock (default: system clock). */
  readonly now?: () => Date;
  /**
   * open(): the store's binding file (needed to wrap or unwrap when the store is bound).
   * init(): create a new binding file there (mode 0600) and bind the new store to it.
   */
  readonly bindingFile?: string;
  /** Failed-unlock limits (limiter.ts; default 3 free failures, lockout after 10). */
  readonly unlockLimits?: Partial<UnlockLimits>;
  /** Bound on the database size in bytes; writes past it fail with DB_FULL. */
  readonly maxDatabaseBytes?: number;
}

export type KeyStatus = 'active' | 'expired' | 'revoked';

export interface KeyInfo extends KeyDescription {
  readonly name: string;
  /** Signing key ID (16 hex upper); its last 8 digits, lower case, are Koji's sigkey. */
  readonly keyId: string;
  readonly added: string;
  readonly status: KeyStatus;
  /** When `key revoke` revoked it (null: not revoked). */
  readonly revoked: string | null;
  readonly revocationReason: RevocationReason | null;
  readonly users: ReadonlyArray<{ readonly name: string; readonly keyAdmin: boolean }>;
}

export interface UserInfo {
  readonly name: string;
  readonly created: string;
  readonly keys: readonly string[];
}

export interface UserGrantInfo {
  readonly key: string;
  readonly keyAdmin: boolean;
  readonly grantedBy: string | null;
  readonly created: string;
  /** Wrong passphrases since the last successful unlock. */
  readonly failures: number;
  /** Locked: only `admin user unlock` re-opens the grant. */
  readonly locked: boolean;
}

export interface UserDetail extends UserInfo {
  readonly grants: readonly UserGrantInfo[];
}

/** A key admin acting on a key: their name and access passphrase. */
export interface ActorOptions {
  readonly byUser: string;
  readonly byPassphrase: string;
}

export interface GrantOptions extends ActorOptions {
  /** The access passphrase being set for the new holder. */
  readonly newPassphrase: string;
  readonly keyAdmin?: boolean;
}

export interface GenerateOptions {
  /** OpenPGP user ID of the new key (default: name "Signet key <name>"). */
  readonly userId?: openpgp.UserID;
}

export interface ForceOptions {
  /** Do it even though it leaves a key without holders or key admins. */
  readonly force?: boolean;
}

/** Audit user of console actions that no key store user performs (key delete, key rename). */
export const CONSOLE_ACTOR = '(console)';

/** Bytes of random key passphrase: 256 bits, base64-encoded for openpgp.js. */
export const KEY_PASSPHRASE_BYTES = 32;
