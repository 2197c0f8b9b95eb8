import * as openpgp from 'openpgp';
import type { ClientConfig } from './config.ts';
import { openSession } from './connect.ts';
import type { RpcClient } from './rpc-client.ts';
import { readPublicKey } from './openpgp/verify.ts';
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
 * for this session with the user's access passphrase. The passphrase travels only inside
 * the end-to-end session.
 */
export async function unlockKey(rpc: RpcClient, key: string, passphrase: string): Promise<SigningKey> {
  const { result: pub } = await rpc.call('get-public-key', { key });
  const publicKey = await readPublicKey(pub.armored);
  await rpc.call('unlock', { key, passphrase });
  return { info: pub.key, publicKey };
}
