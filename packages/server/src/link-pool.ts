import type { Logger } from 'pino';
import type WebSocket from 'ws';
import { WsDuplex, watchLink, type KeepaliveConfig } from '@signet/protocol';
import { backoffDelay } from './backoff.ts';

export interface LinkPoolOptions {
  size: number;
  dial: () => Promise<WebSocket>;
  /**
   * Called when the bridge couples a link with a client; the link then belongs to the
   * session. Resolves when the session is over.
   */
  onPaired: (duplex: WsDuplex, session: string) => Promise<void>;
  /** Sessions at once; at the limit, slots stop offering links until one ends. */
  maxSessions: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Heartbeats on every link, idle or in a session; a silent link is declared dead. */
  keepalive: KeepaliveConfig;
  log: Logger;
}

/** A link open at least this long counts as healthy when it later closes. */
const HEALTHY_LINK_MS = 5_000;

/**
 * Keeps `size` idle links open to the bridge, each waiting to serve one client session.
 * When a link is paired it is handed over and its slot dials a fresh one at once, so
 * sessions never wait for a dial. A failed dial, or an idle link that dies, is redialled
 * with capped exponential backoff and jitter.
 */
export class LinkPool {
  readonly #opts: LinkPoolOptions;
  readonly #idle = new Set<WebSocket>();
  /** Idle links closed by us to stay within maxSessions; their slots park, not redial. */
  readonly #retired = new WeakSet<WebSocket>();
  #stopped = false;
  #timers = new Set<NodeJS.Timeout>();
  #active = 0;
  /** Slots waiting for a session to end before they offer another link. */
  readonly #parked: number[] = [];

  constructor(opts: LinkPoolOptions) {
    this.#opts = opts;
  }

  start(): void {
    for (let slot = 0; slot < this.#opts.size; slot++) void this.#run(slot, 0);
  }

  /** Number of links currently open and waiting for a client. */
  get idle(): number {
    return this.#idle.size;
  }

  /** Client sessions in progress. */
  get active(): number {
    return this.#active;
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    for (const ws of this.#idle) ws.close(1001, 'server stopping');
  }

  async #run(slot: number, failures: number): Promise<void> {
    if (this.#stopped) return;
    const log = this.#opts.log;
    let ws: WebSocket;
    try {
      ws = await this.#opts.dial();
    } catch (err) {
      const delay = backoffDelay(failures, this.#opts.initialDelayMs, this.#opts.maxDelayMs);
      log.warn({ event: 'dial-failed', slot, failures: failures + 1, retryInMs: delay, reason: (err as Error).message }, 'cannot reach the bridge');
      this.#later(() => void this.#run(slot, failures + 1), delay);
      return;
    }
    if (this.#stopped) {
      ws.close(1001, 'server stopping');
      return;
    }
    if (failures > 0) log.info({ event: 'reconnected', slot, after: failures }, 'bridge link restored');
    log.info({ event: 'link-opened', slot }, 'link to the bridge opened');
    let paired = false;
    let dead = false;
    watchLink(ws, this.#opts.keepalive, (silentMs) => {
      dead = true;
      log.warn({ event: 'link-dead', slot, silentMs, paired }, 'bridge link silent too long; closing it');
    });
    this.#idle.add(ws);
    // Logged when the server goes from no ready link to one: "reachable again".
    if (this.#idle.size === 1) log.info({ event: 'link-ready', slot }, 'link to the bridge ready');
    const duplex = new WsDuplex(ws, (msg) => {
      if (msg.type === 'paired' && !paired) {
        paired = true;
        this.#idle.delete(ws);
        this.#active++;
        void this.#opts.onPaired(duplex, msg.session).finally(() => {
          this.#active--;
          // Room again: parked slots offer links, up to the session limit.
          let room = this.#opts.maxSessions - this.#active - this.#idle.size;
          while (room-- > 0 && this.#parked.length > 0) void this.#run(this.#parked.shift() as number, 0);
        });
        // Offer a fresh link at once, unless the server is at its session limit: then
        // clients wait at the bridge, not inside a server that cannot serve them.
        if (this.#active >= this.#opts.maxSessions) this.#parked.push(slot);
        else void this.#run(slot, 0);
        this.#trimIdle();
      } else if (msg.type === 'error') {
        log.warn({ event: 'bridge-error', slot, code: msg.code, reason: msg.message }, 'bridge reported an error');
      }
    });
    duplex.on('error', () => undefined);
    const openedAt = Date.now();
    ws.once('close', () => {
      if (paired) return;
      this.#idle.delete(ws);
      if (this.#retired.has(ws)) {
        this.#parked.push(slot);
        return;
      }
      // A link that served its time and then died (a firewall, a bridge restart) is
      // redialled promptly; only links that die young count as repeated failures, so
      // backoff cannot grow over a long quiet period and leave the bridge with no link.
      const next = Date.now() - openedAt > HEALTHY_LINK_MS ? 0 : failures + 1;
      const delay = backoffDelay(next, this.#opts.initialDelayMs, this.#opts.maxDelayMs);
      if (!dead) log.info({ event: 'link-closed', slot, retryInMs: delay }, 'idle bridge link closed by the bridge');
      this.#later(() => void this.#run(slot, next), delay);
    });
  }

  /** Closes idle links beyond what maxSessions leaves room for; their slots park. */
  #trimIdle(): void {
    for (const ws of this.#idle) {
      if (this.#active + this.#idle.size <= this.#opts.maxSessions) return;
      this.#idle.delete(ws);
      this.#retired.add(ws);
      ws.close(1000, 'server at its session limit');
    }
  }

  #later(fn: () => void, ms: number): void {
    if (this.#stopped) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }
}
