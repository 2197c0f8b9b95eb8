import { z } from 'zod';

/**
 * Control messages between the bridge and an endpoint (client or server), sent as
 * WebSocket *text* frames on the outer link. Inner-session bytes travel as *binary*
 * frames and are opaque to the bridge. Control messages carry no secrets: the bridge
 * may read and write them, so endpoints trust them only for liveness and pairing.
 */
export const Control = z.discriminatedUnion('type', [
  /** Bridge → both ends: a client and a server link are now coupled; start the inner TLS. */
  z.strictObject({ type: z.literal('paired'), session: z.string().regex(/^[0-9a-f]{16,64}$/) }),
  /** Bridge → endpoint: why the link is about to close. */
  z.strictObject({
    type: z.literal('error'),
    code: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
    message: z.string().max(1024),
  }),
]);
export type Control = z.infer<typeof Control>;

/** Largest WebSocket message on any outer link: control JSON or one relayed chunk. */
export const MAX_LINK_MESSAGE = 256 * 1024;

/** Inner-stream chunks are cut to this size before they become WebSocket messages. */
export const LINK_CHUNK = 64 * 1024;

/** WebSocket subprotocols name which side of the bridge a link is, and the version. */
export const SUBPROTOCOL = 'signet.v1';
