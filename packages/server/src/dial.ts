import type { TLSSocket } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { checkPeer, MAX_LINK_MESSAGE, SUBPROTOCOL, TLS_VERSION, type TlsMaterial } from '@signet/protocol';

export interface DialOptions {
  host: string;
  port: number;
  /** Name expected in the bridge's certificate; undefined checks against host. */
  servername: string | undefined;
  tls: TlsMaterial;
  handshakeTimeoutMs: number;
  /** TCP keepalive initial delay; 0 leaves TCP keepalive off. */
  tcpKeepAliveMs: number;
  /** Revocation lists the bridge's certificate is checked against, if configured. */
  crl?: Buffer[] | undefined;
}

/**
 * Opens one link to the bridge's server port: mutual TLS 1.3 with our server certificate,
 * the bridge's certificate checked for its name and its bridge role, then a WebSocket.
 * This is the server's only way onto the network: it dials, it never listens.
 */
export function dialBridge(opts: DialOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${formatHost(opts.host)}:${opts.port}/`, SUBPROTOCOL, {
      ...TLS_VERSION,
      cert: opts.tls.cert,
      key: opts.tls.key,
      ca: opts.tls.ca,
      ...(opts.crl ? { crl: opts.crl } : {}),
      ...(opts.servername ? { servername: opts.servername } : {}),
      rejectUnauthorized: true,
      maxPayload: MAX_LINK_MESSAGE,
      perMessageDeflate: false,
      handshakeTimeout: opts.handshakeTimeoutMs,
    } as WebSocket.ClientOptions);
    ws.once('upgrade', (res: IncomingMessage) => {
      try {
        // A server or client certificate posing as the bridge is refused here.
        checkPeer(res.socket as TLSSocket, 'bridge', 'bridge link');
        if (opts.tcpKeepAliveMs > 0) (res.socket as TLSSocket).setKeepAlive(true, opts.tcpKeepAliveMs);
      } catch (err) {
        ws.terminate();
        reject(err);
      }
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new Error(`bridge refused the link: HTTP ${res.statusCode ?? '?'}`));
    });
  });
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
