export { SigningError, SIGNING_ERROR_CODES } from './errors.ts';
export type { SigningErrorCode } from './errors.ts';
export {
  buildSignaturePacket,
  hashedPart,
  signatureHashInput,
  encodeMpi,
  packetHeader,
  HASH_IDS,
  PUBKEY_RSA,
  PUBKEY_EDDSA_LEGACY,
  SIG_TYPE_BINARY,
  SUBPACKET_CREATION_TIME,
  SUBPACKET_ISSUER_FINGERPRINT,
  SUBPACKET_ISSUER_KEY_ID,
} from './packet.ts';
export type { SignatureSpec, RawSign, RawSignRequest, HashName } from './packet.ts';
export { nativeSigningKey, selectSigningKey, modInverse, MIN_RSA_BITS, MAX_RSA_BITS } from './native-key.ts';
export type { NativeSigningKey, SignerAlgorithm } from './native-key.ts';
export { createSigner, DEFAULT_MAX_SIGN_INPUT } from './signer.ts';
export type { Signer, SignerOptions } from './signer.ts';
