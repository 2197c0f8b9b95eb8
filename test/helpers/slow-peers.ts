import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { SUBPROTOCOL, TLS_VERSION, WsDuplex } from '@signet/protocol';
import { encodeFrame } from '@signet/protocol/e2e';

/**
 * Adversaries that cost a party time rather than break a rule: clients that connect and
 * say nothing, and a client that reads its answers one byte a second. Each is a real
 * socket against a real bridge; each can be torn down with a reset.
 */

/** Where and as whom an adversary connects to the bridge's client port. */
export interface PeerIdentity {
  port: number;
  /** PEM paths: a client certificate of the deployment's CA, and the CA. */
  cert: string;
  key: string;
  ca: string;
}

/** A socket the test holds, with what happened to it. */
export interface Held<T> {
  socket: T;
  /** True once the other end (or a timeout) closed it. */
  closed: boolean;
}

/** Resets every socket: RST rather than FIN, as an adversary that vanishes would. */
export function resetAll(sockets: Array<net.Socket | tls.TLSSocket>): void {
  for (const s of sockets) if (!s.destroyed) s.resetAndDestroy();
}

/** `n` plain TCP connections that never start TLS. Resolves once all are connected. */
export async function openSilentTcp(port: number, n: number): Promise<Array<Held<net.Socket>>> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Held<net.Socket>>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1');
          const held: Held<net.Socket> = { socket, closed: false };
          socket.once('connect', () => resolve(held));
          socket.once('error', reject);
          socket.on('error', () => undefined);
          socket.once('close', () => (held.closed = true));
        }),
    ),
  );
}

/** A WebSocket link that completed mutual TLS and the upgrade, then never sends a message. */
export interface SilentLink extends Held<WebSocket> {
  /** True once the bridge said `paired` (it then holds a server link for us). */
  paired: boolean;
  pairedAt: number | undefined;
  closedAt: number | undefined;
}

/**
 * `n` links to the bridge's client port with a valid client certificate and subprotocol
 * signet.v1 that say nothing after the upgrade (ws answers pings, nothing else). Resolves
 * once all are open.
 */
export async function openSilentLinks(id: PeerIdentity, n: number): Promise<SilentLink[]> {
  const material = { cert: readFileSync(id.cert), key: readFileSync(id.key), ca: readFileSync(id.ca) };
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<SilentLink>((resolve, reject) => {
          const ws = new WebSocket(`wss://127.0.0.1:${id.port}/`, SUBPROTOCOL, { ...TLS_VERSION, ...material, perMessageDeflate: false });
          const link: SilentLink = { socket: ws, closed: false, paired: false, pairedAt: undefined, closedAt: undefined };
          ws.on('message', (data, isBinary) => {
            if (!isBinary && String(data).includes('"paired"')) {
              link.paired = true;
              link.pairedAt = Date.now();
            }
          });
          ws.once('open', () => resolve(link));
          ws.once('error', reject);
          ws.on('error', () => undefined);
          ws.once('close', () => {
            link.closed = true;
            link.closedAt = Date.now();
          });
        }),
    ),
  );
}

/** A client with a real end-to-end session that reads what it is sent one byte a second. */
export interface SlowReader {
  socket: tls.TLSSocket;
  ws: WebSocket;
  /** Bytes of answers read so far. */
  bytesRead(): number;
  /** True once the session closed. */
  closed(): boolean;
  /** Stops reading and resets the link. */
  destroy(): void;
}

/**
 * Opens an end-to-end session through the bridge as `id`, pins `serverName`, sends
 * `requests` copies of `request` at once (whose answers pile up), then stops reading
 * except for one byte every `intervalMs`. Resolves once the requests are written.
 */
export function openSlowReader(
  id: PeerIdentity & { serverName: string },
  o: { request: Record<string, unknown>; requests: number; intervalMs?: number },
): Promise<SlowReader> {
  const material = { cert: readFileSync(id.cert), key: readFileSync(id.key), ca: readFileSync(id.ca) };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${id.port}/`, SUBPROTOCOL, { ...TLS_VERSION, ...material, perMessageDeflate: false });
    ws.on('error', () => undefined);
    ws.once('error', reject);
    const duplex: WsDuplex = new WsDuplex(ws, (msg) => {
      if (msg.type !== 'paired') {
        reject(new Error(`bridge refused the slow reader: ${msg.code}`));
        return;
      }
      const socket = tls.connect({ ...TLS_VERSION, socket: duplex, servername: id.serverName, ...material, rejectUnauthorized: true });
      socket.on('error', () => undefined);
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        let read = 0;
        let closed = false;
        socket.once('close', () => (closed = true));
        // Paused mode with no 'data' listener: nothing is consumed but what read() takes.
        socket.pause();
        socket.cork();
        for (let id = 1; id <= o.requests; id++) for (const part of encodeFrame({ t: 'req', id, ...o.request })) socket.write(part);
        socket.uncork();
        const timer = setInterval(() => {
          const b = socket.read(1) as Buffer | null;
          if (b) read += b.length;
        }, o.intervalMs ?? 1000);
        timer.unref();
        resolve({
          socket,
          ws,
          bytesRead: () => read,
          closed: () => closed,
          destroy() {
            clearInterval(timer);
            socket.destroy();
            ws.terminate();
          },
        });
      });
    });
    duplex.on('error', () => undefined);
  });
}

/** CPU time (user + system) process `pid` has used so far, ms, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; USER_HZ is 100 on Linux.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Waits until process `pid` has used less than `busyFraction` of one CPU over a
 * `windowMs` window (it finished the work an adversary queued), or `maxMs` passed.
 * Returns how long it waited.
 */
export async function waitForQuietCpu(pid: number, o: { windowMs?: number; busyFraction?: number; maxMs?: number } = {}): Promise<number> {
  const windowMs = o.windowMs ?? 500;
  const started = Date.now();
  for (;;) {
    const before = cpuTimeMs(pid);
    await new Promise((r) => setTimeout(r, windowMs));
    if (cpuTimeMs(pid) - before <= windowMs * (o.busyFraction ?? 0.1)) return Date.now() - started;
    if (Date.now() - started > (o.maxMs ?? 15_000)) throw new Error(`process ${pid} still busy after ${o.maxMs ?? 15_000} ms`);
  }
}

/** Resident memory of process `pid`, bytes, from /proc/<pid>/status. */
export function residentBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}
