import https from 'node:https';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { SUBPROTOCOL, WsDuplex } from '@signet/protocol';

/**
 * A hostile bridge for the security tests: it holds whatever certificate the test gives
 * it (the real bridge certificate, or a rogue one), accepts links on a client port and a
 * server port exactly as the real bridge does (mutual TLS 1.3 + WebSocket, subprotocol
 * signet.v1), and then does what an attacker who controls the relay would do: record,
 * flip bits, inject frames, or terminate the inner TLS itself.
 */

export type Direction = 'up' | 'down';

/** What a tamper hook sees for one relayed binary frame. */
export interface RelayedFrame {
  dir: Direction;
  /** The frame's bytes (a private copy). */
  frame: Buffer;
  /** 0-based index of this frame in its direction. */
  index: number;
  /** Bytes already relayed in this direction before this frame. */
  offset: number;
}

/** Returns the frames to forward instead of `frame` (empty drops it, several inject). */
export type TamperHook = (f: RelayedFrame) => Buffer[];

/** Every binary byte a relay session carried, per direction, in order. */
export interface Recording {
  up: Buffer[];
  down: Buffer[];
  /** Resolves when either side of the session closed. */
  ended: Promise<void>;
}

export interface HostileBridgeOptions {
  /** PEM paths of the identity the hostile bridge presents, and the CA it asks peers for. */
  cert: string;
  key: string;
  ca: string;
  /**
   * 'relay': pair the first client with the first server link (FIFO), send both the
   * `paired` control message and relay binary frames, recording them (through `tamper`).
   * 'manual': the test takes links with nextClient()/nextServer() and does what it wants.
   */
  mode: 'relay' | 'manual';
  tamper?: TamperHook;
}

export interface HostileBridge {
  /** The tamper hook given to the next paired session ('relay' mode); settable per test. */
  tamper: TamperHook | undefined;
  clientPort: number;
  serverPort: number;
  /** One recording per relayed session, in pairing order ('relay' mode). */
  sessions: Recording[];
  /** WebSocket links accepted so far, per port. */
  accepted: { client: number; server: number };
  /** TLS connections that completed their handshake, per port. */
  secured: { client: number; server: number };
  nextClient(timeoutMs?: number): Promise<WebSocket>;
  nextServer(timeoutMs?: number): Promise<WebSocket>;
  close(): Promise<void>;
}

/** A `paired` control message, byte for byte what the real bridge sends. */
export function pairedMessage(): string {
  return JSON.stringify({ type: 'paired', session: randomBytes(16).toString('hex') });
}

/** Sends `paired` on a link, as the real bridge does when it couples two links. */
export function sendPaired(ws: WebSocket): void {
  ws.send(pairedMessage());
}

class LinkQueue {
  readonly #links: WebSocket[] = [];
  readonly #waiters: Array<(ws: WebSocket) => void> = [];

  push(ws: WebSocket): void {
    const w = this.#waiters.shift();
    if (w) w(ws);
    else this.#links.push(ws);
  }

  /** Takes the oldest queued link still open, if any. */
  take(): WebSocket | undefined {
    for (;;) {
      const ws = this.#links.shift();
      if (ws === undefined || ws.readyState === 1) return ws;
    }
  }

  next(what: string, timeoutMs: number): Promise<WebSocket> {
    const ws = this.take();
    if (ws) return Promise.resolve(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(done);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`hostile bridge: no ${what} link within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (l: WebSocket): void => {
        clearTimeout(timer);
        resolve(l);
      };
      this.#waiters.push(done);
    });
  }
}

/** Relays binary frames between two links, recording every byte and applying `tamper`. */
export function relayLinks(client: WebSocket, server: WebSocket, tamper?: TamperHook): Recording {
  let ended!: () => void;
  const recording: Recording = { up: [], down: [], ended: new Promise<void>((r) => (ended = r)) };
  const pipe = (from: WebSocket, to: WebSocket, dir: Direction): void => {
    let index = 0;
    let offset = 0;
    from.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return;
      const frame = Buffer.from(Array.isArray(data) ? Buffer.concat(data) : (data as Buffer));
      recording[dir].push(frame);
      const out = tamper ? tamper({ dir, frame: Buffer.from(frame), index, offset }) : [frame];
      index++;
      offset += frame.length;
      for (const f of out) if (to.readyState === 1) to.send(f, { binary: true });
    });
    from.on('close', () => {
      if (to.readyState === 0 || to.readyState === 1) to.close(1000, 'peer closed');
      ended();
    });
    from.on('error', () => undefined);
  };
  pipe(client, server, 'up');
  pipe(server, client, 'down');
  return recording;
}

export async function startHostileBridge(opts: HostileBridgeOptions): Promise<HostileBridge> {
  const material = { cert: readFileSync(opts.cert), key: readFileSync(opts.key), ca: readFileSync(opts.ca) };
  const queues = { client: new LinkQueue(), server: new LinkQueue() };
  const sessions: Recording[] = [];
  const accepted = { client: 0, server: 0 };
  const secured = { client: 0, server: 0 };
  const all: WebSocket[] = [];

  const tryPair = (): void => {
    if (opts.mode !== 'relay') return;
    for (;;) {
      const server = queues.server.take();
      if (!server) return;
      const client = queues.client.take();
      if (!client) {
        queues.server.push(server);
        return;
      }
      const paired = pairedMessage();
      client.send(paired);
      server.send(paired);
      sessions.push(relayLinks(client, server, bridge.tamper));
    }
  };

  const listen = async (side: 'client' | 'server'): Promise<{ srv: https.Server; wss: WebSocketServer; port: number }> => {
    const srv = https.createServer({
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ...material,
      requestCert: true,
      // The attacker takes anyone; the honest endpoints must be the ones refusing.
      rejectUnauthorized: false,
    });
    srv.on('secureConnection', () => secured[side]++);
    srv.on('tlsClientError', () => undefined);
    const wss = new WebSocketServer({
      server: srv,
      maxPayload: 64 * 1024 * 1024,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    wss.on('connection', (ws) => {
      accepted[side]++;
      all.push(ws);
      ws.on('error', () => undefined);
      queues[side].push(ws);
      tryPair();
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => resolve());
    });
    return { srv, wss, port: (srv.address() as AddressInfo).port };
  };

  const c = await listen('client');
  const s = await listen('server');
  const bridge: HostileBridge = {
    tamper: opts.tamper,
    clientPort: c.port,
    serverPort: s.port,
    sessions,
    accepted,
    secured,
    nextClient: (timeoutMs = 20_000) => queues.client.next('client', timeoutMs),
    nextServer: (timeoutMs = 20_000) => queues.server.next('server', timeoutMs),
    async close() {
      for (const ws of all) ws.terminate();
      await Promise.all(
        [c, s].map(
          ({ srv, wss }) =>
            new Promise<void>((resolve) => {
              wss.close();
              srv.close(() => resolve());
              srv.closeAllConnections();
            }),
        ),
      );
    },
  };
  return bridge;
}

/** The byte stream a link carries, as the endpoints see it (binary frames only). */
export function linkStream(ws: WebSocket): WsDuplex {
  const duplex = new WsDuplex(ws, () => undefined);
  duplex.on('error', () => undefined);
  return duplex;
}

/**
 * Opens an inner TLS session as a *client* over a server link the hostile bridge holds
 * (after sending it `paired`): the attacker speaking to the real server directly.
 * Resolves once the client side of the handshake completed (in TLS 1.3 that is before
 * the server has judged the client certificate).
 */
export function innerClient(ws: WebSocket, o: { cert: string; key: string; ca: string; servername: string }): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      socket: linkStream(ws),
      servername: o.servername,
      cert: readFileSync(o.cert),
      key: readFileSync(o.key),
      ca: readFileSync(o.ca),
      rejectUnauthorized: true,
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Terminates the inner TLS of a client link itself, as a *server* holding `cert`: the
 * bridge posing as the signing server. Resolves with the accepted socket, or rejects if
 * the client aborts the handshake.
 */
export function innerServer(ws: WebSocket, o: { cert: string; key: string; ca: string }): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const server = tls.createServer({
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      cert: readFileSync(o.cert),
      key: readFileSync(o.key),
      ca: readFileSync(o.ca),
      requestCert: true,
      rejectUnauthorized: false,
    });
    server.once('secureConnection', (socket: tls.TLSSocket) => resolve(socket));
    server.once('tlsClientError', (err: Error) => reject(err));
    server.emit('connection', linkStream(ws));
  });
}
