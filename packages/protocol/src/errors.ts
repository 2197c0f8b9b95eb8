/**
 * Base class of every error Signet raises on purpose.
 *
 * `code` is stable: tests, scripts and the wire protocol rely on it, never on the message.
 * Messages say what went wrong and what to do; they never contain secrets.
 * Each package declares its own codes (a string union) and subclasses this.
 */
export class SignetError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `err` is a SignetError, optionally with the given code. */
export function isSignetError(err: unknown, code?: string): err is SignetError {
  return err instanceof SignetError && (code === undefined || err.code === code);
}
