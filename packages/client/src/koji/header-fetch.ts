import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { checkHeaderDigests, locatePackage, readPackageHead, RpmError, SIGTAG } from '@signet/rpm';
import type { PackageLayout, PackageLimits } from '@signet/rpm';
import { KojiSignError } from './sign-errors.ts';

/**
 * Reads only the head (lead, signature header, main header) of a package the hub stores:
 * from the local `topdir` when it is mounted and readable, else from `topurl` with HTTP
 * `Range` requests (first 4.5 KiB, then exactly what the locator still needs), falling
 * back to a streamed GET that is cut as soon as the header is complete when the server
 * ignores `Range`. The payload is never read.
 *
 * Threat: a swapped or damaged file under topdir/topurl. The head is accepted only when
 * its MD5 (signature tag 1004) equals the hub's `payloadhash` (sigmd5, recorded at import)
 * and its header digests match the main header; else KOJI_HEADER_MISMATCH.
 */

export interface HeaderSource {
  /** Local mount of the hub's files (profile `topdir`). */
  readonly topdir?: string | undefined;
  /** URL of the same files (profile `topurl`). */
  readonly topurl?: string | undefined;
  /** CA for an https topurl (profile `serverca`). */
  readonly ca?: string | Buffer | undefined;
  readonly timeoutMs?: number;
  /** Bound on lead + both headers. Default 64 MiB. */
  readonly maxHeadBytes?: number;
  /**
   * Bound on the main header's data store (the client's `limits.maxHeaderBytes`, as
   * sign-rpm uses it); over it, RPM_HEADER_TOO_LARGE. Default: @signet/rpm's (32 MiB).
   */
  readonly maxHeaderBytes?: number | undefined;
  /** Keep-alive agent for topurl (`headerAgent`); without one, a connection per request. */
  readonly agent?: http.Agent | undefined;
}

/** Connections to topurl kept open at most (the hub's file server is shared with builders). */
export const HEADER_SOCKETS = 32;

/**
 * A keep-alive agent for `topurl`, so that reading the heads of a tag's rpms reuses a few
 * connections instead of paying a TCP and TLS handshake per request (two per rpm: a Range
 * request for the head and, when the signed copy is checked, a HEAD). The caller destroys it.
 */
export function headerAgent(topurl: string, ca: string | Buffer | undefined): http.Agent {
  const options = { keepAlive: true, maxSockets: HEADER_SOCKETS, maxFreeSockets: HEADER_SOCKETS };
  return new URL(topurl).protocol === 'https:' ? new https.Agent({ ...options, ca }) : new http.Agent(options);
}

export type HeadVia = 'topdir' | 'range' | 'stream';

export interface FetchedHead {
  readonly layout: PackageLayout;
  readonly via: HeadVia;
}

/** rpm reserves 4 KiB in the signature header: this covers lead, signature header and the main intro. */
const FIRST_RANGE = 4608;
const DEFAULT_MAX = 64 * 1024 * 1024;

function unavailable(rel: string, why: string, cause?: unknown): KojiSignError {
  return new KojiSignError('KOJI_HEADER_UNAVAILABLE', `cannot read the header of ${rel}: ${why}`, cause === undefined ? undefined : { cause });
}

/** The local file for `rel` when topdir is set and the file is readable, else undefined. */
async function localFile(src: HeaderSource, rel: string): Promise<string | undefined> {
  if (src.topdir === undefined) return undefined;
  const file = path.join(src.topdir, ...rel.split('/'));
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    return file;
  } catch {
    return undefined;
  }
}

function fileUrl(src: HeaderSource, rel: string): URL {
  const base = (src.topurl as string).replace(/\/+$/, '');
  return new URL(`${base}/${rel.split('/').map(encodeURIComponent).join('/')}`);
}

/** Checks the head against the hub's sigmd5 and its own header digests. Pure. */
export function checkHeadAgainstHub(layout: PackageLayout, sigmd5: string, rel: string): void {
  const md5 = layout.signatureHeader.entries.find((e) => e.tag === SIGTAG.MD5);
  const got = md5?.data.toString('hex');
  if (got !== sigmd5.toLowerCase()) {
    throw new KojiSignError('KOJI_HEADER_MISMATCH', `${rel}: the file's sigmd5 ${got ?? '(none)'} is not the hub's ${sigmd5}; the file was replaced or damaged after import — refusing to sign it`);
  }
  try {
    checkHeaderDigests(layout);
  } catch (err) {
    throw new KojiSignError('KOJI_HEADER_MISMATCH', `${rel}: header digests do not match the main header — refusing to sign it`, { cause: err });
  }
}

/** The locator limits for `src`: its main-header bound, else @signet/rpm's defaults. */
function limitsOf(src: HeaderSource): Partial<PackageLimits> | undefined {
  return src.maxHeaderBytes === undefined ? undefined : { mainMaxBytes: src.maxHeaderBytes };
}

async function readLocal(file: string, rel: string, max: number, limits: Partial<PackageLimits> | undefined): Promise<PackageLayout> {
  // readPackageHead opens without waiting on a FIFO and refuses anything but a regular file (RPM_IO).
  let layout: PackageLayout;
  try {
    ({ layout } = await readPackageHead(file, limits));
  } catch (err) {
    // I/O failures (unreadable, not a regular file, truncated) are "cannot read the header";
    // a malformed or oversized header keeps its RPM_* code, as from topurl.
    if (err instanceof RpmError && (err.code === 'RPM_IO' || err.code === 'RPM_TRUNCATED')) throw unavailable(rel, err.message, err);
    throw err;
  }
  if (layout.mainEnd > max) throw unavailable(rel, `head larger than ${max} bytes`);
  return layout;
}

interface Got {
  readonly status: number;
  readonly body: Buffer;
}

/**
 * One GET. With `range`, a 206 body is returned whole (bounded); a 200 is read only until
 * `enough(prefix)` says stop, then the connection is destroyed.
 */
function get(src: HeaderSource, url: URL, range: [number, number] | undefined, enough: (prefix: Buffer) => boolean, max: number, method = 'GET'): Promise<Got> {
  return getOnce(src, url, range, enough, max, method).catch((err: unknown) => {
    // A kept-alive connection the server closed while it sat idle (nginx sends no timeout
    // hint) fails its next request at once: that request never reached the server, so it
    // is sent again, once, on a new connection (not another idle one from the pool).
    if (err instanceof StaleConnectionError) return getOnce({ ...src, agent: undefined }, url, range, enough, max, method);
    throw err;
  });
}

class StaleConnectionError extends Error {}

function getOnce(src: HeaderSource, url: URL, range: [number, number] | undefined, enough: (prefix: Buffer) => boolean, max: number, method: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = range === undefined ? {} : { Range: `bytes=${range[0]}-${range[1]}` };
    const req = mod.request(url, { method, headers, ca: src.ca, timeout: src.timeoutMs ?? 60_000, agent: src.agent ?? false }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        resolve({ status, body: Buffer.concat(chunks, size) });
      };
      if (status !== 200 && status !== 206) {
        res.resume();
        finish();
        return;
      }
      res.on('data', (c: Buffer) => {
        if (done) return;
        chunks.push(c);
        size += c.length;
        if (size > max) {
          done = true;
          res.destroy();
          reject(unavailable(url.pathname, `more than ${max} bytes without a complete header`));
          return;
        }
        if (status === 200 && enough(Buffer.concat(chunks, size))) {
          finish();
          res.destroy(); // Streamed fallback: stop reading at the end of the header.
        }
      });
      res.on('end', finish);
      res.on('error', (err) => {
        if (!done) reject(err);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      reject(stale ? new StaleConnectionError(err.message, { cause: err }) : err);
    });
    req.end();
  });
}

async function fetchRemote(src: HeaderSource, rel: string, max: number, limits: Partial<PackageLimits> | undefined): Promise<{ layout: PackageLayout; via: HeadVia }> {
  const url = fileUrl(src, rel);
  let buf: Buffer = Buffer.alloc(0);
  let via: HeadVia = 'range';
  // Runs inside the response's 'data' handler, where a throw would escape the promise: a
  // locator error (oversized or malformed header) just stops the read; step2 reports it.
  const complete = (b: Buffer): boolean => {
    try {
      return locatePackage(b, limits).complete;
    } catch {
      return true;
    }
  };
  for (let requests = 0; requests < 8; requests++) {
    const step = locatePackage(buf, limits);
    if (step.complete) return { layout: step.layout, via };
    if (step.need > max) throw unavailable(rel, `head larger than ${max} bytes`);
    const end = Math.max(step.need, requests === 0 ? FIRST_RANGE : 0) - 1;
    let got: Got;
    try {
      got = await get(src, url, [buf.length, end], complete, max);
    } catch (err) {
      throw err instanceof KojiSignError ? err : unavailable(rel, (err as Error).message, err);
    }
    if (got.status === 206) {
      if (got.body.length === 0) throw unavailable(rel, 'empty range answer');
      buf = Buffer.concat([buf, got.body]);
    } else if (got.status === 200) {
      // No Range support: the body starts at offset 0 and was cut after the header.
      via = 'stream';
      buf = got.body;
      const step2 = locatePackage(buf, limits);
      if (step2.complete) return { layout: step2.layout, via };
      throw unavailable(rel, 'file ends inside its header');
    } else {
      throw unavailable(rel, `HTTP ${got.status} from ${url.origin}`);
    }
  }
  throw unavailable(rel, 'header not complete after 8 requests');
}

/** Fetches and checks the head of `rel` (relative to topdir/topurl) against the hub's `sigmd5`. */
export async function fetchRpmHead(src: HeaderSource, rel: string, sigmd5: string): Promise<FetchedHead> {
  const max = src.maxHeadBytes ?? DEFAULT_MAX;
  const limits = limitsOf(src);
  const local = await localFile(src, rel);
  let fetched: FetchedHead;
  if (local !== undefined) fetched = { layout: await readLocal(local, rel, max, limits), via: 'topdir' };
  else if (src.topurl !== undefined) fetched = await fetchRemote(src, rel, max, limits);
  else throw unavailable(rel, 'not readable under topdir and the Koji profile has no topurl');
  checkHeadAgainstHub(fetched.layout, sigmd5, rel);
  return fetched;
}

/** Whether `rel` exists: a stat under a readable topdir, else a HEAD request on topurl. */
export async function fileExists(src: HeaderSource, rel: string): Promise<boolean> {
  if (src.topdir !== undefined && (await topdirMounted(src.topdir))) {
    const file = path.join(src.topdir, ...rel.split('/'));
    try {
      return (await fs.promises.stat(file)).isFile();
    } catch {
      return false;
    }
  }
  if (src.topurl === undefined) throw unavailable(rel, 'the Koji profile has neither a readable topdir nor a topurl');
  let got: Got;
  try {
    got = await get(src, fileUrl(src, rel), undefined, () => true, 0, 'HEAD');
  } catch (err) {
    throw unavailable(rel, (err as Error).message, err);
  }
  if (got.status === 200 || got.status === 206) return true;
  if (got.status === 404) return false;
  throw unavailable(rel, `HTTP ${got.status} on HEAD`);
}

/**
 * Whether `topdir` is a directory, looked at once per directory name for a few seconds
 * rather than once per rpm of a plan (a mount appearing or going away is seen soon after).
 */
const topdirSeen = new Map<string, { at: number; mounted: Promise<boolean> }>();
const TOPDIR_RECHECK_MS = 5000;

function topdirMounted(dir: string): Promise<boolean> {
  const now = Date.now();
  const seen = topdirSeen.get(dir);
  if (seen !== undefined && now - seen.at < TOPDIR_RECHECK_MS) return seen.mounted;
  const mounted = fs.promises.stat(dir).then(
    (st) => st.isDirectory(),
    () => false,
  );
  topdirSeen.set(dir, { at: now, mounted });
  return mounted;
}
