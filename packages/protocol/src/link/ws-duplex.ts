import { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { Control } from './control.ts';
import { LINK_CHUNK } from './control.ts';
import { ProtocolError } from '../protocol-error.ts';

/**
 * A byte stream over one WebSocket: binary frames carry the stream (the inner TLS
 * records), text frames carry bridge control messages, which are parsed and handed to
 * `onControl`. Both directions honour backpressure: a write completes when ws has handed
 * the bytes to the socket, and reading pauses the socket while the consumer is behind.
 */
export class WsDuplex extends Duplex {
  readonly #ws: WebSocket;
  readonly #onControl: (msg: Control) => void;
  /** Stream bytes received so far (binary frames only). */
  receivedBytes = 0;

  constructor(ws: WebSocket, onControl: (msg: Control) => void) {
    super({ allowHalfOpen: false });
    this.#ws = ws;
    this.#onControl = onControl;
    ws.on('message', (data: RawData, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on('close', () => {
      this.push(null);
      if (!this.destroyed) this.destroy();
    });
    ws.on('error', (err) => this.destroy(err));
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    // After destroy, drop what still arrives: pushing would pause the socket, and a paused
    // socket never reads the peer's close frame (the link would linger 30 s).
    if (this.destroyed) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (!isBinary) {
      let parsed;
      try {
        parsed = Control.safeParse(JSON.parse(buf.toString('utf8')));
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || !parsed.success) {
        this.destroy(new ProtocolError('MESSAGE_INVALID', 'bridge sent a malformed control message'));
        return;
      }
      this.#onControl(parsed.data);
      return;
    }
    this.receivedBytes += buf.length;
    if (!this.push(buf)) this.#ws.pause();
  }

  override _read(): void {
    this.#ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#ws.readyState !== 1) {
      cb(new ProtocolError('UNEXPECTED_MESSAGE', 'link closed while writing'));
      return;
    }
    // Cut the chunk into WebSocket messages no larger than LINK_CHUNK; the write is done
    // when the last piece has reached the socket.
    for (let offset = 0; offset < chunk.length; offset += LINK_CHUNK) {
      const piece = chunk.subarray(offset, offset + LINK_CHUNK);
      const last = offset + LINK_CHUNK >= chunk.length;
      this.#ws.send(piece, { binary: true }, last ? (err) => cb(err ?? null) : undefined);
    }
    if (chunk.length === 0) cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#ws.close(1000, 'done');
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.#ws.readyState === 0 || this.#ws.readyState === 1) {
      if (err) this.#ws.terminate();
      else this.#ws.close(1000, 'done');
    }
    cb(err);
  }
}
