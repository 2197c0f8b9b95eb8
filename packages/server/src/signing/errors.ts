import { SignetError } from '@signet/protocol';

/**
 * Codes raised while turning an OpenPGP key into a native signer or while signing.
 *
 * | code                      | meaning                                                                  |
 * |---------------------------|--------------------------------------------------------------------------|
 * | KEY_VERSION_UNSUPPORTED   | not a v4 key (v6 keys are refused: rpm 4.18 cannot verify v6 signatures) |
 * | KEY_ALGORITHM_UNSUPPORTED | signing key is not RSA (≥ 2048 bits) or EdDSA legacy (algorithm 22)       |
 * | KEY_NOT_DECRYPTED         | the secret key material is still encrypted                               |
 * | KEY_PUBLIC_ONLY           | the signing key carries no secret material (public key or gpg stub)      |
 * | KEY_EXPIRED               | the key (or every signing subkey) has expired                            |
 * | KEY_REVOKED               | the key is revoked                                                       |
 * | KEY_NO_SIGNING_KEY        | no valid signing-capable (sub)key                                        |
 * | KEY_INCONSISTENT          | secret and public key material do not belong together                   |
 * | SIGN_FAILED               | the native signing call failed or produced a signature that did not verify |
 * | SIGNER_DISPOSED           | sign() called after dispose()                                            |
 * | SIGN_INPUT_TOO_LARGE      | data to sign exceeds the signer's bound                                  |
 */
export type SigningErrorCode =
  | 'KEY_VERSION_UNSUPPORTED'
  | 'KEY_ALGORITHM_UNSUPPORTED'
  | 'KEY_NOT_DECRYPTED'
  | 'KEY_PUBLIC_ONLY'
  | 'KEY_EXPIRED'
  | 'KEY_REVOKED'
  | 'KEY_NO_SIGNING_KEY'
  | 'KEY_INCONSISTENT'
  | 'SIGN_FAILED'
  | 'SIGNER_DISPOSED'
  | 'SIGN_INPUT_TOO_LARGE';

export const SIGNING_ERROR_CODES: readonly SigningErrorCode[] = [
  'KEY_VERSION_UNSUPPORTED',
  'KEY_ALGORITHM_UNSUPPORTED',
  'KEY_NOT_DECRYPTED',
  'KEY_PUBLIC_ONLY',
  'KEY_EXPIRED',
  'KEY_REVOKED',
  'KEY_NO_SIGNING_KEY',
  'KEY_INCONSISTENT',
  'SIGN_FAILED',
  'SIGNER_DISPOSED',
  'SIGN_INPUT_TOO_LARGE',
];

export class SigningError extends SignetError<SigningErrorCode> {}
