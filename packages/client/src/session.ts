import * as openpgp from 'openpgp';
import type { ClientConfig } from './config.ts';
import { openSession } from './connect.ts';
import type { RpcClient } from './rpc-client.ts';
import { readPublicKey } from './openpgp/verify.ts';
import { nativePublicKey } from './openpgp/native-key.ts';
import type { KeyInfo } from '@signet/protocol/e2e';

/** Runs `fn` with an open end-to-end session and closes it afterwards, whatever happens. */
export async function withSession<T>(config: ClientConfig, fn: (rpc: RpcClient) => Promise<T>): Promise<T> {
  const rpc = await openSession(config);
  try {
    return await fn(rpc);
  } finally {
    rpc.close();
  }
}

export interface SigningKey {
  info: KeyInfo;
  publicKey: openpgp.PublicKey;
}

/**
 * Fetches the key's public half (to verify every signature against) and unlocks the key
 * for this session with the user's access passphrase, both in flight together. The passphrase travels only inside
 * the end-to-end session.
 */
export async function unlockKey(rpc: RpcClient, key: string, passphrase: string): Promise<SigningKey> {
  // Both requests at once: the public key is fetched, parsed and readied for verification
  // while the server runs the unlock's Argon2id (the slowest step of a session's start).
  const fetched = rpc.call('get-public-key', { key }).then(async ({ result: pub }) => {
    const publicKey = await readPublicKey(pub.armored);
    // Warm-up only: a key the native verifier cannot use is reported by the first verification.
    await nativePublicKey(publicKey, pub.key.keyId).catch(() => undefined);
    return { info: pub.key, publicKey };
  });
  const unlocked = rpc.call('unlock', { key, passphrase });
  const [signing] = await Promise.all([fetched, unlocked]);
  return signing;
}
