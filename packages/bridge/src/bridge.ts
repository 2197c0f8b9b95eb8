import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import { checkPeer, loadTlsMaterial, MAX_LINK_MESSAGE, openCrlSource, probeLink, RevocationWatch, SUBPROTOCOL, TLS_VERSION, watchLink, type LinkWatch, type Peer, type Role } from '@signet/protocol';
import type { BridgeConfig } from './config.ts';
import { Pairing } from './pairing.ts';
import { relay } from './relay.ts';
import { bridgeMetrics } from './metrics.ts';

/** An idle server link silent for longer than this is probed before a client gets it. */
const PROBE_AFTER_SILENCE_MS = 1000;

interface ClientLink {
  ws: WebSocket;
  peer: Peer;
  address: string;
  since: number;
  timer?: NodeJS.Timeout;
}

interface ServerLink {
  ws: WebSocket;
  peer: Peer;
  address: string;
  watch: LinkWatch;
  /** Removes the listeners that watch the link while it is idle. */
  detach?: () => void;
}

export interface Bridge {
  /** Starts the listeners; resolves with the ports actually bound. */
  start(): Promise<{ clientPort: number; serverPort: number; metricsPort: number | null }>;
  /** Stops listening and closes every link. */
  close(): Promise<void>;
  /** Current counts (idle server links, waiting clients, sessions), for tests and the metrics gauges. */
  stats(): { idleServers: number; waitingClients: number; activeSessions: number };
}

/**
 * Builds the bridge: two mutually authenticated TLS listeners (clients, server) carrying
 * WebSockets, and the pairing of a waiting client with an idle server link. The bridge
 * only accepts; it has no code path that opens a connection.
 */
export function createBridge(config: BridgeConfig, log: Logger): Bridge {
  const tls = loadTlsMaterial(config.tls);
  const pairing = new Pairing<ServerLink, ClientLink>();
  let activeSessions = 0;
  const metrics = bridgeMetrics({
    activeSessions: () => activeSessions,
    waitingClients: () => pairing.waitingClients,
    idleServerLinks: () => pairing.idleServers,
  });

  const crl = openCrlSource(config.tls.crl, (err) => log.error({ event: 'crl-unreadable', reason: err.message }, 'CRL file unreadable; keeping the last good one'));
  const tlsOptions = {
    ...TLS_VERSION,
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    // Revoked certificates are refused in the handshake (see the CRL reload below).
    ...(crl ? { crl: crl.current() } : {}),
    // Mutual TLS: a peer without a certificate from our CA never gets past the handshake.
    // The verdict is applied in 'secureConnection' below rather than by Node (which would
    // drop the connection silently), so that every refusal is logged with its reason.
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: config.limits.handshakeTimeoutMs,
  };

  const startSession = (client: ClientLink, server: ServerLink): void => {
    if (client.timer) clearTimeout(client.timer);
    const session = randomBytes(16).toString('hex');
    const started = Date.now();
    activeSessions++;
    const paired = JSON.stringify({ type: 'paired', session });
    client.ws.send(paired);
    server.ws.send(paired);
    metrics.pairWait.observe((started - client.since) / 1000);
    relay(client.ws, server.ws, (stats, reason) => {
      activeSessions--;
      metrics.sessions.inc({ outcome: reason.startsWith('protocol') ? 'protocol_error' : reason === 'peer error' ? 'error' : 'closed' });
      metrics.duration.observe((Date.now() - started) / 1000);
      metrics.bytes.inc({ direction: 'up' }, stats.up);
      metrics.bytes.inc({ direction: 'down' }, stats.down);
      // One line per session; the bridge knows who connected, never what was said.
      log.info(
        {
          event: 'session',
          session,
          user: client.peer.cn,
          peer: client.address,
          server: server.peer.cn,
          bytesUp: stats.up,
          bytesDown: stats.down,
          waitMs: started - client.since,
          durationMs: Date.now() - started,
          outcome: reason,
        },
        'session ended',
      );
    });
  };

  const refuse = (ws: WebSocket, port: Role, code: string, message: string): void => {
    metrics.refused.inc({ port, stage: code === 'BRIDGE_NO_SERVER' ? 'no_server' : code === 'BRIDGE_BUSY' ? 'busy' : 'protocol' });
    ws.send(JSON.stringify({ type: 'error', code, message }), () => ws.close(1008, code));
  };

  const onServerLink = (ws: WebSocket, peer: Peer, address: string, watch: LinkWatch): void => {
    if (pairing.idleServers >= config.limits.maxServerLinks) {
      log.warn({ event: 'server-link-refused', peer: address, reason: 'maxServerLinks' }, 'too many idle server links');
      refuse(ws, 'server', 'BRIDGE_BUSY', 'too many idle server links (limits.maxServerLinks)');
      return;
    }
    const link: ServerLink = { ws, peer, address, watch };
    const waiting = pairing.offerServer(link);
    if (waiting) {
      startSession(waiting, link);
      return;
    }
    log.debug({ event: 'server-link', peer: address, server: peer.cn }, 'server link idle');
    const onClose = (): void => {
      pairing.removeServer(link);
    };
    // An idle server link has nothing to say; a message before pairing breaks the protocol.
    const onMessage = (): void => {
      if (pairing.removeServer(link)) refuse(ws, 'server', 'BRIDGE_PROTOCOL', 'server link spoke before it was paired');
    };
    ws.once('close', onClose);
    ws.once('message', onMessage);
    link.detach = () => {
      ws.off('close', onClose);
      ws.off('message', onMessage);
    };
  };

  /**
   * Couples a client with an idle server link. A link that has been silent for a while
   * may have been dropped by a stateful firewall without either end noticing: it is
   * probed with a ping first, and discarded if no pong comes back in time.
   */
  const pairClient = async (link: ClientLink): Promise<void> => {
    for (;;) {
      const server = pairing.offerClient(link);
      if (!server) return; // queued; a server link arriving later takes it
      server.detach?.();
      const silentMs = Date.now() - server.watch.lastInboundAt();
      if (silentMs > PROBE_AFTER_SILENCE_MS && !(await probeLink(server.ws, config.limits.probeTimeoutMs))) {
        log.warn({ event: 'server-link-dead', peer: server.address, silentMs, reason: 'no pong to the pre-pairing probe' }, 'idle server link is dead; discarded');
        metrics.linksDead.inc({ port: 'server' });
        server.ws.terminate();
        if (link.ws.readyState !== 1) return;
        continue;
      }
      if (link.ws.readyState !== 1) {
        // The client left during the probe; the server link is still good.
        onServerLink(server.ws, server.peer, server.address, server.watch);
        return;
      }
      startSession(link, server);
      return;
    }
  };

  const linksByUser = new Map<string, number>();

  const onClientLink = (ws: WebSocket, peer: Peer, address: string): void => {
    const held = linksByUser.get(peer.cn) ?? 0;
    if (held >= config.limits.maxLinksPerUser) {
      log.warn({ event: 'client-refused', user: peer.cn, peer: address, reason: 'maxLinksPerUser' }, 'user holds too many links');
      refuse(ws, 'client', 'BRIDGE_BUSY', `user ${peer.cn} already holds ${held} links (limits.maxLinksPerUser); retry later`);
      return;
    }
    linksByUser.set(peer.cn, held + 1);
    ws.once('close', () => {
      const left = (linksByUser.get(peer.cn) ?? 1) - 1;
      if (left === 0) linksByUser.delete(peer.cn);
      else linksByUser.set(peer.cn, left);
    });
    if (pairing.waitingClients >= config.limits.maxWaitingClients) {
      log.warn({ event: 'client-refused', user: peer.cn, peer: address, reason: 'maxWaitingClients' }, 'bridge busy');
      refuse(ws, 'client', 'BRIDGE_BUSY', 'the bridge has too many clients waiting; retry later');
      return;
    }
    const link: ClientLink = { ws, peer, address, since: Date.now() };
    link.timer = setTimeout(() => {
      if (!pairing.removeClient(link)) return;
      log.warn({ event: 'client-timeout', user: peer.cn, peer: address }, 'no server link became free');
      refuse(ws, 'client', 'BRIDGE_NO_SERVER', `no signing server connected within ${config.limits.pairTimeoutMs} ms`);
    }, config.limits.pairTimeoutMs);
    ws.once('close', () => {
      if (link.timer) clearTimeout(link.timer);
      pairing.removeClient(link);
    });
    void pairClient(link);
  };

  const socketServers: WebSocketServer[] = [];

  const listener = (role: Role, onLink: (ws: WebSocket, peer: Peer, address: string, watch: LinkWatch) => void): https.Server => {
    const server = https.createServer(tlsOptions, (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
    });
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_LINK_MESSAGE,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    });
    socketServers.push(wss);
    // A peer that finishes TLS but never sends its upgrade request is dropped in time.
    server.headersTimeout = config.limits.handshakeTimeoutMs;
    server.requestTimeout = config.limits.handshakeTimeoutMs;
    server.on('secureConnection', (socket: TLSSocket) => {
      // Untrusted, expired, not yet valid or revoked: closed before a byte of HTTP is read.
      if (!socket.authorized) {
        metrics.refused.inc({ port: role, stage: 'tls' });
        log.warn({ event: 'tls-refused', port: role, peer: socket.remoteAddress, reason: String(socket.authorizationError ?? 'no certificate') }, 'peer certificate refused');
        socket.destroy();
        return;
      }
      if (config.keepalive.tcpKeepAliveMs > 0) socket.setKeepAlive(true, config.keepalive.tcpKeepAliveMs);
    });
    server.on('tlsClientError', (err, socket) => {
      log.warn({ event: 'tls-refused', port: role, peer: socket.remoteAddress, reason: err.message }, 'TLS handshake failed');
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const tlsSocket = req.socket as TLSSocket;
      const address = `${tlsSocket.remoteAddress ?? '?'}:${tlsSocket.remotePort ?? '?'}`;
      let peer: Peer;
      try {
        // Role check: only clients on the client port, only the server on the server port.
        peer = checkPeer(tlsSocket, role, `bridge ${role} port`);
      } catch (err) {
        metrics.refused.inc({ port: role, stage: 'role' });
        log.warn({ event: 'peer-refused', code: 'BRIDGE_PEER_REFUSED', port: role, peer: address, reason: (err as Error).message }, 'peer refused');
        socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\nBRIDGE_PEER_REFUSED: ${(err as Error).message}\n`);
        return;
      }
      // Only Signet endpoints of this protocol version: anything else is refused before
      // it becomes a link, rather than failing later in confusing ways.
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offered.includes(SUBPROTOCOL)) {
        metrics.refused.inc({ port: role, stage: 'protocol' });
        log.warn({ event: 'peer-refused', code: 'BRIDGE_PROTOCOL', port: role, peer: address, reason: 'subprotocol' }, 'peer refused');
        socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\n\r\nBRIDGE_PROTOCOL: WebSocket subprotocol ${SUBPROTOCOL} required\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (role === 'server') metrics.serverLinks.inc();
        const cert = tlsSocket.getPeerX509Certificate()?.raw;
        if (cert !== undefined) {
          revocations.track(ws, cert, () => {
            log.warn({ event: 'link-revoked', port: role, user: peer.cn, peer: address }, `${role} link ended: its certificate is revoked by the new CRL`);
            ws.terminate();
          });
          ws.once('close', () => revocations.untrack(ws));
        }
        const watch = watchLink(ws, config.keepalive, (silentMs) => {
          metrics.linksDead.inc({ port: role });
          log.warn({ event: `${role}-link-dead`, user: peer.cn, peer: address, silentMs }, `${role} link silent too long; closed`);
        });
        onLink(ws, peer, address, watch);
      });
    });
    return server;
  };

  const clientServer = listener('client', onClientLink);
  const serverServer = listener('server', onServerLink);

  // A new CRL takes effect without a restart: the listeners' TLS context is replaced for
  // the connections that follow (onChange), and open links whose certificate it revokes are
  // closed (track).
  const revocations = new RevocationWatch<WebSocket>(crl, {
    onChange: (latest) => {
      for (const srv of [clientServer, serverServer]) srv.setSecureContext({ ...tlsOptions, crl: latest });
      log.info({ event: 'crl-reloaded', crls: latest.length }, 'revocation list reloaded');
    },
    onError: (err) => log.error({ event: 'crl-unreadable', reason: err.message }, 'CRL entries unreadable; open links not re-checked'),
  });

  // Metrics on a listener of their own: plain HTTP, read-only, nothing secret in them.
  const metricsServer =
    config.metrics.port === null
      ? undefined
      : http.createServer((req, res) => {
          if (req.method === 'GET' && req.url === '/metrics') {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
          } else {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
          }
        });

  const listen = (srv: http.Server, port: number, host = config.listen.host): Promise<number> =>
    new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => resolve((srv.address() as AddressInfo).port));
    });

  return {
    async start() {
      const clientPort = await listen(clientServer, config.listen.clientPort);
      const serverPort = await listen(serverServer, config.listen.serverPort);
      const metricsPort = metricsServer && config.metrics.port !== null ? await listen(metricsServer, config.metrics.port, config.metrics.host) : null;
      return { clientPort, serverPort, metricsPort };
    },
    async close() {
      revocations.stop();
      for (const wss of socketServers) for (const ws of wss.clients) ws.terminate();
      await Promise.all(
        [clientServer, serverServer, ...(metricsServer ? [metricsServer] : [])].map(
          (srv) =>
            new Promise<void>((resolve) => {
              srv.close(() => resolve());
              srv.closeAllConnections();
            }),
        ),
      );
    },
    stats: () => ({ idleServers: pairing.idleServers, waitingClients: pairing.waitingClients, activeSessions }),
  };
}
