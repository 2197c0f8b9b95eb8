import { SignetError } from '@signet/protocol';

/**
 * Codes of Koji tag signing (`sign-tag`, `check-tag`, `sign-build`):
 * - KOJI_HEADER_MISMATCH: the header read from `topdir`/`topurl` does not carry the hub's
 *   sigmd5 (`payloadhash`), or its header digests do not match: the file was swapped or
 *   damaged; nothing is signed.
 * - KOJI_HEADER_UNAVAILABLE: the package's header could not be read from `topdir` nor
 *   fetched from `topurl` (missing file, HTTP error, truncated file).
 * - KOJI_HUB_ANSWER: the hub answered a listing call with rows of an unexpected shape, or
 *   getTag, getBuild or listTasks with an answer of one.
 */
export type KojiSignErrorCode = 'KOJI_HEADER_MISMATCH' | 'KOJI_HEADER_UNAVAILABLE' | 'KOJI_HUB_ANSWER';

export const KOJI_SIGN_ERROR_CODES: readonly KojiSignErrorCode[] = ['KOJI_HEADER_MISMATCH', 'KOJI_HEADER_UNAVAILABLE', 'KOJI_HUB_ANSWER'];

export class KojiSignError extends SignetError<KojiSignErrorCode> {}
