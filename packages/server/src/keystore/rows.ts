import { KeyStoreError } from './errors.ts';

/**
 * Typed reads of SQLite rows. A value of the wrong type means the file was altered outside
 * Signet (STRICT tables refuse such writes through SQLite): DB_CORRUPT, never a crash.
 */

export type Row = Record<string, unknown>;

export function text(row: Row, col: string): string {
  const v = row[col];
  if (typeof v !== 'string') throw new KeyStoreError('DB_CORRUPT', `column ${col} is not text; restore the database from a backup`);
  return v;
}

export function optionalText(row: Row, col: string): string | null {
  return row[col] === null || row[col] === undefined ? null : text(row, col);
}

export function int(row: Row, col: string): number {
  const v = row[col];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new KeyStoreError('DB_CORRUPT', `column ${col} is not an integer; restore the database from a backup`);
  return v;
}

export function blob(row: Row, col: string): Uint8Array {
  const v = row[col];
  if (!(v instanceof Uint8Array)) throw new KeyStoreError('DB_CORRUPT', `column ${col} is not a blob; restore the database from a backup`);
  return v;
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && /(UNIQUE|PRIMARY KEY) constraint failed/.test(err.message);
}
