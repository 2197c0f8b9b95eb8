/**
 * The end-to-end protocol, spoken only inside the inner TLS session between client and
 * server. Imported by client and server, never by the bridge.
 */
export { FRAME_PREFIX, DEFAULT_FRAME_LIMITS, encodeFrame, FrameDecoder } from './frame.ts';
export type { Frame, FrameLimits, DecoderOptions } from './frame.ts';
export { PROTOCOL_VERSION, KEY_NAME_PATTERN, KeyName, Passphrase, Request, KeyInfo, Results, WireError, Response } from './messages.ts';
export type { Op, Result } from './messages.ts';
