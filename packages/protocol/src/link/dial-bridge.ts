import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { checkPeer } from '../tls/peer.ts';
import { TLS_VERSION } from '../tls/material.ts';
import type { TlsMaterial } from '../tls/material.ts';
import { MAX_LINK_MESSAGE, SUBPROTOCOL } from './control.ts';

/**
 * One link to the bridge, for the two parties that dial it (the server to its server port,
 * the client to its client port): mutual TLS 1.3 with our certificate, the bridge's
 * certificate checked for its name and its bridge role before anything is sent, then a
 * WebSocket with our bounds. Only the errors differ between the parties: `describe` turns
 * each way of failing into the caller's own error.
 */

export interface BridgeDialOptions {
  readonly host: string;
  readonly port: number;
  /** Name expected in the bridge's certificate (also SNI); undefined checks against host. */
  readonly servername: string | undefined;
  readonly tls: TlsMaterial;
  /** Revocation lists the bridge's certificate is checked against, if configured. */
  readonly crl?: Buffer[] | undefined;
  readonly handshakeTimeoutMs: number;
  /** TCP keepalive initial delay; 0 leaves TCP keepalive off. */
  readonly tcpKeepAliveMs: number;
  /** How errors name the peer ("bridge", "bridge link"). */
  readonly where: string;
}

export type BridgeDialFailure =
  /** The peer's certificate is not a bridge's (role), after a TLS handshake that succeeded. */
  | { readonly kind: 'peer'; readonly cause: Error }
  /** The bridge answered the upgrade with an HTTP status (e.g. our certificate's role is wrong for this port). */
  | { readonly kind: 'http'; readonly status: number | undefined }
  /** A socket or TLS error: unreachable, reset, or a certificate refused by either side. */
  | { readonly kind: 'socket'; readonly cause: NodeJS.ErrnoException };

export function dialBridge(opts: BridgeDialOptions, describe: (failure: BridgeDialFailure) => Error): Promise<WebSocket> {
  const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${host}:${opts.port}/`, SUBPROTOCOL, {
      ...TLS_VERSION,
      cert: opts.tls.cert,
      key: opts.tls.key,
      ca: opts.tls.ca,
      ...(opts.crl ? { crl: opts.crl } : {}),
      // ws checks the certificate against the host (DNS name or IP) unless a name is set.
      ...(opts.servername ? { servername: opts.servername } : {}),
      rejectUnauthorized: true,
      maxPayload: MAX_LINK_MESSAGE,
      perMessageDeflate: false,
      handshakeTimeout: opts.handshakeTimeoutMs,
    } as WebSocket.ClientOptions);
    ws.once('upgrade', (res: IncomingMessage) => {
      const socket = res.socket as TLSSocket;
      try {
        // A client or server certificate posing as the bridge gets nothing from us.
        checkPeer(socket, 'bridge', opts.where);
        if (opts.tcpKeepAliveMs > 0) socket.setKeepAlive(true, opts.tcpKeepAliveMs);
      } catch (err) {
        ws.terminate();
        reject(describe({ kind: 'peer', cause: err as Error }));
      }
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(describe({ kind: 'http', status: res.statusCode }));
    });
    ws.once('error', (err: NodeJS.ErrnoException) => reject(describe({ kind: 'socket', cause: err })));
  });
}
