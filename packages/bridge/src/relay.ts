import type { WebSocket, RawData } from 'ws';

/** Pause reading a side while the other side has more than this queued, bytes. */
const HIGH_WATER = 1024 * 1024;

export interface RelayStats {
  /** Bytes from client to server. */
  up: number;
  /** Bytes from server to client. */
  down: number;
}

/**
 * Couples a client link and a server link: every binary message from one is sent, as the
 * same Buffer, to the other. The bridge cannot read these bytes (they are inner TLS
 * records) and never tries to. A text frame from an endpoint after pairing is a protocol
 * violation and ends the session. Closing either side closes the other.
 *
 * Backpressure: a side is paused while the other has more than HIGH_WATER bytes queued,
 * so a slow reader costs the bridge bounded memory.
 */
export function relay(client: WebSocket, server: WebSocket, onEnd: (stats: RelayStats, reason: string) => void): void {
  const stats: RelayStats = { up: 0, down: 0 };
  let ended = false;

  const end = (reason: string): void => {
    if (ended) return;
    ended = true;
    for (const ws of [client, server]) {
      if (ws.readyState === 0 || ws.readyState === 1) ws.close(1000, reason.slice(0, 100));
    }
    onEnd(stats, reason);
  };

  const pipe = (from: WebSocket, to: WebSocket, count: (n: number) => void): void => {
    from.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        end('protocol: text frame during relay');
        return;
      }
      const buf = data as Buffer;
      count(buf.length);
      if (to.readyState !== 1) return;
      to.send(buf, { binary: true }, () => {
        if (to.bufferedAmount < HIGH_WATER) from.resume();
      });
      if (to.bufferedAmount >= HIGH_WATER) from.pause();
    });
    from.on('close', () => end('peer closed'));
    from.on('error', () => end('peer error'));
  };

  pipe(client, server, (n) => (stats.up += n));
  pipe(server, client, (n) => (stats.down += n));
}
