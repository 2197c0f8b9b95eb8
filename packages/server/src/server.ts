import type { Logger } from 'pino';
import { loadTlsMaterial } from '@signet/protocol';
import type { ServerConfig } from './config.ts';
import type { Backend } from './backend.ts';
import { dialBridge } from './dial.ts';
import { LinkPool } from './link-pool.ts';
import { createInnerTlsAcceptor } from './inner-tls.ts';
import { createHandler } from './handler.ts';
import { serveRpc } from './rpc-server.ts';

export interface SigningServer {
  start(): void;
  stop(): void;
  /** Links open to the bridge and waiting for a client. */
  idleLinks(): number;
}

/**
 * Wires the signing daemon: a pool of outbound links to the bridge, the inner TLS server
 * on each paired link, and the request handler over the key store. There is no listening
 * socket anywhere in this graph.
 */
export function createSigningServer(config: ServerConfig, backend: Backend, log: Logger): SigningServer {
  const material = loadTlsMaterial(config.tls);
  const acceptInner = createInnerTlsAcceptor(material, config.limits.handshakeTimeoutMs);
  const servername = config.bridge.servername;

  const pool = new LinkPool({
    size: config.poolSize,
    initialDelayMs: config.reconnect.initialDelayMs,
    maxDelayMs: config.reconnect.maxDelayMs,
    log,
    dial: () =>
      dialBridge({
        host: config.bridge.host,
        port: config.bridge.port,
        servername,
        tls: material,
        handshakeTimeoutMs: config.limits.handshakeTimeoutMs,
        tcpKeepAliveMs: config.keepalive.tcpKeepAliveMs,
      }),
    keepalive: config.keepalive,
    onPaired: (duplex, session) => {
      const slog = log.child({ session });
      const started = Date.now();
      acceptInner(duplex).then(
        async ({ socket, peer }) => {
          const ulog = slog.child({ user: peer.cn });
          ulog.info({ event: 'session-start' }, 'client session started');
          const handler = createHandler(peer.cn, backend, config.limits);
          await serveRpc(
            socket,
            handler,
            {
              maxJson: 64 * 1024,
              maxBin: Math.max(config.limits.maxHeaderBytes, config.limits.maxDataBytes),
              maxInFlight: config.limits.maxInFlightPerSession,
            },
            ulog,
          );
          duplex.destroy();
          ulog.info({ event: 'session-end', durationMs: Date.now() - started }, 'client session ended');
        },
        (err: unknown) => {
          slog.warn({ event: 'session-refused', reason: (err as Error).message }, 'inner TLS session refused');
          duplex.destroy();
        },
      );
    },
  });

  return {
    start: () => pool.start(),
    stop: () => pool.stop(),
    idleLinks: () => pool.idle,
  };
}
