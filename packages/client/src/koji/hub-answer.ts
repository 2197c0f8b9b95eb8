import type { KojiValue } from './values.ts';
import { KojiSignError } from './sign-errors.ts';

/**
 * Shape checks for the parts of hub answers the client uses (Koji's XML-RPC values are
 * already bounded by the decoder). Threat: an answer of another shape (null, a list, a
 * string id) passed on as a struct or an id. KOJI_HUB_ANSWER, naming what was expected.
 */

export function badAnswer(what: string): never {
  throw new KojiSignError('KOJI_HUB_ANSWER', `unexpected hub answer: ${what}`);
}

/** `v` as a struct (an XML-RPC <struct>), else KOJI_HUB_ANSWER. */
export function struct(v: KojiValue | undefined, what: string): Record<string, KojiValue> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Date || Buffer.isBuffer(v)) badAnswer(`${what} is not a struct`);
  return v as Record<string, KojiValue>;
}

/** `s[key]` as a non-negative safe integer id, else KOJI_HUB_ANSWER. */
export function idOf(s: Record<string, KojiValue>, key: string, what: string): number {
  const v = s[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) badAnswer(`${what}.${key} is not an id`);
  return v;
}
