import type { Logger } from 'pino';
import { dialBridge, loadTlsMaterial, openCrlSource, RevocationWatch } from '@signet/protocol';
import type { TLSSocket } from 'node:tls';
import type { ServerConfig } from './config.ts';
import type { Backend } from './backend.ts';
import { LinkPool } from './link-pool.ts';
import { createInnerTlsAcceptor } from './inner-tls.ts';
import { busyHandler, createHandler, type SessionHandler } from './handler.ts';
import { createInFlightGate, serveRpc } from './rpc-server.ts';

export interface SigningServer {
  start(): void;
  stop(): void;
  /** Links open to the bridge and waiting for a client. */
  idleLinks(): number;
  /** Client sessions in progress. */
  activeSessions(): number;
}

/**
 * Wires the signing daemon: a pool of outbound links to the bridge, the inner TLS server
 * on each paired link, and the request handler over the key store. There is no listening
 * socket anywhere in this graph.
 */
export function createSigningServer(config: ServerConfig, backend: Backend, log: Logger): SigningServer {
  const material = loadTlsMaterial(config.tls);
  const crl = openCrlSource(config.tls.crl, (err) => log.error({ event: 'crl-unreadable', reason: err.message }, 'CRL file unreadable; keeping the last good one'));
  const acceptInner = createInnerTlsAcceptor(material, config.limits.handshakeTimeoutMs, () => crl?.current());
  const gate = createInFlightGate(config.limits.maxInFlight);
  // A session opened before its user's certificate was revoked is ended within about a
  // second of the new CRL file.
  const revocations = new RevocationWatch<TLSSocket>(crl, {
    onError: (err) => log.error({ event: 'crl-unreadable', reason: err.message }, 'CRL entries unreadable; open sessions not re-checked'),
  });
  const sessionsByUser = new Map<string, number>();
  const servername = config.bridge.servername;

  const pool = new LinkPool({
    size: config.poolSize,
    initialDelayMs: config.reconnect.initialDelayMs,
    maxDelayMs: config.reconnect.maxDelayMs,
    log,
    // The server's only way onto the network: it dials the bridge, it never listens.
    dial: () =>
      dialBridge(
        {
          host: config.bridge.host,
          port: config.bridge.port,
          servername,
          tls: material,
          handshakeTimeoutMs: config.limits.handshakeTimeoutMs,
          tcpKeepAliveMs: config.keepalive.tcpKeepAliveMs,
          crl: crl?.current(),
          where: 'bridge link',
        },
        // The pool logs the reason and redials; the messages say which side refused.
        (failure) =>
          failure.kind === 'http' ? new Error(`bridge refused the link: HTTP ${failure.status ?? '?'}`) : failure.cause,
      ),
    keepalive: config.keepalive,
    maxSessions: config.limits.maxSessions,
    onPaired: async (duplex, session) => {
      const slog = log.child({ session });
      const started = Date.now();
      const silent = setTimeout(() => {
        if (duplex.receivedBytes > 0) return;
        slog.warn({ event: 'session-refused', reason: `no byte from the client within ${config.limits.firstByteTimeoutMs} ms` }, 'silent client dropped');
        duplex.destroy();
      }, config.limits.firstByteTimeoutMs);
      let accepted;
      try {
        accepted = await acceptInner(duplex);
      } catch (err) {
        if (duplex.receivedBytes > 0) slog.warn({ event: 'session-refused', reason: (err as Error).message }, 'inner TLS session refused');
        duplex.destroy();
        return;
      } finally {
        clearTimeout(silent);
      }
      const { socket, peer } = accepted;
      const user = peer.cn;
      const ulog = slog.child({ user });
      const cert = socket.getPeerX509Certificate()?.raw;
      if (cert !== undefined) {
        revocations.track(socket, cert, () => {
          ulog.warn({ event: 'session-revoked' }, 'the client certificate of this open session is revoked by the new CRL; session ended');
          socket.destroy();
        });
      }
      const held = sessionsByUser.get(user) ?? 0;
      sessionsByUser.set(user, held + 1);
      // Unlocked keys live only as long as their session, and a session only this long
      // (Threat: a key left unlocked indefinitely by a client that keeps its session busy).
      const lifetime = setTimeout(() => {
        ulog.info({ event: 'session-lifetime', lifetimeMs: config.limits.sessionLifetimeMs }, 'session reached limits.sessionLifetimeMs; closed');
        socket.destroy();
      }, config.limits.sessionLifetimeMs);
      lifetime.unref();
      let handler: SessionHandler | undefined;
      try {
        // One user cannot take every session: past the limit the session only says busy.
        const overLimit = held >= config.limits.maxSessionsPerUser;
        if (overLimit) ulog.warn({ event: 'session-busy', held }, 'user is at limits.maxSessionsPerUser');
        else ulog.info({ event: 'session-start' }, 'client session started');
        handler = overLimit
          ? busyHandler(`user ${user} already holds ${held} sessions (limits.maxSessionsPerUser); retry later`)
          : createHandler(user, backend, config.limits);
        await serveRpc(
          socket,
          handler,
          {
            maxJson: 64 * 1024,
            maxBin: Math.max(config.limits.maxHeaderBytes, config.limits.maxDataBytes),
            maxInFlight: config.limits.maxInFlightPerSession,
            idleMs: config.limits.sessionIdleMs,
            // Headers and data have their own limits, applied before the bytes are read.
            binLimit: (op) => (op === 'sign-rpm-header' ? config.limits.maxHeaderBytes : op === 'sign-data' ? config.limits.maxDataBytes : 0),
          },
          gate,
          ulog,
        );
      } finally {
        // The session's unlocked keys are disposed, and nothing still queued signs.
        handler?.close();
        clearTimeout(lifetime);
        revocations.untrack(socket);
        const left = (sessionsByUser.get(user) ?? 1) - 1;
        if (left === 0) sessionsByUser.delete(user);
        else sessionsByUser.set(user, left);
      }
      duplex.destroy();
      ulog.info({ event: 'session-end', durationMs: Date.now() - started }, 'client session ended');
    },
  });

  return {
    start: () => pool.start(),
    stop: () => {
      revocations.stop();
      return pool.stop();
    },
    idleLinks: () => pool.idle,
    activeSessions: () => pool.active,
  };
}
