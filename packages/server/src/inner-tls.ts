import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { checkPeer, TLS_VERSION, type Peer, type TlsMaterial } from '@signet/protocol';

export type InnerTlsAcceptor = (stream: Duplex) => Promise<{ socket: tls.TLSSocket; peer: Peer }>;

/**
 * The server side of the end-to-end TLS session. The client must present a certificate
 * from our CA with the client role; its common name is the user. The bridge relays these
 * bytes but holds no key that could read or alter them.
 *
 * Each relayed stream is fed to a `tls.Server` through its 'connection' event. That
 * server is never bound, so no listening socket exists; it is used because it computes
 * the server-side verdict (`authorized`, `authorizationError`), which a bare
 * `new TLSSocket(stream, { isServer: true })` silently does not.
 */
export function createInnerTlsAcceptor(material: TlsMaterial, handshakeTimeoutMs: number, crl: () => Buffer[] | undefined = () => undefined): InnerTlsAcceptor {
  return (stream) =>
    new Promise((resolve, reject) => {
      // tls.Server ignores a prebuilt `secureContext` option for its own credentials, so
      // the PEM material is passed as such (parsed once per session, not per request).
      const server = tls.createServer({
        ...TLS_VERSION,
        cert: material.cert,
        key: material.key,
        ca: material.ca,
        // Read per session, so a new CRL applies to the next session without a restart.
        ...(crl() ? { crl: crl() } : {}),
        requestCert: true,
        // Verified below by checkPeer (authorized + role), so a refusal is reported with
        // its reason (CERT_REVOKED, CERT_HAS_EXPIRED…) instead of a silent close.
        rejectUnauthorized: false,
        handshakeTimeout: handshakeTimeoutMs,
      });
      const onClose = (): void => reject(new Error('link closed during the end-to-end handshake'));
      stream.once('close', onClose);
      server.once('secureConnection', (socket: tls.TLSSocket) => {
        stream.off('close', onClose);
        try {
          // A bridge or server certificate presented as a user is refused here.
          resolve({ socket, peer: checkPeer(socket, 'client', 'inner session') });
        } catch (err) {
          socket.destroy();
          reject(err as Error);
        }
      });
      server.once('tlsClientError', (err: Error) => {
        stream.off('close', onClose);
        stream.destroy();
        reject(err);
      });
      server.emit('connection', stream);
    });
}
