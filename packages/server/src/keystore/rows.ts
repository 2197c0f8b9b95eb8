import { KeyStoreError } from './errors.ts';

/**
 * Typed reads of SQLite rows. A value of the wrong type means the file was altered outside
 * Signet (STRICT tables refuse such writes through SQLite): DB_CORRUPT, never a crash.
 */

export type Row = Record<string, unknown>;

/** What a read finds that Signet never writes: the file was altered or damaged. */
export function dbCorrupt(what: string): KeyStoreError {
  return new KeyStoreError('DB_CORRUPT', `${what}; restore the database from a backup`);
}

export function text(row: Row, col: string): string {
  const v = row[col];
  if (typeof v !== 'string') throw dbCorrupt(`column ${col} is not text`);
  return v;
}

export function optionalText(row: Row, col: string): string | null {
  return row[col] === null || row[col] === undefined ? null : text(row, col);
}

export function int(row: Row, col: string): number {
  const v = row[col];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw dbCorrupt(`column ${col} is not an integer`);
  return v;
}

export function blob(row: Row, col: string): Uint8Array {
  const v = row[col];
  if (!(v instanceof Uint8Array)) throw dbCorrupt(`column ${col} is not a blob`);
  return v;
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && /(UNIQUE|PRIMARY KEY) constraint failed/.test(err.message);
}
