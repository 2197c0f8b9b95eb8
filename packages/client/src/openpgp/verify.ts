import * as openpgp from 'openpgp';
import { ClientError } from '../errors.ts';
import { inspectSignaturePacket } from './inspect.ts';
import { nativePublicKey } from './native-key.ts';
import { checkNativeSignature } from './native-verify.ts';

/** Public-key algorithms rpm 4.18 verifies: RSA (1) and EdDSA legacy (22). */
const RPM_ALGORITHMS = new Set([1, 22]);

/**
 * Checks a signature returned by the server before anything is written: the packet has
 * the shape rpm and Koji need (v4, binary document, exactly one non-critical issuer key
 * ID, naming the key we asked for) and it verifies over `data` with the key's public key.
 * No signature leaves the client unverified.
 *
 * The cryptographic check runs natively (`checkNativeSignature`) with a KeyObject derived
 * once per `publicKey` object; openpgp.js still parses the key and decides whether it was
 * a valid signing key when the signature was made.
 */
export async function verifyDetachedSignature(packet: Buffer, data: Buffer, publicKey: openpgp.PublicKey, expectedKeyId: string): Promise<void> {
  const facts = inspectSignaturePacket(packet);
  if (facts.signatureType !== 0x00) {
    throw new ClientError('SIGNATURE_INVALID', `signature type 0x${facts.signatureType.toString(16)}; expected 0x00 (binary document)`);
  }
  if (!RPM_ALGORITHMS.has(facts.pubkeyAlgorithm)) {
    throw new ClientError('SIGNATURE_INVALID', `public-key algorithm ${facts.pubkeyAlgorithm} cannot be verified by rpm 4.18`);
  }
  if (facts.issuerKeyIds.length !== 1) {
    throw new ClientError('SIGNATURE_INVALID', `signature has ${facts.issuerKeyIds.length} issuer key IDs; rpm and Koji need exactly one`);
  }
  if (facts.issuerKeyIds[0] !== expectedKeyId.toUpperCase()) {
    throw new ClientError('SIGNATURE_INVALID', `signature names key ${facts.issuerKeyIds[0]}, expected ${expectedKeyId}`);
  }
  const key = await nativePublicKey(publicKey, expectedKeyId);
  const created = checkNativeSignature(facts, data, key, new Date());
  await key.validAt(created);
}

/** Parses the armored public key the server sent; refuses anything else. */
export async function readPublicKey(armored: string): Promise<openpgp.PublicKey> {
  try {
    const key = await openpgp.readKey({ armoredKey: armored });
    if (key.isPrivate()) throw new Error('the server sent a private key');
    return key as openpgp.PublicKey;
  } catch (cause) {
    throw new ClientError('BAD_RESPONSE', `public key from the server does not parse: ${(cause as Error).message}`, { cause });
  }
}
