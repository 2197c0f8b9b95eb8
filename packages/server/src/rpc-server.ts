import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { isSignetError } from '@signet/protocol';
import { encodeFrame, FrameDecoder, Request, type FrameLimits } from '@signet/protocol/e2e';
import type { Handler } from './handler.ts';

/**
 * Serves one client session: reads frames from the inner TLS socket, validates each
 * request against the protocol schema, runs up to `maxInFlight` at once (a client
 * pipelines, it never waits a round trip per package), and writes each response as it
 * completes, tagged with its request id.
 */
export function serveRpc(socket: TLSSocket, handler: Handler, limits: FrameLimits & { maxInFlight: number }, log: Logger): Promise<void> {
  const decoder = new FrameDecoder(limits);
  let inFlight = 0;

  const send = (message: unknown, bin?: Buffer): void => {
    if (socket.destroyed) return;
    socket.cork();
    for (const part of encodeFrame(message, bin)) socket.write(part);
    socket.uncork();
  };

  const run = async (json: unknown, bin: Buffer): Promise<void> => {
    const parsed = Request.safeParse(json);
    if (!parsed.success) {
      const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : 0;
      send({ t: 'res', id, ok: false, error: { code: 'BAD_REQUEST', message: 'request does not match the protocol', retryable: false } });
      return;
    }
    const req = parsed.data;
    try {
      const { result, bin: out } = await handler(req, bin);
      send({ t: 'res', id: req.id, ok: true, result }, out);
    } catch (err) {
      if (isSignetError(err)) {
        send({ t: 'res', id: req.id, ok: false, error: { code: err.code, message: err.message.slice(0, 2048), retryable: false } });
      } else {
        // Unexpected failures stay in the server log; the wire gets no internals.
        log.error({ err, op: req.op }, 'request failed');
        send({ t: 'res', id: req.id, ok: false, error: { code: 'INTERNAL', message: 'internal server error; see the server log', retryable: true } });
      }
    }
  };

  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        log.warn({ reason: (err as Error).message }, 'client broke the framing; closing session');
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        inFlight++;
        // Bound work per session: stop reading while too many requests are in flight.
        if (inFlight >= limits.maxInFlight) socket.pause();
        void run(frame.json, frame.bin).finally(() => {
          inFlight--;
          if (inFlight < limits.maxInFlight && socket.isPaused()) socket.resume();
        });
      }
    });
    socket.once('close', () => resolve());
    // A TLS socket over a relayed stream reports an integrity failure as 'error' and stays
    // open: end the session at once.
    socket.on('error', (err) => {
      log.warn({ reason: err.message }, 'session failed; closing it');
      socket.destroy();
      resolve();
    });
  });
}
