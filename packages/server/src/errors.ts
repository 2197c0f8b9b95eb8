import { SignetError } from '@signet/protocol';

/**
 * Codes of the server daemon (the key store and admin console have their own).
 * - KEY_LOCKED: a sign request named a key this session has not unlocked.
 * - SESSION_CLOSED: a request handled after its session ended (its unlocked keys are gone).
 * - NOT_AN_RPM_HEADER: sign-rpm-header was sent bytes that are not an RPM main header.
 * - REQUEST_TOO_LARGE: an attachment above the configured limit.
 * - BAD_REQUEST: a request that does not match the protocol schema.
 * - SERVER_BUSY: a session or in-flight limit is reached; retryable (the client backs off).
 * - INTERNAL: an unexpected failure; details are in the server log, not on the wire.
 */
export type ServerErrorCode = 'SERVER_BUSY' | 'KEY_LOCKED' | 'SESSION_CLOSED' | 'NOT_AN_RPM_HEADER' | 'REQUEST_TOO_LARGE' | 'BAD_REQUEST' | 'INTERNAL';

export class ServerError extends SignetError<ServerErrorCode> {}
