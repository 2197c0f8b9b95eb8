import { KojiError } from './errors.ts';
import type { XmlElement } from './xml.ts';

/**
 * XML-RPC values as Koji (Python's xmlrpc.client plus koji.xmlrpcplus) sends them.
 *
 * JS ↔ XML-RPC:
 * - `null` ↔ `<nil/>`; `boolean` ↔ `<boolean>`; `string` ↔ `<string>` (or an untyped `<value>`);
 * - integer `number` → `<int>` within 32 bits, `<i8>` up to ±2^53; `<int>`/`<i4>`/`<i8>` → number
 *   (beyond ±2^53 is refused: KOJI_XML_UNSUPPORTED, no silent rounding);
 * - other finite `number` ↔ `<double>`;
 * - `Buffer`/`Uint8Array` → `<base64>` → `Buffer`;
 * - `Date` ↔ `<dateTime.iso8601>` (`YYYYMMDDTHH:MM:SS`, UTC, as Python writes naive times);
 * - array ↔ `<array>`; plain object ↔ `<struct>` (object properties set to `undefined` are left out).
 */
export type KojiValue = null | boolean | number | string | Buffer | Date | KojiValue[] | KojiStruct;
export interface KojiStruct {
  [key: string]: KojiValue;
}
/** What the encoder accepts: KojiValue plus Uint8Array and undefined struct members. */
export type KojiInput = KojiValue | Uint8Array | undefined | readonly KojiInput[] | { readonly [key: string]: KojiInput };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function unsupported(message: string): KojiError {
  return new KojiError('KOJI_XML_UNSUPPORTED', message);
}

function malformed(message: string): KojiError {
  return new KojiError('KOJI_XML_MALFORMED', `malformed XML-RPC value: ${message}`);
}

export function escapeXml(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i) as number;
    // Threat: control characters the hub's XML parser refuses, turning a value into a fault we did not foresee.
    if (!(c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff))) {
      throw unsupported(`string holds U+${c.toString(16).padStart(4, '0')}, which XML 1.0 cannot carry`);
    }
    if (c > 0xffff) i++;
  }
  // \r as a reference: a raw CR would be normalised to LF by the receiving parser.
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Python's xmlrpc `DateTime` text form: `YYYYMMDDTHH:MM:SS`. */
export function formatDateTime(d: Date): string {
  if (Number.isNaN(d.getTime())) throw unsupported('invalid Date');
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
}

function isPlainObject(v: object): v is { readonly [key: string]: KojiInput } {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Encodes one value as `<value>…</value>`, at most `maxDepth` containers deep (cycles end there too). */
export function encodeValue(v: KojiInput, maxDepth = 64): string {
  const out: string[] = [];
  const walk = (x: KojiInput, depth: number): void => {
    if (depth > maxDepth) throw unsupported(`value nests deeper than ${maxDepth} levels (or is cyclic)`);
    out.push('<value>');
    if (x === null) out.push('<nil/>');
    else if (x === undefined) throw unsupported('undefined cannot be sent; use null for None');
    else if (typeof x === 'boolean') out.push(`<boolean>${x ? 1 : 0}</boolean>`);
    else if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw unsupported(`${x} cannot be sent over XML-RPC`);
      if (Number.isInteger(x)) {
        if (!Number.isSafeInteger(x)) throw unsupported(`integer ${x} is beyond ±2^53 and would lose precision`);
        out.push(x >= INT32_MIN && x <= INT32_MAX ? `<int>${x}</int>` : `<i8>${x}</i8>`);
      } else {
        out.push(`<double>${String(x)}</double>`);
      }
    } else if (typeof x === 'string') out.push(`<string>${escapeXml(x)}</string>`);
    else if (x instanceof Uint8Array) out.push(`<base64>${Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64')}</base64>`);
    else if (x instanceof Date) out.push(`<dateTime.iso8601>${formatDateTime(x)}</dateTime.iso8601>`);
    else if (Array.isArray(x)) {
      out.push('<array><data>');
      for (const item of x as readonly KojiInput[]) walk(item, depth + 1);
      out.push('</data></array>');
    } else if (typeof x === 'object' && isPlainObject(x)) {
      out.push('<struct>');
      for (const [key, member] of Object.entries(x)) {
        if (member === undefined) continue;
        out.push(`<member><name>${escapeXml(key)}</name>`);
        walk(member, depth + 1);
        out.push('</member>');
      }
      out.push('</struct>');
    } else {
      throw unsupported(`a ${typeof x} cannot be sent over XML-RPC`);
    }
    out.push('</value>');
  };
  walk(v, 0);
  return out.join('');
}

function onlyChild(el: XmlElement, name: string): XmlElement {
  // Threat: stray text or extra elements a laxer reader would skip and we would read differently.
  if (el.text.trim() !== '') throw malformed(`unexpected text inside <${el.name}>`);
  const [child, ...rest] = el.children;
  if (child === undefined || rest.length > 0 || child.name !== name) throw malformed(`<${el.name}> must hold exactly one <${name}>`);
  return child;
}

function noChildren(el: XmlElement): string {
  if (el.children.length > 0) throw malformed(`<${el.name}> must not contain elements`);
  return el.text;
}

function parseInteger(text: string, type: string): number {
  const t = text.trim();
  if (!/^[+-]?[0-9]{1,20}$/.test(t)) throw malformed(`<${type}> holds "${t.slice(0, 30)}", not an integer`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) throw unsupported(`integer ${t} is beyond ±2^53; refusing to round it`);
  return n;
}

const DATETIME = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

function parseDateTime(text: string): Date {
  const m = DATETIME.exec(text.trim());
  if (m === null) throw malformed(`bad dateTime.iso8601 "${text.trim().slice(0, 40)}"`);
  const [, y, mo, d, h, mi, sec, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw malformed(`dateTime.iso8601 "${text.trim()}" is out of range`);
  return date;
}

/** Decodes a `<value>` element. Struct results have no prototype, so `__proto__` is just a key. */
export function decodeValue(value: XmlElement): KojiValue {
  if (value.name !== 'value') throw malformed(`expected <value>, found <${value.name}>`);
  if (value.children.length === 0) return value.text; // untyped value: a string
  const typed = onlyChild(value, value.children[0]?.name ?? '');
  switch (typed.name) {
    case 'nil':
      if (typed.children.length > 0 || typed.text.trim() !== '') throw malformed('<nil/> must be empty');
      return null;
    case 'boolean': {
      const t = noChildren(typed).trim();
      if (t !== '0' && t !== '1') throw malformed(`<boolean> holds "${t.slice(0, 20)}", expected 0 or 1`);
      return t === '1';
    }
    case 'int':
    case 'i4':
    case 'i8':
      return parseInteger(noChildren(typed), typed.name);
    case 'double': {
      const t = noChildren(typed).trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw malformed(`<double> holds "${t.slice(0, 30)}"`);
      return Number(t);
    }
    case 'string':
      return noChildren(typed);
    case 'dateTime.iso8601':
      return parseDateTime(noChildren(typed));
    case 'base64': {
      const t = noChildren(typed).replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) throw malformed('<base64> is not valid base64');
      return Buffer.from(t, 'base64');
    }
    case 'array': {
      const data = onlyChild(typed, 'data');
      if (data.text.trim() !== '') throw malformed('unexpected text inside <data>');
      return data.children.map((c) => decodeValue(c));
    }
    case 'struct': {
      if (typed.text.trim() !== '') throw malformed('unexpected text inside <struct>');
      const out: KojiStruct = Object.create(null) as KojiStruct;
      for (const member of typed.children) {
        if (member.name !== 'member' || member.text.trim() !== '') throw malformed(`<struct> may only hold <member>, found <${member.name}>`);
        const name = member.children.find((c) => c.name === 'name');
        const val = member.children.find((c) => c.name === 'value');
        if (member.children.length !== 2 || name === undefined || val === undefined) throw malformed('<member> must hold one <name> and one <value>');
        out[noChildren(name)] = decodeValue(val);
      }
      return out;
    }
    default:
      throw malformed(`unknown value type <${typed.name}>`);
  }
}
