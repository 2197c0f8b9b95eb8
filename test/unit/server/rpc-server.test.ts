import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '@signet/protocol/e2e';
import type { Handler } from '../../../packages/server/src/handler.ts';
import { createInFlightGate, serveRpc } from '../../../packages/server/src/rpc-server.ts';

/** A socket stand-in that records each write that reaches the wire (one TLS record each). */
class WireRecorder extends Duplex {
  readonly writes: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.writes.push(chunk);
    done();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: (err?: Error | null) => void): void {
    this.writes.push(Buffer.concat(chunks.map((c) => c.chunk)));
    done();
  }
}

const LIMITS = { maxJson: 65536, maxBin: 1 << 20, maxInFlight: 64, idleMs: 60_000, binLimit: () => 1 << 20 };

describe('serveRpc answers', () => {
  it('writes answers completed in the same turn together, each one whole and tagged with its id', async () => {
    const socket = new WireRecorder();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler: Handler = async (req) => {
      await released;
      return { result: { time: `answer ${req.id}` } as never, bin: Buffer.from(`sig ${req.id}`) };
    };
    const served = serveRpc(socket as unknown as TLSSocket, handler, LIMITS, createInFlightGate(100), pino({ level: 'silent' }));
    for (const id of [1, 2, 3]) socket.push(Buffer.concat(encodeFrame({ t: 'req', id, op: 'ping' })));
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.writes).toEqual([]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.writes).toHaveLength(1);
    const frames = new FrameDecoder().push(socket.writes[0] as Buffer);
    expect(frames.map((f) => [(f.json as { id: number }).id, f.bin.toString()])).toEqual([[1, 'sig 1'], [2, 'sig 2'], [3, 'sig 3']]);
    // An answer completed later goes out on its own, without waiting for more.
    socket.push(Buffer.concat(encodeFrame({ t: 'req', id: 4, op: 'ping' })));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.writes).toHaveLength(2);
    expect(new FrameDecoder().push(socket.writes[1] as Buffer).map((f) => (f.json as { id: number }).id)).toEqual([4]);
    socket.destroy();
    await served;
  });
});
