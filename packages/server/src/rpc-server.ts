import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { isSignetError } from '@signet/protocol';
import { encodeFrame, FrameDecoder, Request, type FrameLimits } from '@signet/protocol/e2e';
import type { Handler } from './handler.ts';

/** Answers queued for a client that does not read them, bytes, before reading stops. */
const MAX_UNREAD_ANSWERS = 1024 * 1024;

/** Server codes a client may retry after backing off. */
const RETRYABLE = new Set(['SERVER_BUSY']);

/** A counter shared by all sessions: requests in flight across the server. */
export interface InFlightGate {
  tryEnter(): boolean;
  leave(): void;
}

export function createInFlightGate(max: number): InFlightGate {
  let n = 0;
  return {
    tryEnter: () => (n < max ? (n++, true) : false),
    leave: () => void n--,
  };
}

export interface RpcLimits extends FrameLimits {
  maxInFlight: number;
  /** Close the session after this long with nothing in flight and nothing received. */
  idleMs: number;
  /** Largest attachment per operation; a larger one is refused before it is buffered. */
  binLimit: (op: string) => number;
}

/**
 * Serves one client session: reads frames from the inner TLS socket, validates each
 * request against the protocol schema, runs up to `maxInFlight` at once (a client
 * pipelines, it never waits a round trip per package), and writes each response as it
 * completes, tagged with its request id.
 */
export function serveRpc(socket: TLSSocket, handler: Handler, limits: RpcLimits, gate: InFlightGate, log: Logger): Promise<void> {
  const decoder = new FrameDecoder(limits, {
    binLimit: (json) => limits.binLimit(typeof (json as { op?: unknown })?.op === 'string' ? (json as { op: string }).op : ''),
  });
  let inFlight = 0;

  // Answers are never buffered without bound: a client that does not read its answers
  // stops being read from (and so stops making work) until it catches up.
  let stalled = false;
  // Answers completed in the same turn of the event loop (one committed audit batch releases
  // many signatures at once) are written together: one TLS record, one link message and one
  // system call for the burst instead of one each per answer.
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const send = (message: unknown, bin?: Buffer): void => {
    if (socket.destroyed) return;
    if (!corked) {
      corked = true;
      socket.cork();
      // After every promise continuation of this turn has run, so the whole burst is in.
      process.nextTick(uncork);
    }
    for (const part of encodeFrame(message, bin)) socket.write(part);
    if (socket.writableLength > MAX_UNREAD_ANSWERS && !stalled) {
      stalled = true;
      socket.pause();
      socket.once('drain', () => {
        stalled = false;
        if (inFlight < limits.maxInFlight) socket.resume();
      });
    }
  };

  const run = async (json: unknown, bin: Buffer, oversized: number | undefined): Promise<void> => {
    const parsed = Request.safeParse(json);
    if (!parsed.success) {
      const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : 0;
      send({ t: 'res', id, ok: false, error: { code: 'BAD_REQUEST', message: 'request does not match the protocol', retryable: false } });
      return;
    }
    const req = parsed.data;
    if (oversized !== undefined) {
      const message = `attachment of ${oversized} bytes exceeds this server's limit for ${req.op} (${limits.binLimit(req.op)} bytes); it was not read`;
      send({ t: 'res', id: req.id, ok: false, error: { code: 'REQUEST_TOO_LARGE', message, retryable: false } });
      return;
    }
    // Past the server-wide limit the answer is "busy, retry later", never a queue.
    if (!gate.tryEnter()) {
      send({ t: 'res', id: req.id, ok: false, error: { code: 'SERVER_BUSY', message: 'the server has too many requests in flight; retry later', retryable: true } });
      return;
    }
    try {
      const { result, bin: out } = await handler(req, bin);
      send({ t: 'res', id: req.id, ok: true, result }, out);
    } catch (err) {
      if (isSignetError(err)) {
        send({ t: 'res', id: req.id, ok: false, error: { code: err.code, message: err.message.slice(0, 2048), retryable: RETRYABLE.has(err.code) } });
      } else {
        // Unexpected failures stay in the server log; the wire gets no internals.
        log.error({ err, op: req.op }, 'request failed');
        send({ t: 'res', id: req.id, ok: false, error: { code: 'INTERNAL', message: 'internal server error; see the server log', retryable: true } });
      }
    } finally {
      gate.leave();
    }
  };

  // Idle deadline: a session that holds a server link and asks nothing is ended.
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdle = (): void => {
    clearTimeout(idleTimer);
    if (inFlight > 0) return;
    idleTimer = setTimeout(() => {
      log.info({ event: 'session-idle', idleMs: limits.idleMs }, 'session idle; closing it');
      socket.destroy();
    }, limits.idleMs);
    idleTimer.unref();
  };
  armIdle();

  return new Promise((resolve) => {
    socket.once('close', () => clearTimeout(idleTimer));
    socket.on('data', (chunk: Buffer) => {
      armIdle();
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
        clearTimeout(idleTimer);
        void run(frame.json, frame.bin, frame.oversized).finally(() => {
          inFlight--;
          if (inFlight === 0) armIdle();
          if (inFlight < limits.maxInFlight && !stalled && socket.isPaused()) socket.resume();
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
