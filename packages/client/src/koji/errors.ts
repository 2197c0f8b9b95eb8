import { SignetError } from '@signet/protocol';

/**
 * Codes of the Koji client (`packages/client/src/koji`).
 *
 * Local failures:
 * - KOJI_XML_MALFORMED: the peer sent something that is not the XML-RPC subset Koji speaks.
 * - KOJI_XML_TOO_LARGE: a response (or request, on the hub side) exceeded `maxBytes`.
 * - KOJI_XML_LIMIT: nesting depth, element count, string or array length exceeded a limit.
 * - KOJI_XML_UNSUPPORTED: a value this codec cannot represent (a non-finite double, an
 *   integer beyond 64 bits, a function…).
 * - KOJI_HTTP: the hub answered with an HTTP status other than 200, or a non-XML body.
 * - KOJI_CONNECT: the hub could not be reached (refused, reset, TLS failure).
 * - KOJI_TIMEOUT: the hub did not answer within `timeoutMs`.
 * - KOJI_CONFIG_INVALID: a Koji client configuration file or profile is unusable.
 * - KOJI_PROFILE_NOT_FOUND: `--koji PROFILE` names a section no configuration file has.
 * (`login`/`sslLogin` on a session already logged in raises KOJI_AUTH_ERROR locally.)
 *
 * Faults the hub returned (class KojiFault, `faultCode`/`faultString` kept):
 * - KOJI_GENERIC_ERROR (1000), KOJI_AUTH_ERROR (1002), KOJI_ACTION_NOT_ALLOWED (1004),
 *   KOJI_AUTH_EXPIRED (1007), KOJI_SEQUENCE_ERROR (1008), KOJI_RETRY_ERROR (1009),
 *   KOJI_SERVER_OFFLINE (1014), KOJI_PARAMETER_ERROR (1019), KOJI_NON_KOJI_ERROR (1: a
 *   Python exception such as TypeError), KOJI_FAULT (any other code);
 * - refinements of 1000 the signer acts on, recognised by Koji's message text (Koji has
 *   no distinct code for them): KOJI_SIGNATURE_EXISTS ("Signature already exists for
 *   package …"), KOJI_NO_CACHED_SIGNATURE ("No cached signature for package …"),
 *   KOJI_WRONG_MD5 ("wrong md5 for …"), KOJI_NO_SUCH_RPM ("No such rpm: …").
 */
export type KojiErrorCode =
  | 'KOJI_XML_MALFORMED'
  | 'KOJI_XML_TOO_LARGE'
  | 'KOJI_XML_LIMIT'
  | 'KOJI_XML_UNSUPPORTED'
  | 'KOJI_HTTP'
  | 'KOJI_CONNECT'
  | 'KOJI_TIMEOUT'
  | 'KOJI_CONFIG_INVALID'
  | 'KOJI_PROFILE_NOT_FOUND'
  | KojiFaultErrorCode;

export type KojiFaultErrorCode =
  | 'KOJI_GENERIC_ERROR'
  | 'KOJI_AUTH_ERROR'
  | 'KOJI_ACTION_NOT_ALLOWED'
  | 'KOJI_AUTH_EXPIRED'
  | 'KOJI_SEQUENCE_ERROR'
  | 'KOJI_RETRY_ERROR'
  | 'KOJI_SERVER_OFFLINE'
  | 'KOJI_PARAMETER_ERROR'
  | 'KOJI_NON_KOJI_ERROR'
  | 'KOJI_FAULT'
  | 'KOJI_SIGNATURE_EXISTS'
  | 'KOJI_NO_CACHED_SIGNATURE'
  | 'KOJI_WRONG_MD5'
  | 'KOJI_NO_SUCH_RPM';

/** Every code, for docs and tests. */
export const KOJI_ERROR_CODES: readonly KojiErrorCode[] = [
  'KOJI_XML_MALFORMED',
  'KOJI_XML_TOO_LARGE',
  'KOJI_XML_LIMIT',
  'KOJI_XML_UNSUPPORTED',
  'KOJI_HTTP',
  'KOJI_CONNECT',
  'KOJI_TIMEOUT',
  'KOJI_CONFIG_INVALID',
  'KOJI_PROFILE_NOT_FOUND',
  'KOJI_GENERIC_ERROR',
  'KOJI_AUTH_ERROR',
  'KOJI_ACTION_NOT_ALLOWED',
  'KOJI_AUTH_EXPIRED',
  'KOJI_SEQUENCE_ERROR',
  'KOJI_RETRY_ERROR',
  'KOJI_SERVER_OFFLINE',
  'KOJI_PARAMETER_ERROR',
  'KOJI_NON_KOJI_ERROR',
  'KOJI_FAULT',
  'KOJI_SIGNATURE_EXISTS',
  'KOJI_NO_CACHED_SIGNATURE',
  'KOJI_WRONG_MD5',
  'KOJI_NO_SUCH_RPM',
];

export class KojiError extends SignetError<KojiErrorCode> {}

/** Koji's numeric fault codes (koji/__init__.py `GenericError` subclasses). */
export const KOJI_FAULT_CODES = {
  NON_KOJI: 1,
  GENERIC: 1000,
  AUTH: 1002,
  ACTION_NOT_ALLOWED: 1004,
  AUTH_EXPIRED: 1007,
  SEQUENCE: 1008,
  RETRY: 1009,
  SERVER_OFFLINE: 1014,
  PARAMETER: 1019,
} as const;

const BY_FAULT_CODE: ReadonlyMap<number, KojiFaultErrorCode> = new Map<number, KojiFaultErrorCode>([
  [1, 'KOJI_NON_KOJI_ERROR'],
  [1000, 'KOJI_GENERIC_ERROR'],
  [1002, 'KOJI_AUTH_ERROR'],
  [1004, 'KOJI_ACTION_NOT_ALLOWED'],
  [1007, 'KOJI_AUTH_EXPIRED'],
  [1008, 'KOJI_SEQUENCE_ERROR'],
  [1009, 'KOJI_RETRY_ERROR'],
  [1014, 'KOJI_SERVER_OFFLINE'],
  [1019, 'KOJI_PARAMETER_ERROR'],
]);

/** Message prefixes of GenericError (1000) faults the signer must tell apart. */
const GENERIC_REFINEMENTS: readonly (readonly [string, KojiFaultErrorCode])[] = [
  ['Signature already exists for package', 'KOJI_SIGNATURE_EXISTS'],
  ['No cached signature for package', 'KOJI_NO_CACHED_SIGNATURE'],
  ['wrong md5 for', 'KOJI_WRONG_MD5'],
  ['No such rpm', 'KOJI_NO_SUCH_RPM'],
];

/** Longest fault string kept; the rest is cut (a hostile hub could send megabytes). */
const MAX_FAULT_STRING = 4096;

/** A fault the hub returned. `faultString` is the hub's text, shortened, never trusted as markup. */
export class KojiFault extends KojiError {
  readonly faultCode: number;
  readonly faultString: string;

  constructor(faultCode: number, faultString: string) {
    const text = faultString.length > MAX_FAULT_STRING ? `${faultString.slice(0, MAX_FAULT_STRING)}…` : faultString;
    super(kojiFaultErrorCode(faultCode, text), `Koji hub fault ${faultCode}: ${text}`);
    this.faultCode = faultCode;
    this.faultString = text;
  }
}

/** The stable code for a fault: by number, refined for the GenericError texts above. */
export function kojiFaultErrorCode(faultCode: number, faultString: string): KojiFaultErrorCode {
  if (faultCode === KOJI_FAULT_CODES.GENERIC) {
    // Koji prefixes the exception class in some paths ("koji.GenericError: ..."); look anywhere.
    for (const [text, code] of GENERIC_REFINEMENTS) if (faultString.includes(text)) return code;
  }
  return BY_FAULT_CODE.get(faultCode) ?? 'KOJI_FAULT';
}

export function isKojiFault(err: unknown, code?: KojiFaultErrorCode): err is KojiFault {
  return err instanceof KojiFault && (code === undefined || err.code === code);
}
