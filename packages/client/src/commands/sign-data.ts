import { openSync, fstatSync, readSync, closeSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { ClientError } from '../errors.ts';
import { verifyDetachedSignature } from '../openpgp/verify.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import type { RetryPolicy } from '../retry.ts';
import { onLiveSession, type SessionKeeper } from '../session-keeper.ts';

export interface SignDataOptions {
  input: string;
  output: string;
  armor: boolean;
  maxDataBytes: number;
  retry: RetryPolicy;
}

/**
 * `signet sign-data`: a detached OpenPGP signature over a file (e.g. repomd.xml →
 * repomd.xml.asc). The signature is verified before the output file appears.
 */
export async function signData(keeper: SessionKeeper, opts: SignDataOptions): Promise<void> {
  const data = readBounded(opts.input, opts.maxDataBytes);
  const packet = await onLiveSession(keeper, opts.retry, async (session) => {
    const { bin } = await session.rpc.call('sign-data', { key: session.key.info.name }, data);
    await verifyDetachedSignature(bin, data, session.key.publicKey, session.key.info.keyId);
    return bin;
  });
  const out = opts.armor ? (await openpgp.readSignature({ binarySignature: packet })).armor() : packet;
  writeFileAtomic(opts.output, out);
}

function readBounded(file: string, max: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > max) throw new ClientError('INPUT_TOO_LARGE', `${file} is ${size} bytes; limits.maxDataBytes is ${max}`);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
