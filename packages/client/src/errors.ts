import { SignetError } from '@signet/protocol';

/**
 * Codes of the client. Codes the server sends back keep their own names (see
 * RemoteError); codes from @signet/rpm (RPM_*) pass through unchanged.
 * - USAGE: bad command line. (A wrong config file is CONFIG_INVALID, from @signet/protocol.)
 * - CONNECT_FAILED: the bridge cannot be reached or refused the TLS handshake.
 * - BRIDGE_REFUSED: the bridge closed the link with a reason (BRIDGE_BUSY, BRIDGE_NO_SERVER…).
 * - SERVER_IDENTITY: the end-to-end peer is not the pinned server (name or role).
 * - TIMEOUT: a deadline passed (connect, pairing, handshake or request).
 * - SESSION_CLOSED: the session ended with requests outstanding.
 * - BAD_RESPONSE: the server answered outside the protocol.
 * - SIGNATURE_INVALID: a returned signature did not verify; nothing was written.
 * - PASSPHRASE_UNAVAILABLE: no --passphrase-file and no terminal to ask on.
 * - OUTPUT_CONFLICT: an output path would overwrite an input.
 * - INPUT_TOO_LARGE: data to sign exceeds limits.maxDataBytes.
 */
export type ClientErrorCode =
  | 'USAGE'
  | 'CONNECT_FAILED'
  | 'BRIDGE_REFUSED'
  | 'SERVER_IDENTITY'
  | 'TIMEOUT'
  | 'SESSION_CLOSED'
  | 'BAD_RESPONSE'
  | 'SIGNATURE_INVALID'
  | 'PASSPHRASE_UNAVAILABLE'
  | 'OUTPUT_CONFLICT'
  | 'INPUT_TOO_LARGE';

export class ClientError extends SignetError<ClientErrorCode> {}

/** An error the server reported, with the server's code (KEY_NOT_FOUND, BAD_PASSPHRASE…). */
export class RemoteError extends SignetError<string> {
  readonly retryable: boolean;

  constructor(code: string, message: string, retryable: boolean) {
    super(code, `server: ${message}`);
    this.retryable = retryable;
  }
}
