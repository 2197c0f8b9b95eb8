/** A Koji-compatible test hub (a test peer, not a product feature). */
export { startKojiHub } from './server.ts';
export type { KojiHub, KojiHubOptions } from './server.ts';
export { dispatch, MAX_REQUEST_LENGTH } from './dispatch.ts';
export type { HubRequest, HubReply } from './dispatch.ts';
export { HubState, md5hex } from './state.ts';
export type { HubUser, HubSession, HubBuild, HubRpm, HubSig } from './state.ts';
export { METHODS, bindArgs } from './handlers.ts';
export { HubFault } from './faults.ts';
export { buildDir, rpmPath, sigcachePath, signedPath, nvra } from './paths.ts';
export { parseRawHeader, sigpacketKeyId, sigkeyOfHeader, spliceRpmSighdr, ripRpmSighdr, findRpmSighdr } from './rawheader.ts';
