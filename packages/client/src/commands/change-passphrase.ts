import type { RpcClient } from '../rpc-client.ts';
import { ClientError } from '../errors.ts';

/** Shortest new access passphrase accepted here (the server applies its own rule too). */
export const MIN_NEW_PASSPHRASE = 8;

/**
 * `signet change-passphrase KEY`: the user re-wraps their own access to a key under a new
 * passphrase. Both passphrases travel only inside the end-to-end session.
 */
export async function changePassphrase(rpc: RpcClient, key: string, current: string, next: string): Promise<void> {
  if (next.length < MIN_NEW_PASSPHRASE) {
    throw new ClientError('USAGE', `the new passphrase must have at least ${MIN_NEW_PASSPHRASE} characters`);
  }
  if (next === current) throw new ClientError('USAGE', 'the new passphrase is the same as the current one');
  await rpc.call('change-passphrase', { key, passphrase: current, newPassphrase: next });
}
