import { SignetError } from '@signet/protocol';

/**
 * Codes of the client. Codes the server sends back keep their own names (see
 * RemoteError); codes from @signet/rpm (RPM_*) pass through unchanged.
 * - USAGE: bad command line. (A wrong config file is CONFIG_INVALID, from @signet/protocol.)
 * - CONNECT_FAILED: the bridge cannot be reached right now, or the link broke before the
 *   session began (retried).
 * - BRIDGE_REFUSED: the bridge refused us: TLS failure, certificate role, protocol (not retried).
 * - BRIDGE_UNAVAILABLE: the bridge is busy or has no free server link (retried).
 * - SERVER_REFUSED: the server closed the session at once: it refused our certificate.
 * - SERVER_IDENTITY: the end-to-end peer is not the pinned server (name or role).
 * - TIMEOUT: a deadline passed (connect, pairing, handshake or request).
 * - SESSION_CLOSED: the session ended with requests outstanding.
 * - BAD_RESPONSE: the server answered outside the protocol.
 * - SIGNATURE_INVALID: a returned signature did not verify; nothing was written.
 * - PASSPHRASE_UNAVAILABLE: no --passphrase-file and no terminal to ask on.
 * - OUTPUT_CONFLICT: an output path would overwrite an input.
 * - INPUT_TOO_LARGE: data to sign exceeds limits.maxDataBytes.
 * - INPUT_CHANGED: the file to sign changed while it was read (or yields another size than it reports).
 */
export type ClientErrorCode =
  | 'USAGE'
  | 'CONNECT_FAILED'
  | 'BRIDGE_REFUSED'
  | 'BRIDGE_UNAVAILABLE'
  | 'SERVER_REFUSED'
  | 'SERVER_IDENTITY'
  | 'TIMEOUT'
  | 'SESSION_CLOSED'
  | 'BAD_RESPONSE'
  | 'SIGNATURE_INVALID'
  | 'PASSPHRASE_UNAVAILABLE'
  | 'OUTPUT_CONFLICT'
  | 'INPUT_TOO_LARGE'
  | 'INPUT_CHANGED';

export class ClientError extends SignetError<ClientErrorCode> {}

/** An error the server reported, with the server's code (KEY_NOT_FOUND, BAD_PASSPHRASE…). */
export class RemoteError extends SignetError<string> {
  readonly retryable: boolean;

  constructor(code: string, message: string, retryable: boolean) {
    super(code, `server: ${message}`);
    this.retryable = retryable;
  }
}
