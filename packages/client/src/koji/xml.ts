import { KojiError } from './errors.ts';

/**
 * A bounded parser for the XML subset XML-RPC uses: elements, attributes (read and
 * ignored), text with the five predefined entities and character references, comments,
 * and one leading `<?xml …?>` declaration. Nothing else: no DOCTYPE, no entity
 * declarations, no CDATA, no other processing instructions.
 *
 * Why hand-written rather than a general XML library: the subset is tiny, and what a
 * general parser adds (DTDs, external and internal entities) is exactly what an XML
 * attacker uses (billion laughs, XXE). Refusing `<!` except comments closes that door.
 * Every input is bounded before and while parsing: bytes, depth, element count.
 */

export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded). */
  text: string;
}

export interface XmlLimits {
  /** Largest document, in bytes. */
  readonly maxBytes: number;
  /** Deepest element nesting. */
  readonly maxDepth: number;
  /** Most elements in one document. */
  readonly maxElements: number;
}

/** Koji's hub accepts 4 MiB requests by default (MaxRequestLength); responses may be larger. */
export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 4_000_000,
};

const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function malformed(message: string, at: number): KojiError {
  return new KojiError('KOJI_XML_MALFORMED', `malformed XML-RPC document at character ${at}: ${message}`);
}

/** Threat: characters XML 1.0 forbids, which other parsers (the hub's expat) would reject or read differently. */
function isXmlChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

function decodeText(raw: string, at: number): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&]{0,12});?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) throw malformed('"&" not starting an entity reference', at);
    if (body.startsWith('#')) {
      const hex = body.startsWith('#x');
      const digits = body.slice(hex ? 2 : 1);
      if (!(hex ? /^[0-9A-Fa-f]{1,6}$/ : /^[0-9]{1,7}$/).test(digits)) throw malformed(`bad character reference &${body};`, at);
      const code = Number.parseInt(digits, hex ? 16 : 10);
      if (!isXmlChar(code)) throw malformed(`character reference &${body}; names a character XML forbids`, at);
      return String.fromCodePoint(code);
    }
    const value = ENTITIES[body];
    // Threat: undeclared entities are where entity-expansion attacks start; only the five predefined exist.
    if (value === undefined) throw malformed(`unknown entity &${body};`, at);
    return value;
  });
}

function checkChars(s: string, at: number): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i) as number;
    if (!isXmlChar(c)) throw malformed(`character U+${c.toString(16).padStart(4, '0')} is not allowed in XML`, at + i);
    if (c > 0xffff) i++;
  }
}

/** Decodes bytes as strict UTF-8 (the only encoding accepted) after the size check. */
export function xmlText(input: Buffer | string, limits: XmlLimits): string {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  // Threat: a hub (or a man in the middle) sending an endless body to exhaust memory.
  if (size > limits.maxBytes) {
    throw new KojiError('KOJI_XML_TOO_LARGE', `XML-RPC document of ${size} bytes exceeds the limit of ${limits.maxBytes} bytes`);
  }
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (err) {
    throw new KojiError('KOJI_XML_MALFORMED', 'XML-RPC document is not valid UTF-8', { cause: err });
  }
}

/** Parses one document into its root element. */
export function parseXml(input: Buffer | string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  const s = xmlText(input, limits);
  let i = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  if (s.startsWith('<?xml', i)) {
    const end = s.indexOf('?>', i);
    if (end < 0) throw malformed('unterminated XML declaration', i);
    const decl = s.slice(i, end);
    const enc = /encoding\s*=\s*["']([^"']*)["']/.exec(decl)?.[1];
    if (enc !== undefined && !/^utf-?8$/i.test(enc)) throw malformed(`encoding "${enc}" is not supported (UTF-8 only)`, i);
    i = end + 2;
  }
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0;

  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const textEnd = lt < 0 ? s.length : lt;
    if (textEnd > i) {
      const raw = s.slice(i, textEnd);
      checkChars(raw, i);
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (raw.trim() !== '') throw malformed('text outside the root element', i);
      } else {
        top.text += decodeText(raw, i);
      }
    }
    if (lt < 0) break;
    i = lt;
    if (s.startsWith('<!--', i)) {
      const end = s.indexOf('-->', i + 4);
      if (end < 0) throw malformed('unterminated comment', i);
      i = end + 3;
      continue;
    }
    // Threat: DOCTYPE/ENTITY declarations (entity expansion, external entities) and CDATA games.
    if (s.startsWith('<!', i)) throw malformed('DOCTYPE, entity declarations and CDATA are not accepted', i);
    if (s.startsWith('<?', i)) throw malformed('processing instructions are not accepted', i);
    const gt = s.indexOf('>', i);
    if (gt < 0) throw malformed('unterminated tag', i);
    const tag = s.slice(i + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open === undefined || open.name !== name) throw malformed(`closing tag </${name}> does not match ${open === undefined ? 'anything' : `<${open.name}>`}`, i);
      if (stack.length === 0) root = open;
    } else {
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([^\s]+)([\s\S]*)$/.exec(body);
      const name = m?.[1] ?? '';
      if (!NAME.test(name)) throw malformed(`bad element name "${name.slice(0, 40)}"`, i);
      const attrs = (m?.[2] ?? '').trim();
      if (attrs !== '' && !/^([A-Za-z_][\w.:-]*\s*=\s*("[^"<]*"|'[^'<]*')\s*)*$/.test(attrs)) throw malformed(`bad attributes on <${name}>`, i);
      if (root !== undefined) throw malformed('a second root element', i);
      if (++elements > limits.maxElements) {
        throw new KojiError('KOJI_XML_LIMIT', `XML-RPC document has more than ${limits.maxElements} elements`);
      }
      // Threat: deep nesting to exhaust the stack of whoever walks the tree.
      if (stack.length + 1 > limits.maxDepth) {
        throw new KojiError('KOJI_XML_LIMIT', `XML-RPC document nests deeper than ${limits.maxDepth} elements`);
      }
      const el: XmlElement = { name, children: [], text: '' };
      const parent = stack[stack.length - 1];
      parent?.children.push(el);
      if (selfClosing) {
        if (parent === undefined) root = el;
      } else {
        stack.push(el);
      }
    }
    i = gt + 1;
  }
  if (stack.length > 0) throw malformed(`document ends inside <${stack[stack.length - 1]?.name}>`, s.length);
  if (root === undefined) throw malformed('no root element', s.length);
  return root;
}
