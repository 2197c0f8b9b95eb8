/**
 * Koji hub client: XML-RPC codec for Koji's dialect, hub session, client configuration.
 */
export { KojiError, KojiFault, KOJI_ERROR_CODES, KOJI_FAULT_CODES, kojiFaultErrorCode, isKojiFault } from './errors.ts';
export type { KojiErrorCode, KojiFaultErrorCode } from './errors.ts';
export { parseXml, DEFAULT_XML_LIMITS } from './xml.ts';
export type { XmlElement, XmlLimits } from './xml.ts';
export { encodeValue, decodeValue, formatDateTime } from './values.ts';
export type { KojiValue, KojiStruct, KojiInput } from './values.ts';
export {
  encodeArgs,
  encodeCall,
  encodeResponse,
  encodeFault,
  decodeResponse,
  decodeCall,
  splitKwargs,
  faultFromValue,
  encodeMultiCallArgs,
  decodeMultiCallResult,
} from './xmlrpc.ts';
export type { KojiCall, KojiKwargs, DecodedCall, MultiCallResult } from './xmlrpc.ts';
export { nodeHttpTransport } from './transport.ts';
export type { KojiTransport, KojiHttpRequest, KojiHttpResponse, KojiTlsOptions } from './transport.ts';
export { KojiSession, READ_METHODS, DEFAULT_KOJI_RETRY } from './session.ts';
export type { KojiSessionOptions, KojiRetryPolicy } from './session.ts';
export { loadKojiProfile, kojiProfileFrom, parseKojiIni, kojiConfigFiles, KOJI_CONFIG_LIMITS } from './config.ts';
export type { KojiProfile, KojiConfigRoots, KojiAuthType } from './config.ts';
