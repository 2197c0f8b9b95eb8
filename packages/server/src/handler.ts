import { createHash, randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION, type Request, type Result, type Op } from '@signet/protocol/e2e';
import type { Backend, UnlockedKey } from './backend.ts';
import { ServerError } from './errors.ts';
import { describeRpmHeader } from './rpm-subject.ts';

export type Handler = (req: Request, bin: Buffer) => Promise<{ result: Result<Op>; bin?: Buffer }>;

export interface HandlerLimits {
  maxHeaderBytes: number;
  maxDataBytes: number;
}

/** A session's handler; close() ends it (server.ts calls it when the session ends). */
export type SessionHandler = Handler & { close(): void };

/** The handler of a session refused for load: every request is answered SERVER_BUSY. */
export function busyHandler(why: string): SessionHandler {
  const handler: Handler = async () => {
    throw new ServerError('SERVER_BUSY', why);
  };
  return Object.assign(handler, { close: () => undefined });
}

/**
 * The request handler of one client session. The user is the common name of the inner
 * TLS client certificate, fixed for the session; unlocked keys live in this closure only
 * and are gone when the session ends: close() disposes them, and every later request
 * (one still queued, or an unlock that completes afterwards) is refused SESSION_CLOSED.
 */
export function createHandler(user: string, backend: Backend, limits: HandlerLimits): SessionHandler {
  const unlocked = new Map<string, UnlockedKey>();
  let closed = false;

  const ensureOpen = (): void => {
    if (closed) throw new ServerError('SESSION_CLOSED', 'this session has ended; open a new session and unlock the key again');
  };

  // Threat: secret key material outliving its session in memory, and a request still
  // in flight signing with a key after the session that unlocked it is gone.
  const close = (): void => {
    closed = true;
    for (const key of unlocked.values()) key.dispose();
    unlocked.clear();
  };

  const keyFor = (name: string): UnlockedKey => {
    const key = unlocked.get(name);
    if (!key) throw new ServerError('KEY_LOCKED', `key '${name}' is not unlocked in this session; send unlock first`);
    return key;
  };

  const signAndRecord = async (key: UnlockedKey, data: Buffer, kind: 'rpm-header' | 'data', subject: string): Promise<Buffer> => {
    const packet = await key.sign(data);
    // No signature without its audit record: the row is durable before the packet leaves.
    // (A signature that completes after the session closed is still recorded: it was made.)
    await backend.recordSignature({
      user,
      keyFingerprint: key.info.fingerprint,
      kind,
      subject,
      sha256: createHash('sha256').update(data).digest('hex'),
      requestId: randomUUID(),
    });
    // Closed meanwhile: recorded, but not sent.
    ensureOpen();
    return packet;
  };

  const handler: Handler = async (req, bin) => {
    ensureOpen();
    switch (req.op) {
      case 'hello':
        return { result: { version: PROTOCOL_VERSION, server: backend.serverName } };
      case 'ping':
        return { result: { time: new Date().toISOString() } };
      case 'whoami':
        return { result: { user } };
      case 'list-keys':
        return { result: { keys: backend.listKeys() } };
      case 'get-public-key': {
        const { info, armored } = backend.publicKey(req.key);
        return { result: { key: info, armored } };
      }
      case 'unlock': {
        const key = await backend.unlock(req.key, user, req.passphrase);
        // Unlocked after the session ended: forget it at once.
        if (closed) key.dispose();
        ensureOpen();
        unlocked.set(req.key, key);
        return { result: { key: key.info } };
      }
      case 'sign-rpm-header': {
        const key = keyFor(req.key);
        if (bin.length > limits.maxHeaderBytes) {
          throw new ServerError('REQUEST_TOO_LARGE', `header of ${bin.length} bytes exceeds limits.maxHeaderBytes (${limits.maxHeaderBytes})`);
        }
        // Only RPM main headers are signed as packages: the server parses what it signs,
        // so a client cannot pass off arbitrary data as a package, and the audit names it.
        const subject = describeRpmHeader(bin, limits.maxHeaderBytes);
        const packet = await signAndRecord(key, bin, 'rpm-header', subject);
        return { result: { keyId: key.info.keyId, subject }, bin: packet };
      }
      case 'change-passphrase': {
        await backend.changePassphrase(req.key, user, req.passphrase, req.newPassphrase);
        // A key unlocked under the old passphrase stays usable in this session only.
        return { result: { key: req.key } };
      }
      case 'sign-data': {
        const key = keyFor(req.key);
        if (bin.length > limits.maxDataBytes) {
          throw new ServerError('REQUEST_TOO_LARGE', `data of ${bin.length} bytes exceeds limits.maxDataBytes (${limits.maxDataBytes})`);
        }
        const packet = await signAndRecord(key, bin, 'data', `data:${bin.length} bytes`);
        return { result: { keyId: key.info.keyId }, bin: packet };
      }
    }
  };
  return Object.assign(handler, { close });
}
