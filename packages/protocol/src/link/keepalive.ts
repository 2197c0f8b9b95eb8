import type { WebSocket } from 'ws';
import { z } from 'zod';

/**
 * Keepalive settings, the same three keys in every party's config (`keepalive`).
 * Defaults suit firewalls that expire idle flows after a few minutes.
 */
export const KeepaliveConfig = z
  .strictObject({
    /** WebSocket ping sent on every link this party holds, every intervalMs; 0 turns heartbeats off. */
    intervalMs: z.number().int().min(0).max(3_600_000).default(15_000),
    /**
     * A link with no inbound frame (message, ping or pong) for this long is dead: it is
     * terminated (and, on the server, redialled). With heartbeats off it is an idle deadline.
     */
    deadAfterMs: z.number().int().min(500).max(86_400_000).default(45_000),
    /** TCP keepalive initial delay on every socket; 0 turns it off. */
    tcpKeepAliveMs: z.number().int().min(0).max(3_600_000).default(15_000),
  })
  // A deadline shorter than two heartbeats would declare healthy idle links dead.
  .refine((k) => k.intervalMs === 0 || k.deadAfterMs >= 2 * k.intervalMs, {
    message: 'keepalive.deadAfterMs must be at least twice keepalive.intervalMs (or set intervalMs to 0)',
    path: ['deadAfterMs'],
  })
  .prefault({});
export type KeepaliveConfig = z.infer<typeof KeepaliveConfig>;

export type LivenessVerdict = { ping: boolean; dead: boolean; silentMs: number };

/**
 * The pure clock behind a link's keepalive: when to ping, when the peer is dead. Any
 * inbound frame proves the peer alive; a ping is due every `intervalMs`.
 */
export class Liveness {
  readonly #opts: Pick<KeepaliveConfig, 'intervalMs' | 'deadAfterMs'>;
  #lastInbound: number;
  #lastPing: number;

  constructor(opts: Pick<KeepaliveConfig, 'intervalMs' | 'deadAfterMs'>, now: number) {
    this.#opts = opts;
    this.#lastInbound = now;
    this.#lastPing = now;
  }

  get lastInbound(): number {
    return this.#lastInbound;
  }

  inbound(now: number): void {
    this.#lastInbound = now;
  }

  tick(now: number): LivenessVerdict {
    const silentMs = now - this.#lastInbound;
    const dead = silentMs >= this.#opts.deadAfterMs;
    const ping = !dead && this.#opts.intervalMs > 0 && now - this.#lastPing >= this.#opts.intervalMs;
    if (ping) this.#lastPing = now;
    return { ping, dead, silentMs };
  }
}

export interface LinkWatch {
  /** Time of the last inbound frame (ms since the epoch). */
  lastInboundAt(): number;
  stop(): void;
}

/** How often the clock is consulted: fine enough for the shortest deadline, at most 1 s. */
export function tickInterval(opts: Pick<KeepaliveConfig, 'intervalMs' | 'deadAfterMs'>): number {
  const candidates = [1000, opts.deadAfterMs / 4];
  if (opts.intervalMs > 0) candidates.push(opts.intervalMs / 2);
  return Math.max(50, Math.floor(Math.min(...candidates)));
}

/**
 * Keeps a WebSocket link honest: pings it every `intervalMs` and terminates it when
 * nothing has come in for `deadAfterMs`, calling `onDead` first. A stateful firewall that
 * dropped the flow silently is found within `deadAfterMs` instead of minutes of TCP
 * retransmission; the heartbeats themselves keep the firewall's flow state alive.
 */
export function watchLink(ws: WebSocket, opts: KeepaliveConfig, onDead: (silentMs: number) => void, clock: () => number = Date.now): LinkWatch {
  const liveness = new Liveness(opts, clock());
  const seen = (): void => liveness.inbound(clock());
  ws.on('message', seen);
  ws.on('ping', seen);
  ws.on('pong', seen);
  const timer = setInterval(() => {
    if (ws.readyState !== 1) return;
    const v = liveness.tick(clock());
    if (v.dead) {
      stop();
      onDead(v.silentMs);
      ws.terminate();
    } else if (v.ping) {
      ws.ping();
    }
  }, tickInterval(opts));
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    ws.off('message', seen);
    ws.off('ping', seen);
    ws.off('pong', seen);
  };
  ws.once('close', stop);
  return { lastInboundAt: () => liveness.lastInbound, stop };
}

/** Pings a link and resolves whether a pong came back within `timeoutMs`. */
export function probeLink(ws: WebSocket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (ws.readyState !== 1) return resolve(false);
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      ws.off('pong', onPong);
      ws.off('close', onClose);
      resolve(alive);
    };
    const onPong = (): void => done(true);
    const onClose = (): void => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.ping();
  });
}
