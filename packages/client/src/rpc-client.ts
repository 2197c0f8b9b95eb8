import type { TLSSocket } from 'node:tls';
import { encodeFrame, FrameDecoder, Response, Results, type Op, type Result } from '@signet/protocol/e2e';
import { ClientError, RemoteError } from './errors.ts';

interface Pending {
  op: Op;
  resolve: (value: { result: unknown; bin: Buffer }) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Request parameters by operation (what the schema holds beside t, id and op). */
type Params<O extends Op> = Omit<Extract<import('@signet/protocol/e2e').Request, { op: O }>, 't' | 'id' | 'op'>;

/**
 * One end-to-end session: requests are tagged with ids and pipelined, responses matched
 * by id and validated against the schema of their operation before anyone sees them.
 */
export class RpcClient {
  readonly #socket: TLSSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #requestTimeoutMs: number;
  #nextId = 1;
  #closed: Error | undefined;

  constructor(socket: TLSSocket, opts: { requestTimeoutMs: number; maxBin: number }) {
    this.#socket = socket;
    this.#requestTimeoutMs = opts.requestTimeoutMs;
    const decoder = new FrameDecoder({ maxJson: 16 * 1024 * 1024, maxBin: opts.maxBin });
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) this.#onFrame(frame.json, frame.bin);
      } catch (err) {
        this.#fail(new ClientError('BAD_RESPONSE', `server broke the protocol: ${(err as Error).message}`));
        socket.destroy();
      }
    });
    socket.on('close', () => this.#fail(new ClientError('SESSION_CLOSED', 'the session with the server closed')));
    // A TLS socket over a relayed stream reports an integrity failure (a tampered record)
    // as 'error' and is not destroyed by it: end the session now, not at the request timeout.
    socket.on('error', (err) => {
      this.#fail(new ClientError('SESSION_CLOSED', `the session with the server failed: ${err.message}`, { cause: err }));
      socket.destroy();
    });
  }

  call<O extends Op>(op: O, params: Params<O>, bin?: Buffer): Promise<{ result: Result<O>; bin: Buffer }> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ClientError('TIMEOUT', `${op} got no answer within ${this.#requestTimeoutMs} ms`));
      }, this.#requestTimeoutMs);
      this.#pending.set(id, { op, resolve: resolve as Pending['resolve'], reject, timer });
      this.#socket.cork();
      for (const part of encodeFrame({ t: 'req', id, op, ...params }, bin)) this.#socket.write(part);
      this.#socket.uncork();
    });
  }

  close(): void {
    this.#socket.end();
  }

  #onFrame(json: unknown, bin: Buffer): void {
    const parsed = Response.safeParse(json);
    if (!parsed.success) throw new Error('response does not match the protocol');
    const res = parsed.data;
    const pending = this.#pending.get(res.id);
    if (!pending) throw new Error(`response to unknown request ${res.id}`);
    this.#pending.delete(res.id);
    clearTimeout(pending.timer);
    if (!res.ok) {
      pending.reject(new RemoteError(res.error.code, res.error.message, res.error.retryable));
      return;
    }
    const result = Results[pending.op].safeParse(res.result);
    if (!result.success) {
      pending.reject(new ClientError('BAD_RESPONSE', `server's ${pending.op} result does not match the protocol`));
      return;
    }
    pending.resolve({ result: result.data, bin });
  }

  #fail(err: Error): void {
    this.#closed ??= err;
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.#pending.delete(id);
    }
  }
}
