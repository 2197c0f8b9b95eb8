import { isIPv4, isIPv6 } from 'node:net';
import { USER_NAME_PATTERN } from '@signet/protocol';
import { PkiError } from './errors.ts';

/**
 * Names that go into certificates. Each is checked before use: a name becomes a file
 * name under `issued/`, a CN the server takes as the user's identity, or a SAN a client
 * pins, so anything loose here (slashes, dots, Unicode look-alikes, uppercase twins)
 * would be a path traversal or an identity confusion later.
 */

/** POSIX-style user names, as the server maps client certificates to users; defined once in @signet/protocol. */
export { USER_NAME_PATTERN };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_DNS_NAME = 253;
const CA_NAME_PATTERN = /^[\x20-\x7e]{1,64}$/;

export function parseUserName(name: string): string {
  // Threat: a CN such as "root " or "Alice" or "../x" mapping to the wrong account or path.
  if (!USER_NAME_PATTERN.test(name)) {
    throw new PkiError('PKI_BAD_NAME', `user name '${printable(name)}' is not valid: use lowercase letters, digits, '_', '.', '-', starting with a letter or '_', at most 64 characters`);
  }
  return name;
}

/** A DNS host name (LDH labels), returned lowercase. A bare IP address is refused. */
export function parseDnsName(name: string): string {
  const lower = name.toLowerCase();
  const labels = lower.split('.');
  const ok =
    lower.length > 0 &&
    lower.length <= MAX_DNS_NAME &&
    labels.every((label) => DNS_LABEL.test(label)) &&
    // An all-numeric last label would read as an IPv4 address to some verifiers.
    !/^[0-9]+$/.test(labels[labels.length - 1] ?? '');
  if (!ok) {
    throw new PkiError('PKI_BAD_NAME', `'${printable(name)}' is not a valid DNS name: use letters, digits and '-' in dot-separated labels (use --ip for addresses)`);
  }
  return lower;
}

/** An IPv4 or IPv6 address, returned with its 4- or 16-byte network-order encoding. */
export function parseIpAddress(addr: string): { text: string; bytes: Buffer } {
  if (isIPv4(addr)) {
    return { text: addr, bytes: Buffer.from(addr.split('.').map((octet) => Number(octet))) };
  }
  if (isIPv6(addr) && !addr.includes('%')) {
    return { text: addr.toLowerCase(), bytes: ipv6Bytes(addr) };
  }
  throw new PkiError('PKI_BAD_NAME', `'${printable(addr)}' is not an IPv4 or IPv6 address (zone ids are not allowed)`);
}

export function isIpAddress(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

export function parseCaName(name: string): string {
  if (!CA_NAME_PATTERN.test(name) || name.trim() !== name) {
    throw new PkiError('PKI_BAD_NAME', `CA name '${printable(name)}' is not valid: use 1-64 printable ASCII characters without leading or trailing spaces`);
  }
  return name;
}

/** Expands an IPv6 address (already checked by node:net) into 16 bytes. */
function ipv6Bytes(addr: string): Buffer {
  // An embedded IPv4 tail ("::ffff:1.2.3.4") is rewritten as two hex groups first.
  const text = addr.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const left = parse(head);
  const right = parse(rest ?? '');
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** A bounded, control-free rendering of an untrusted name for error messages. */
function printable(value: string): string {
  const cut = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return cut.replace(/[^\x20-\x7e]/g, '?');
}
