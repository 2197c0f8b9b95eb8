import { BoundedReadError, readFileBounded } from '@signet/protocol';
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

/**
 * The file to sign, whole, as it is: a regular file of at most `max` bytes (the shared
 * bounded reader). Threat: a FIFO, a device or a /proc file reports a size unrelated to
 * what it yields, and a file changed under us is cut short: either would sign other data
 * than the file's content as if it were it.
 */
function readBounded(file: string, max: number): Buffer {
  try {
    return readFileBounded(file, max).data;
  } catch (err) {
    if (!(err instanceof BoundedReadError)) throw err;
    if (err.reason === 'not-regular') throw new ClientError('USAGE', `${file} is not a regular file; sign-data signs regular files only`);
    if (err.reason === 'too-large') throw new ClientError('INPUT_TOO_LARGE', `${file} is ${err.size} bytes; limits.maxDataBytes is ${max}`);
    throw new ClientError('INPUT_CHANGED', `${file} changed while it was read (or is not a plain file: its size said ${err.size} bytes); sign it when nothing writes it`);
  }
}
