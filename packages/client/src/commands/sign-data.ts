import { openSync, fstatSync, readSync, closeSync, constants } from 'node:fs';
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
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer (no effect on regular files).
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const st = fstatSync(fd);
    // Threat: a FIFO or device reports size 0 (or a size unrelated to what it yields), so the
    // bounded read below would sign empty or partial data as if it were the file's content.
    if (!st.isFile()) throw new ClientError('USAGE', `${file} is not a regular file; sign-data signs regular files only`);
    const size = st.size;
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
