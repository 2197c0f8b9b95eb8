import { USER_NAME_PATTERN } from '@signet/protocol';
import { KeyStoreError } from './errors.ts';

/**
 * Names and passphrases, checked before any lookup or crypto.
 *
 * User names follow the PKI's rule (the server maps a client certificate's CN to a user),
 * so no look-alike twins ("Alice"/"alice") or stray whitespace can name a second identity.
 * Key names are lowercase for the same reason. Neither may contain NUL, which separates
 * fields in the grant's associated data.
 */
// Defined once in @signet/protocol, where signet-pki takes it from to write client CNs.
export { USER_NAME_PATTERN };
export const KEY_NAME_PATTERN = /^[a-z0-9][a-z0-9_.+-]{0,63}$/;

/** Bounds on access passphrases, in UTF-8 bytes. */
export const MAX_PASSPHRASE_BYTES = 1024;
/** A *new* access passphrase must be at least this long (characters). */
export const MIN_NEW_PASSPHRASE_CHARS = 8;

export function parseUserName(name: unknown): string {
  if (typeof name !== 'string' || !USER_NAME_PATTERN.test(name)) {
    throw new KeyStoreError('NAME_INVALID', 'user name is not valid: use lowercase letters, digits, "_", ".", "-", starting with a letter or "_", at most 64 characters');
  }
  return name;
}

export function parseKeyName(name: unknown): string {
  if (typeof name !== 'string' || !KEY_NAME_PATTERN.test(name)) {
    throw new KeyStoreError('NAME_INVALID', 'key name is not valid: use lowercase letters, digits, "_", ".", "+", "-", starting with a letter or digit, at most 64 characters');
  }
  return name;
}

/** A passphrase presented to open something. Normalised to NFC so the same typed text always matches. */
export function parsePassphrase(passphrase: unknown, what: string): string {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new KeyStoreError('PASSPHRASE_INVALID', `${what} is empty`);
  }
  const normalized = passphrase.normalize('NFC');
  if (Buffer.byteLength(normalized, 'utf8') > MAX_PASSPHRASE_BYTES) {
    throw new KeyStoreError('PASSPHRASE_INVALID', `${what} is longer than ${MAX_PASSPHRASE_BYTES} bytes`);
  }
  return normalized;
}

/** A passphrase being set: also a minimum length (a weak access passphrase is the easiest way in). */
export function parseNewPassphrase(passphrase: unknown, what: string): string {
  const parsed = parsePassphrase(passphrase, what);
  if ([...parsed].length < MIN_NEW_PASSPHRASE_CHARS) {
    throw new KeyStoreError('PASSPHRASE_INVALID', `${what} must be at least ${MIN_NEW_PASSPHRASE_CHARS} characters`);
  }
  return parsed;
}
