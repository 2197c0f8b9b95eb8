import { RpmError } from '../errors.ts';
import { RPM_TYPE } from '../tags.ts';
import type { HeaderEntry, ParsedHeader } from './types.ts';

/**
 * Typed accessors over a parsed header. Each returns `undefined` when the tag is absent
 * and throws RPM_BAD_ENTRY when it is present with a type the caller cannot use: a tag
 * of the wrong type is never silently reinterpreted.
 */

export function findEntry(h: ParsedHeader, tag: number): HeaderEntry | undefined {
  return h.entries.find((e) => e.tag === tag);
}

export function hasTag(h: ParsedHeader, tag: number): boolean {
  return findEntry(h, tag) !== undefined;
}

function expectType(e: HeaderEntry, types: readonly number[], wanted: string): void {
  if (!types.includes(e.type)) {
    throw new RpmError('RPM_BAD_ENTRY', `tag ${e.tag} has type ${e.type}, expected ${wanted}`);
  }
}

function splitStrings(e: HeaderEntry): string[] {
  // The parser guaranteed exactly `count` NUL-terminated strings filling `data`.
  return e.data.subarray(0, e.data.length - 1).toString('utf8').split('\0');
}

/** A STRING entry (rpm also stores some strings as I18NSTRING; the first element is returned). */
export function getString(h: ParsedHeader, tag: number): string | undefined {
  const e = findEntry(h, tag);
  if (e === undefined) return undefined;
  expectType(e, [RPM_TYPE.STRING, RPM_TYPE.I18NSTRING], 'STRING');
  return splitStrings(e)[0];
}

export function getStringArray(h: ParsedHeader, tag: number): string[] | undefined {
  const e = findEntry(h, tag);
  if (e === undefined) return undefined;
  expectType(e, [RPM_TYPE.STRING_ARRAY, RPM_TYPE.I18NSTRING], 'STRING_ARRAY');
  return splitStrings(e);
}

export function getInt32Array(h: ParsedHeader, tag: number): number[] | undefined {
  const e = findEntry(h, tag);
  if (e === undefined) return undefined;
  expectType(e, [RPM_TYPE.INT32], 'INT32');
  const out: number[] = [];
  for (let i = 0; i < e.count; i++) out.push(e.data.readUInt32BE(4 * i));
  return out;
}

/** The single value of an INT32 entry (count must be 1). */
export function getInt32(h: ParsedHeader, tag: number): number | undefined {
  const values = getInt32Array(h, tag);
  if (values === undefined) return undefined;
  if (values.length !== 1) throw new RpmError('RPM_BAD_ENTRY', `tag ${tag} has ${values.length} values, expected 1`);
  return values[0];
}

export function getInt64Array(h: ParsedHeader, tag: number): bigint[] | undefined {
  const e = findEntry(h, tag);
  if (e === undefined) return undefined;
  expectType(e, [RPM_TYPE.INT64], 'INT64');
  const out: bigint[] = [];
  for (let i = 0; i < e.count; i++) out.push(e.data.readBigUInt64BE(8 * i));
  return out;
}

export function getBin(h: ParsedHeader, tag: number): Buffer | undefined {
  const e = findEntry(h, tag);
  if (e === undefined) return undefined;
  expectType(e, [RPM_TYPE.BIN], 'BIN');
  return e.data;
}
