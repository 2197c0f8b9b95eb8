import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { issueCertificate } from './certificate.ts';
import { PkiError } from './errors.ts';
import { CERT_FILE_MODE, KEY_FILE_MODE, makeDir, readText, stageAtomic, writeAtomic, type StagedFile } from './files.ts';
import { indexEntryFor, serializeIndex, type IndexEntry, type PkiIndex } from './index-file.ts';
import { generateRsaKeyPair, type KeyBits, type KeyPair } from './keys.ts';
import { MAX_PEM_BYTES } from './layout.ts';
import { withIndexLock } from './lock.ts';
import { currentEntriesFor } from './select.ts';
import { checkCurrentCa, readCaDir, readIndex } from './store.ts';

export interface RenewOptions {
  /** The name the certificate was issued for (its CN). */
  name: string;
  /** Lifetime of the new certificate; default 365 days. */
  days?: number;
  /** Size of the new key; default 3072. Not with `reuseKey`. */
  keyBits?: KeyBits;
  /** Keep the current private key: only the certificate changes. */
  reuseKey?: boolean;
  /** A pre-generated key pair (tests). */
  keyPair?: KeyPair;
  now?: Date;
}

export interface RenewResult {
  certPath: string;
  keyPath: string;
  entry: IndexEntry;
  /** The entry renewed, now superseded by `entry`. */
  previous: IndexEntry;
}

/**
 * `signet-pki renew`: a fresh certificate, from the current CA, with the role, name and
 * SANs of the newest certificate issued for `name`, written over its files. Each file is
 * replaced atomically, so the deployed certificate and key stay readable until the new
 * ones are in place. The old certificate stays valid until it expires (or is revoked).
 */
export function renewInDir(dir: string, opts: RenewOptions): RenewResult {
  if (opts.reuseKey && (opts.keyBits !== undefined || opts.keyPair !== undefined)) {
    throw new PkiError('PKI_USAGE', '--reuse-key keeps the current key; --key-bits does not apply');
  }
  const now = opts.now ?? new Date();
  const { paths, ca, index: before } = readCaDir(dir);
  // Fails fast on an unknown name, before a key is generated.
  currentEntriesFor(before, opts.name);
  // Key generation can take seconds; do it before taking the index lock.
  const fresh = opts.reuseKey ? undefined : (opts.keyPair ?? generateRsaKeyPair(opts.keyBits));
  return withIndexLock(paths.indexPath, () => {
    const index = readIndex(paths);
    checkCurrentCa(ca.certPem, index);
    const current = currentEntriesFor(index, opts.name);
    const target = current[current.length - 1] as IndexEntry;
    const certPath = path.resolve(dir, target.path);
    const keyPath = certPath.replace(/\.crt$/, '') + '.key';
    const keyPair = fresh ?? reusableKey(target, certPath, keyPath);
    const issued = issueCertificate(ca, {
      role: target.role,
      name: target.name,
      // client and server certificates carry exactly their name; only bridges have extra SANs.
      ...(target.role === 'bridge' ? { dns: target.dns, ip: target.ip } : {}),
      ...(opts.days !== undefined ? { days: opts.days } : {}),
      keyPair,
      now,
    });
    makeDir(path.dirname(certPath));
    // Both files are written in full before either replaces the deployed one.
    const staged: StagedFile[] = [];
    try {
      if (fresh !== undefined) staged.push(stageAtomic(keyPath, issued.keyPem, KEY_FILE_MODE));
      staged.push(stageAtomic(certPath, issued.certPem, CERT_FILE_MODE));
    } catch (err) {
      for (const s of staged) s.abort();
      throw err;
    }
    for (const s of staged) s.commit();
    const entry = indexEntryFor(issued, { issuedAt: now, path: target.path, issuer: index.ca.serial });
    const updated: PkiIndex = {
      ...index,
      issued: [...index.issued.map((e) => (e.serial === target.serial ? { ...e, supersededBy: entry.serial } : e)), entry],
    };
    writeAtomic(paths.indexPath, serializeIndex(updated));
    return { certPath, keyPath, entry, previous: { ...target, supersededBy: entry.serial } };
  });
}

/** The deployed key of `target`, checked to be the key of that very certificate. */
function reusableKey(target: IndexEntry, certPath: string, keyPath: string): KeyPair {
  // Threat: re-certifying a key the CA was told is no longer trustworthy.
  if (target.revoked !== undefined) {
    throw new PkiError('PKI_KEY_REVOKED', `certificate ${target.serial} was revoked (${target.revoked.reason}); renew without --reuse-key`);
  }
  const keyPem = readText(keyPath, MAX_PEM_BYTES);
  const certPem = readText(certPath, MAX_PEM_BYTES);
  if (keyPem === undefined || certPem === undefined) {
    throw new PkiError('PKI_BAD_KEY', `--reuse-key needs ${certPath} and ${keyPath}; renew without --reuse-key`);
  }
  let privateKey: KeyObject;
  let cert: X509Certificate;
  try {
    privateKey = createPrivateKey(keyPem);
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new PkiError('PKI_BAD_KEY', `${keyPath} or ${certPath} cannot be parsed; renew without --reuse-key`, { cause: err });
  }
  // Threat: certifying whatever key happens to sit at the path, e.g. one planted there.
  if (cert.serialNumber !== target.serial || !cert.checkPrivateKey(privateKey)) {
    throw new PkiError('PKI_BAD_KEY', `${keyPath} is not the key of certificate ${target.serial}; renew without --reuse-key`);
  }
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
