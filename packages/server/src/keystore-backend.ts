import type { KeyInfo as WireKeyInfo } from '@signet/protocol/e2e';
import type { Backend, SignatureAudit, UnlockedKey } from './backend.ts';
import type { KeyStore, KeyInfo } from './keystore/index.ts';

/** What clients may know of a key: never its users, grants or anything secret. */
function toWire(k: KeyInfo): WireKeyInfo {
  return {
    name: k.name,
    fingerprint: k.fingerprint,
    keyId: k.keyId,
    algorithm: k.algorithm,
    created: k.created,
    expires: k.expires,
  };
}

/**
 * Group commit for signature audit rows. Rows that arrive while the event loop is busy
 * (signatures complete in bursts from the thread pool) are written together in one
 * transaction, with one fsync, instead of one fsync per signature. Each caller's promise
 * resolves only when its row is durable, so no signature leaves before its record; if
 * the write fails, every caller of that batch gets the error and no signature is sent.
 * Each row is checked as it joins, by `check` (the key store's own check, which its write
 * then recognises instead of repeating): an invalid row rejects its own caller only.
 * Threat: one caller's invalid row failing the batch, and so other users' signatures.
 */
const MAX_AUDIT_BATCH = 1024;

export function auditBatcher<Row>(check: (entry: SignatureAudit) => Row, write: (rows: Row[]) => void): (entry: SignatureAudit) => Promise<void> {
  let pending: { row: Row; resolve: () => void; reject: (err: unknown) => void }[] = [];
  const flush = (): void => {
    // Bounded transactions: a larger backlog is written in several batches, in order.
    const batch = pending.slice(0, MAX_AUDIT_BATCH);
    pending = pending.slice(batch.length);
    if (pending.length > 0) setImmediate(flush);
    try {
      write(batch.map((p) => p.row));
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  };
  return (entry) =>
    new Promise<void>((resolve, reject) => {
      const row = check(entry);
      if (pending.length === 0) setImmediate(flush);
      pending.push({ row, resolve, reject });
    });
}

/** Connects sessions to the SQLite key store. */
export function keyStoreBackend(store: KeyStore, serverName: string): Backend {
  return {
    serverName,
    listKeys: () => store.listKeys().map(toWire),
    publicKey: (name) => ({ info: toWire(store.getKey(name)), armored: store.publicKeyArmored(name) }),
    async unlock(key, user, passphrase): Promise<UnlockedKey> {
      const signer = await store.unlock(key, user, passphrase);
      let info: WireKeyInfo;
      try {
        info = toWire(store.getKey(key));
      } catch (err) {
        signer.dispose(); // the key went away meanwhile: it leaves memory now, not at session end
        throw err;
      }
      return { info, sign: (data) => signer.sign(data), dispose: () => signer.dispose() };
    },
    changePassphrase: (key, user, passphrase, newPassphrase) => store.changePassphrase(key, user, passphrase, newPassphrase),
    recordSignature: auditBatcher((entry) => store.checkAudit(entry), (rows) => void store.recordAudits(rows)),
  };
}
