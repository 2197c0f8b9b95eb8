import type { KeyInfo as WireKeyInfo } from '@signet/protocol/e2e';
import type { Backend, UnlockedKey } from './backend.ts';
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

/** Connects sessions to the SQLite key store. */
export function keyStoreBackend(store: KeyStore, serverName: string): Backend {
  return {
    serverName,
    listKeys: () => store.listKeys().map(toWire),
    publicKey: (name) => ({ info: toWire(store.getKey(name)), armored: store.publicKeyArmored(name) }),
    async unlock(key, user, passphrase): Promise<UnlockedKey> {
      const signer = await store.unlock(key, user, passphrase);
      return { info: toWire(store.getKey(key)), sign: (data) => signer.sign(data) };
    },
    changePassphrase: (key, user, passphrase, newPassphrase) => store.changePassphrase(key, user, passphrase, newPassphrase),
    recordSignature: (entry) => void store.recordAudit(entry),
  };
}
