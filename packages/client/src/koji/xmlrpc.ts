import { KojiError, KojiFault } from './errors.ts';
import { decodeValue, encodeValue, escapeXml } from './values.ts';
import type { KojiInput, KojiStruct, KojiValue } from './values.ts';
import { DEFAULT_XML_LIMITS, parseXml } from './xml.ts';
import type { XmlElement, XmlLimits } from './xml.ts';

/**
 * Koji's XML-RPC dialect: method calls, responses, faults, keyword arguments and
 * `multiCall`. Pure: strings and Buffers in, values out.
 *
 * Keyword arguments travel as a last struct marked `__starstar: true` (koji
 * `encode_args`); the hub pops it off and calls `method(*args, **kwargs)`.
 */

export type KojiKwargs = { readonly [key: string]: KojiInput };

export interface KojiCall {
  readonly method: string;
  readonly args?: readonly KojiInput[];
  readonly kwargs?: KojiKwargs | undefined;
}

const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/;

function malformed(message: string): KojiError {
  return new KojiError('KOJI_XML_MALFORMED', `malformed XML-RPC message: ${message}`);
}

/** Positional arguments plus the `__starstar` struct when there are keyword arguments. */
export function encodeArgs(args: readonly KojiInput[] = [], kwargs?: KojiKwargs): KojiInput[] {
  const present = kwargs === undefined ? [] : Object.entries(kwargs).filter(([, v]) => v !== undefined);
  if (present.length === 0) return [...args];
  if (present.some(([k]) => k === '__starstar')) throw new KojiError('KOJI_XML_UNSUPPORTED', '"__starstar" cannot be a keyword argument name');
  return [...args, { ...Object.fromEntries(present), __starstar: true }];
}

/** `<methodCall>` for `method(*args, **kwargs)`. */
export function encodeCall(method: string, args: readonly KojiInput[] = [], kwargs?: KojiKwargs): string {
  if (!METHOD_NAME.test(method)) throw new KojiError('KOJI_XML_UNSUPPORTED', `"${method.slice(0, 40)}" is not a Koji method name`);
  const params = encodeArgs(args, kwargs)
    .map((p) => `<param>${encodeValue(p)}</param>`)
    .join('');
  return `<?xml version='1.0'?>\n<methodCall><methodName>${escapeXml(method)}</methodName><params>${params}</params></methodCall>\n`;
}

/** The success response carrying `value`. */
export function encodeResponse(value: KojiInput): string {
  return `<?xml version='1.0'?>\n<methodResponse><params><param>${encodeValue(value)}</param></params></methodResponse>\n`;
}

/** A fault response (sent with HTTP 200, as Koji does). */
export function encodeFault(faultCode: number, faultString: string): string {
  return `<?xml version='1.0'?>\n<methodResponse><fault>${encodeValue({ faultCode, faultString })}</fault></methodResponse>\n`;
}

function expectWhitespace(el: XmlElement): void {
  if (el.text.trim() !== '') throw malformed(`unexpected text inside <${el.name}>`);
}

function paramsOf(el: XmlElement | undefined): KojiValue[] {
  if (el === undefined) return [];
  expectWhitespace(el);
  return el.children.map((p) => {
    if (p.name !== 'param') throw malformed(`<params> may only hold <param>, found <${p.name}>`);
    expectWhitespace(p);
    const [v, ...rest] = p.children;
    if (v === undefined || rest.length > 0) throw malformed('<param> must hold exactly one <value>');
    return decodeValue(v);
  });
}

function isStruct(v: KojiValue | undefined): v is KojiStruct {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !Buffer.isBuffer(v);
}

/** A fault struct → KojiFault; anything else → KOJI_XML_MALFORMED. */
export function faultFromValue(v: KojiValue): KojiFault {
  if (!isStruct(v)) throw malformed('<fault> must hold a struct');
  const code = v['faultCode'];
  const text = v['faultString'];
  if (typeof code !== 'number' || typeof text !== 'string') throw malformed('fault struct needs an integer faultCode and a string faultString');
  return new KojiFault(code, text);
}

/** Parses a `<methodResponse>`: returns the value, or throws the fault as a KojiFault. */
export function decodeResponse(body: Buffer | string, limits: XmlLimits = DEFAULT_XML_LIMITS): KojiValue {
  const root = parseXml(body, limits);
  if (root.name !== 'methodResponse') throw malformed(`root element is <${root.name}>, expected <methodResponse>`);
  expectWhitespace(root);
  const [child, ...rest] = root.children;
  if (child === undefined || rest.length > 0) throw malformed('<methodResponse> must hold exactly one <params> or <fault>');
  if (child.name === 'fault') {
    expectWhitespace(child);
    const [v, ...more] = child.children;
    if (v === undefined || more.length > 0) throw malformed('<fault> must hold exactly one <value>');
    throw faultFromValue(decodeValue(v));
  }
  if (child.name !== 'params') throw malformed(`<methodResponse> holds <${child.name}>`);
  const params = paramsOf(child);
  const [value, ...extra] = params;
  if (value === undefined || extra.length > 0) throw malformed('a response must carry exactly one value');
  return value;
}

/** A decoded `<methodCall>`, keyword arguments split off (the hub side). */
export interface DecodedCall {
  readonly method: string;
  readonly args: KojiValue[];
  readonly kwargs: KojiStruct;
}

/** Splits a trailing `__starstar` struct off `params`, as Koji's hub does. */
export function splitKwargs(params: readonly KojiValue[]): { args: KojiValue[]; kwargs: KojiStruct } {
  const last = params[params.length - 1];
  const kwargs: KojiStruct = Object.create(null) as KojiStruct;
  if (isStruct(last) && last['__starstar'] === true) {
    for (const [k, v] of Object.entries(last)) if (k !== '__starstar') kwargs[k] = v;
    return { args: params.slice(0, -1), kwargs };
  }
  return { args: [...params], kwargs };
}

export function decodeCall(body: Buffer | string, limits: XmlLimits = DEFAULT_XML_LIMITS): DecodedCall {
  const root = parseXml(body, limits);
  if (root.name !== 'methodCall') throw malformed(`root element is <${root.name}>, expected <methodCall>`);
  expectWhitespace(root);
  const nameEl = root.children[0];
  if (nameEl?.name !== 'methodName' || nameEl.children.length > 0) throw malformed('<methodCall> must start with <methodName>');
  const method = nameEl.text.trim();
  if (!METHOD_NAME.test(method)) throw malformed(`bad method name "${method.slice(0, 40)}"`);
  if (root.children.length > 2 || (root.children[1] !== undefined && root.children[1].name !== 'params')) throw malformed('<methodCall> holds unexpected elements');
  return { method, ...splitKwargs(paramsOf(root.children[1])) };
}

/** One entry of a multiCall result: `[value]` on success, a fault struct otherwise. */
export type MultiCallResult = { readonly ok: true; readonly value: KojiValue } | { readonly ok: false; readonly fault: KojiFault };

/** The single argument of `multiCall`: `[{methodName, params}]`, kwargs inside params. */
export function encodeMultiCallArgs(calls: readonly KojiCall[]): KojiInput[] {
  return [
    calls.map((c) => {
      if (!METHOD_NAME.test(c.method)) throw new KojiError('KOJI_XML_UNSUPPORTED', `"${c.method.slice(0, 40)}" is not a Koji method name`);
      return { methodName: c.method, params: encodeArgs(c.args, c.kwargs) };
    }),
  ];
}

/** Reads the value `multiCall` returned; its length must match the number of calls. */
export function decodeMultiCallResult(value: KojiValue, expected: number): MultiCallResult[] {
  if (!Array.isArray(value) || value.length !== expected) {
    throw malformed(`multiCall returned ${Array.isArray(value) ? value.length : 'a non-array'} results for ${expected} calls`);
  }
  return value.map((entry): MultiCallResult => {
    if (Array.isArray(entry) && entry.length === 1) return { ok: true, value: entry[0] as KojiValue };
    if (isStruct(entry)) return { ok: false, fault: faultFromValue(entry) };
    throw malformed('a multiCall result must be [value] or a fault struct');
  });
}
