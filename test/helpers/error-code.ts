import { isSignetError } from '@signet/protocol';

/**
 * The stable code of the Signet error `fn` throws; undefined when it throws nothing. Any
 * other exception is rethrown: it is a bug, not one of the refusals the tests check.
 */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isSignetError(err)) return err.code;
    throw err;
  }
  return undefined;
}

/** `codeOf` for a promise. */
export async function codeOfAsync(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    if (isSignetError(err)) return err.code;
    throw err;
  }
  return undefined;
}
