import { SignetError } from './errors.ts';

/** Codes for malformed or out-of-bounds traffic on any link. */
export type ProtocolErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'FRAME_MALFORMED'
  | 'MESSAGE_INVALID'
  | 'UNEXPECTED_MESSAGE';

export class ProtocolError extends SignetError<ProtocolErrorCode> {}
