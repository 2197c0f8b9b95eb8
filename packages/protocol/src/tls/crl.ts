import { statSync, type Stats } from 'node:fs';
import { readFileBounded } from '../bounded-read.ts';
import { createSecureContext } from 'node:tls';
import { readDerWhole } from '../der.ts';
import { crlEntriesOfDer, type CrlEntries } from './crl-entries.ts';
import { TlsConfigError } from './material.ts';

/**
 * Certificate revocation lists for node:tls, from the crl-bundle.pem signet-pki writes
 * (one PEM CRL per trusted CA).
 *
 * Two facts of Node 24 / OpenSSL shape this module:
 * - The `crl` option of tls.createSecureContext/createServer reads ONE CRL per string or
 *   Buffer: a bundle passed as a single Buffer silently keeps only its first CRL. So the
 *   bundle is split, and `crl` gets an array with one Buffer per CRL.
 * - Once any CRL is set, OpenSSL checks every certificate of the chain
 *   (X509_V_FLAG_CRL_CHECK | CRL_CHECK_ALL) and refuses one whose issuer has no CRL in the
 *   set with UNABLE_TO_GET_CRL, and every certificate once that CRL is past its
 *   nextUpdate (CRL_HAS_EXPIRED). The bundle must hold a fresh CRL for each trusted CA.
 */

/** Largest CRL bundle read; like every TLS file, far from a memory DoS. */
export const MAX_CRL_BUNDLE_BYTES = 1024 * 1024;
/** A bundle holds one CRL per trusted CA: two during a CA rollover. */
export const MAX_CRLS_PER_BUNDLE = 16;
/** Default: look at the file's metadata at most once a second. */
export const CRL_RECHECK_MS = 1000;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]*?)-----END ([A-Z0-9 ]+)-----/g;

/** A checked CRL bundle: each CRL's PEM for node:tls and the DER it was decoded from. */
export interface CrlBundle {
  /** One normalised PEM Buffer per CRL, for the `crl` option. */
  readonly pems: Buffer[];
  /** The DER of each CRL, in the same order (for its entries: crlEntriesOfDer). */
  readonly ders: readonly Buffer[];
}

/**
 * Splits and checks a PEM CRL bundle: only `X509 CRL` blocks, each a well-formed DER
 * SEQUENCE, that OpenSSL itself accepts as a CRL. Pure apart from OpenSSL's parse.
 * Returns one normalised PEM Buffer per CRL, for the `crl` option.
 */
export function parseCrlBundle(data: Buffer, where: string): Buffer[] {
  return readCrlBundle(data, where).pems;
}

/** parseCrlBundle, also keeping the DER it decoded. */
export function readCrlBundle(data: Buffer, where: string): CrlBundle {
  const fail = (why: string, cause?: unknown): never => {
    throw new TlsConfigError('TLS_FILE_UNREADABLE', `cannot read the CRL file ${where}: ${why}`, cause === undefined ? undefined : { cause });
  };
  if (data.length > MAX_CRL_BUNDLE_BYTES) fail(`larger than ${MAX_CRL_BUNDLE_BYTES} bytes`);
  const text = data.toString('latin1');
  if (!/^[\t\n\r\x20-\x7e]*$/.test(text)) fail('not PEM text');
  const crls: Buffer[] = [];
  const ders: Buffer[] = [];
  let rest = '';
  let last = 0;
  for (const m of text.matchAll(PEM_BLOCK)) {
    rest += text.slice(last, m.index);
    last = m.index + m[0].length;
    // Threat: a key or certificate pasted into the CRL file, or a truncated copy, passing as "a CRL".
    if (m[1] !== 'X509 CRL' || m[3] !== 'X509 CRL') fail(`holds a ${m[1]} block; only X509 CRL blocks belong there`);
    const der = Buffer.from((m[2] ?? '').replace(/[\r\n]/g, ''), 'base64');
    if (readDerWhole(der, 0x30) === undefined) fail(`CRL #${crls.length + 1} is not well-formed DER`);
    ders.push(der);
    crls.push(Buffer.from(`-----BEGIN X509 CRL-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END X509 CRL-----\n`, 'ascii'));
    if (crls.length > MAX_CRLS_PER_BUNDLE) fail(`more than ${MAX_CRLS_PER_BUNDLE} CRLs`);
  }
  rest += text.slice(last);
  if (rest.trim() !== '') fail('text outside the PEM blocks (a truncated or mixed file?)');
  if (crls.length === 0) fail('no X509 CRL block');
  try {
    // OpenSSL's own parse, so a bad CRL is refused here, not on the next connection.
    createSecureContext({ crl: crls });
  } catch (err) {
    fail(`OpenSSL refuses it (${(err as Error).message})`, err);
  }
  return { pems: crls, ders };
}

interface BoundedRead {
  data: Buffer;
  /** Identity of what was read: device, inode, size, mtime. */
  key: string;
}

const statKey = (s: Stats): string => `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;

/** Reads at most MAX_CRL_BUNDLE_BYTES of a regular file; undefined when it does not exist. */
function readBounded(file: string): BoundedRead | undefined {
  try {
    const { data, stat } = readFileBounded(file, MAX_CRL_BUNDLE_BYTES);
    return { data, key: statKey(stat) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TlsConfigError('TLS_FILE_UNREADABLE', `cannot read the CRL file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads a CRL bundle for the `crl` option of node:tls: one Buffer per CRL. Undefined
 * when the file does not exist; TLS_FILE_UNREADABLE when it is unreadable, over 1 MiB,
 * or not a bundle of valid PEM CRLs.
 */
export function loadCrlBundle(file: string): Buffer[] | undefined {
  const read = readBounded(file);
  return read === undefined ? undefined : parseCrlBundle(read.data, file);
}

export interface CrlSourceOptions {
  /** The clock, in milliseconds, for the re-check interval; default Date.now. */
  now?: () => number;
  /** Look at the file at most this often (ms); default 1000; 0 looks on every call. */
  recheckMs?: number;
  /**
   * Told when a changed file cannot be used, or has vanished; the last good CRLs stay in
   * use meanwhile. Default: ignore (the caller may log it).
   */
  onError?: (err: TlsConfigError) => void;
}

export interface CrlSource {
  readonly path: string;
  /**
   * The CRLs to pass as `crl` for a new connection; undefined while there is no file.
   * `fresh` looks at the file now, whatever the re-check interval (RevocationWatch, which
   * keeps its own pace: otherwise a connection's look just before its tick would postpone
   * the change by another interval).
   */
  current(fresh?: boolean): Buffer[] | undefined;
  /**
   * Issuer and revoked serials of the CRLs `current()` last returned ([] while there are
   * none), from the DER read with them (decoded once per file version, when first asked).
   * Throws TLS_FILE_UNREADABLE when OpenSSL accepted them but their entries cannot be read.
   */
  entries(): readonly CrlEntries[];
}

/**
 * A CRL bundle that follows its file: `current()` re-reads it when its inode, size or
 * mtime changed (signet-pki replaces it by rename), so a new CRL is used from the next
 * connection on, without a restart. An invalid file at creation throws; a file that
 * turns invalid or vanishes later keeps the last good CRLs (still enforcing every
 * revocation they list, until their nextUpdate makes OpenSSL refuse all certificates).
 */
export function createCrlSource(file: string, opts: CrlSourceOptions = {}): CrlSource {
  const now = opts.now ?? Date.now;
  const recheckMs = opts.recheckMs ?? CRL_RECHECK_MS;
  let bundle: CrlBundle | undefined;
  let entriesOf: { bundle: CrlBundle; entries: readonly CrlEntries[] } | undefined;
  let seenKey: string | undefined;
  let checkedAt = -Infinity;

  const load = (): void => {
    const read = readBounded(file);
    if (read === undefined) {
      if (seenKey !== undefined && bundle !== undefined) {
        opts.onError?.(new TlsConfigError('TLS_FILE_UNREADABLE', `the CRL file ${file} has vanished; still using the CRLs read before`));
      }
      seenKey = undefined;
      return;
    }
    seenKey = read.key;
    bundle = readCrlBundle(read.data, file);
  };

  load(); // errors here are configuration errors: let them stop the start-up.
  checkedAt = now();

  return {
    path: file,
    current(fresh = false): Buffer[] | undefined {
      const t = now();
      if (!fresh && t - checkedAt < recheckMs) return bundle?.pems;
      checkedAt = t;
      let key: string | undefined;
      try {
        key = statKey(statSync(file));
      } catch {
        key = undefined;
      }
      if (key === seenKey) return bundle?.pems;
      try {
        load();
      } catch (err) {
        // Remember the bad version, so it is reported once, not on every connection.
        seenKey = key;
        opts.onError?.(err as TlsConfigError);
      }
      return bundle?.pems;
    },
    entries(): readonly CrlEntries[] {
      if (bundle === undefined) return [];
      if (entriesOf?.bundle !== bundle) entriesOf = { bundle, entries: bundle.ders.map(crlEntriesOfDer) };
      return entriesOf.entries;
    },
  };
}

/**
 * The CRL source of a party whose config names `tls.crl`, or undefined when it names
 * none. A named file that does not exist is a configuration error: a party told to check
 * revocation must not start without the list (fail closed).
 */
export function openCrlSource(file: string | undefined, onError: (err: TlsConfigError) => void): CrlSource | undefined {
  if (file === undefined) return undefined;
  const source = createCrlSource(file, { onError });
  if (source.current() === undefined) {
    throw new TlsConfigError('TLS_FILE_UNREADABLE', `the CRL file ${file} (tls.crl) does not exist; install signet-pki's crl-bundle.pem there or remove tls.crl`);
  }
  return source;
}
