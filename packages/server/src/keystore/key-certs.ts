import * as openpgp from 'openpgp';
import { readSubpackets } from '@signet/rpm';
import { selectSigningKey } from '../signing/index.ts';
import { KeyStoreError } from './errors.ts';

/**
 * Changing a stored key's certificate: a new expiry (new self-signatures made by the key
 * itself) and revocation (a key revocation signature plus a stand-alone revocation
 * certificate). Pure apart from openpgp.js; the key must be decrypted.
 */

export type RevocationReason = 'compromised' | 'superseded' | 'retired';
export const REVOCATION_REASONS: readonly RevocationReason[] = ['compromised', 'superseded', 'retired'];

const REASON_FLAGS: Readonly<Record<RevocationReason, openpgp.enums.reasonForRevocation>> = {
  compromised: openpgp.enums.reasonForRevocation.keyCompromised,
  superseded: openpgp.enums.reasonForRevocation.keySuperseded,
  retired: openpgp.enums.reasonForRevocation.keyRetired,
};

/** openpgp.js's per-signature salt notation; a copied signature must not carry the old one. */
const SALT_NOTATION = 'salt@notations.openpgpjs.org';

type SecretPacket = openpgp.SecretKeyPacket;
type SignData = Record<string, unknown>;

const SUBPACKET_KEY_EXPIRATION = 9;
const SUBPACKET_REVOCATION_REASON = 29;

/**
 * Clears the critical bit of the given subpacket types in the hashed area `sign()` writes.
 * openpgp.js marks key expiration (9) and reason for revocation (29) critical; rpm 4.18
 * refuses to import a key with a critical subpacket it does not know ("key 1 import
 * failed"), and GnuPG writes both as non-critical.
 */
function nonCritical(sig: openpgp.SignaturePacket, types: readonly number[]): void {
  const target = sig as unknown as { writeHashedSubPackets(): Uint8Array };
  const original = target.writeHashedSubPackets.bind(sig);
  target.writeHashedSubPackets = (): Uint8Array => {
    const area = Buffer.from(original());
    // v4: a 2-byte length, then the subpackets.
    for (const sub of readSubpackets(area.subarray(2))) {
      if (sub.critical && types.includes(sub.type)) area[2 + sub.typeOffset] = sub.type;
    }
    return new Uint8Array(area);
  };
}

function latest(sigs: readonly openpgp.SignaturePacket[]): openpgp.SignaturePacket | undefined {
  return [...sigs].sort((a, b) => (a.created?.getTime() ?? 0) - (b.created?.getTime() ?? 0)).at(-1);
}

/**
 * A copy of `sig` with a new key expiration (seconds after the key's creation; null: never),
 * signed now by `signer`. Every other hashed field (key flags, preferences, the embedded
 * back-signature of a signing subkey) is kept.
 */
async function resign(sig: openpgp.SignaturePacket, signer: SecretPacket, data: SignData, expirationSeconds: number | null, date: Date): Promise<openpgp.SignaturePacket> {
  const copy = new openpgp.SignaturePacket();
  (copy as unknown as { read(bytes: Uint8Array): void }).read(sig.write() as Uint8Array);
  copy.rawNotations = copy.rawNotations.filter((n) => n.name !== SALT_NOTATION);
  copy.keyExpirationTime = expirationSeconds;
  copy.keyNeverExpires = expirationSeconds === null;
  nonCritical(copy, [SUBPACKET_KEY_EXPIRATION]);
  const sign = copy.sign as unknown as (key: SecretPacket, data: SignData, date: Date, detached: boolean, config: openpgp.Config) => Promise<void>;
  await sign.call(copy, signer, data, date, false, openpgp.config);
  return copy;
}

function secondsAfter(created: Date, expires: Date | null): number | null {
  if (expires === null) return null;
  return Math.floor((expires.getTime() - created.getTime()) / 1000);
}

/**
 * Sets the key's expiry to `expires` (null: never), as `gpg --quick-set-expire` does for
 * the primary key, and applies the same date to the subkey that signs (when a subkey does),
 * so the key's signing capability ends when the key does. Returns a new key.
 */
export async function setKeyExpiry(key: openpgp.PrivateKey, expires: Date | null, date: Date): Promise<openpgp.PrivateKey> {
  const primary = key.keyPacket as SecretPacket;
  // Threat: a date wrapping the 32-bit field would make the key expire at a random time.
  const seconds = secondsAfter(primary.created, expires);
  if (seconds !== null && (seconds <= 0 || seconds > 0xffffffff)) {
    throw new KeyStoreError('EXPIRY_INVALID', 'the expiry date must be after the key was created and before 2106');
  }
  // The subkey that signs now, chosen before the change (as unlock would choose it).
  let signing: openpgp.Key | openpgp.Subkey;
  try {
    signing = await selectSigningKey(key, new Date(Math.max(date.getTime(), primary.created.getTime())));
  } catch {
    signing = key; // an expired key being extended: only the primary is re-signed
  }
  const updated = (key as unknown as { clone(deep: boolean): openpgp.PrivateKey }).clone(true);
  let made = 0;
  for (const user of updated.users) {
    const current = latest(user.selfCertifications);
    if (current === undefined || user.userID === null) continue;
    // Replaces the older self-signatures: with two made in the same second, which one a
    // verifier takes would be a coin toss.
    user.selfCertifications = [await resign(current, primary, { userID: user.userID, key: primary }, seconds, date)];
    made++;
  }
  if (made === 0) throw new KeyStoreError('KEY_MALFORMED', 'the key has no user ID self-signature to carry the new expiry');
  if (signing !== key) {
    const sub = updated.subkeys.find((s) => s.getFingerprint() === signing.getFingerprint());
    const current = sub === undefined ? undefined : latest(sub.bindingSignatures);
    if (sub !== undefined && current !== undefined) {
      const subSeconds = secondsAfter(sub.keyPacket.created, expires);
      if (subSeconds !== null && subSeconds <= 0) throw new KeyStoreError('EXPIRY_INVALID', 'the expiry date must be after the signing subkey was created');
      sub.bindingSignatures = [await resign(current, primary, { key: primary, bind: sub.keyPacket }, subSeconds, date)];
    }
  }
  return updated;
}

export interface Revocation {
  /** The key with its revocation signature (secret part still decrypted). */
  readonly key: openpgp.PrivateKey;
  /** Armored revocation certificate, as `gpg --import` takes it. */
  readonly certificate: string;
}

export async function revokePrivateKey(key: openpgp.PrivateKey, reason: RevocationReason, date: Date): Promise<Revocation> {
  const primary = key.keyPacket as SecretPacket;
  const sig = new openpgp.SignaturePacket();
  sig.signatureType = openpgp.enums.signature.keyRevocation;
  sig.publicKeyAlgorithm = primary.algorithm;
  // SHA-512 for RSA, SHA-256 for EdDSA: what gpg 2.2 (and our signer) use.
  sig.hashAlgorithm = primary.algorithm === openpgp.enums.publicKey.eddsaLegacy ? openpgp.enums.hash.sha256 : openpgp.enums.hash.sha512;
  sig.reasonForRevocationFlag = REASON_FLAGS[reason];
  sig.reasonForRevocationString = `${reason} (signet-server admin key revoke)`;
  nonCritical(sig, [SUBPACKET_REVOCATION_REASON]);
  const sign = sig.sign as unknown as (key: SecretPacket, data: SignData, date: Date, detached: boolean, config: openpgp.Config) => Promise<void>;
  await sign.call(sig, primary, { key: primary }, date, false, openpgp.config);
  const revoked = (key as unknown as { clone(deep: boolean): openpgp.PrivateKey }).clone(true);
  revoked.revocationSignatures.push(sig);
  if (!(await revoked.isRevoked(undefined, undefined, date))) throw new KeyStoreError('SIGN_FAILED', 'the revocation signature made does not verify');
  const certificate = await revoked.getRevocationCertificate(date);
  if (typeof certificate !== 'string') throw new KeyStoreError('SIGN_FAILED', 'openpgp.js made no revocation certificate');
  return { key: revoked, certificate };
}
