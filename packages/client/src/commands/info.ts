import type { RpcClient } from '../rpc-client.ts';
import { PROTOCOL_VERSION, type KeyInfo } from '@signet/protocol/e2e';

/** `signet whoami`: the user name the server derived from our certificate. */
export async function whoami(rpc: RpcClient): Promise<string> {
  return (await rpc.call('whoami', {})).result.user;
}

/** `signet ping`: one round trip through the bridge to the server, timed. */
export async function ping(rpc: RpcClient): Promise<{ server: string; rttMs: number }> {
  const { result } = await rpc.call('hello', { version: PROTOCOL_VERSION });
  const t0 = performance.now();
  await rpc.call('ping', {});
  return { server: result.server, rttMs: performance.now() - t0 };
}

/** `signet list-keys`. */
export async function listKeys(rpc: RpcClient): Promise<KeyInfo[]> {
  return (await rpc.call('list-keys', {})).result.keys;
}

/** `signet get-public-key NAME`: the armored public key, as rpm imports it. */
export async function getPublicKey(rpc: RpcClient, key: string): Promise<string> {
  return (await rpc.call('get-public-key', { key })).result.armored;
}

export function formatKeys(keys: KeyInfo[]): string {
  if (keys.length === 0) return 'no keys\n';
  const rows = keys.map((k) => [k.name, k.keyId, k.algorithm, k.created.slice(0, 10), k.expires?.slice(0, 10) ?? 'never']);
  const head = ['NAME', 'KEY ID', 'ALGORITHM', 'CREATED', 'EXPIRES'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n') + '\n';
}
