export { createBridge } from './bridge.ts';
export type { Bridge } from './bridge.ts';
export { BridgeConfig, parseBridgeConfig, loadBridgeConfig } from './config.ts';
export { BridgeError } from './errors.ts';
export type { BridgeErrorCode } from './errors.ts';
export { Pairing } from './pairing.ts';
export { relay } from './relay.ts';
export type { RelayStats } from './relay.ts';
