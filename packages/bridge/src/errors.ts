import { SignetError } from '@signet/protocol';

/**
 * Codes the bridge reports, in logs and in `error` control messages to endpoints.
 * - BRIDGE_NO_SERVER: no server link became free within limits.pairTimeoutMs.
 * - BRIDGE_BUSY: limits.maxWaitingClients clients are already waiting.
 * - BRIDGE_PEER_REFUSED: a peer's certificate failed the role check for its port.
 * - BRIDGE_PROTOCOL: an endpoint broke the link protocol (text frame mid-session, bad subprotocol).
 */
export type BridgeErrorCode = 'BRIDGE_NO_SERVER' | 'BRIDGE_BUSY' | 'BRIDGE_PEER_REFUSED' | 'BRIDGE_PROTOCOL';

export class BridgeError extends SignetError<BridgeErrorCode> {}
