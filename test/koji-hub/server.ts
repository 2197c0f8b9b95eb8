import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { dispatch, MAX_REQUEST_LENGTH } from './dispatch.ts';
import { HubState } from './state.ts';

/**
 * The thin HTTPS layer of the test hub, on 127.0.0.1 port 0:
 * - `POST /kojihub`: XML-RPC (faults with HTTP 200; GET → 405; `Koji-Version` header);
 * - `POST /kojihub/ssllogin`: the same, with the verified client certificate's CN for `sslLogin`;
 * - `GET /kojifiles/<path>`: files under `topdir`, with single `Range` requests (206) unless
 *   `rangeSupport` is switched off (then the whole file with 200, like Python's http.server).
 */

export interface KojiHubOptions {
  /** Directory served as topdir (created by the caller; removed by the caller). */
  readonly topdir: string;
  /** PEM server certificate and key (for 127.0.0.1). */
  readonly cert: Buffer | string;
  readonly key: Buffer | string;
  /** CA(s) whose client certificates `sslLogin` accepts. */
  readonly clientCa: Buffer | string;
}

export interface KojiHub {
  readonly state: HubState;
  /** `https://127.0.0.1:<port>/kojihub`. */
  readonly url: string;
  /** `https://127.0.0.1:<port>/kojifiles`. */
  readonly topurl: string;
  /** Answer `Range` with 206 (default true). */
  rangeSupport: boolean;
  /**
   * When set and it returns a status for a call (after the call ran), that HTTP status is
   * sent instead of the answer: a proxy failing on the way back, i.e. a lost answer.
   */
  httpStatusFor?: ((method: string, body: string) => number | undefined) | undefined;
  /** Every call and file request seen, in order (`call <method>` / `GET <path> <range>`). */
  readonly log: string[];
  close(): Promise<void>;
}

function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function serveFile(hub: KojiHub, req: IncomingMessage, res: ServerResponse, rel: string): void {
  const root = path.resolve(hub.state.topdir);
  const file = path.resolve(root, decodeURIComponent(rel));
  // Threat: path traversal out of topdir.
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403).end();
    return;
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    res.writeHead(404).end();
    return;
  }
  if (!st.isFile()) {
    res.writeHead(404).end();
    return;
  }
  const rangeHeader = req.headers.range;
  hub.log.push(`GET ${rel} ${rangeHeader ?? '-'}`);
  const range = hub.rangeSupport && rangeHeader !== undefined ? parseRange(rangeHeader, st.size) : undefined;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Range': `bytes */${st.size}` }).end();
    return;
  }
  const headers: Record<string, string> = { 'Content-Type': 'application/x-rpm' };
  if (hub.rangeSupport) headers['Accept-Ranges'] = 'bytes';
  if (range === undefined) {
    res.writeHead(200, { ...headers, 'Content-Length': String(st.size) });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
    return;
  }
  res.writeHead(206, { ...headers, 'Content-Length': String(range.end - range.start + 1), 'Content-Range': `bytes ${range.start}-${range.end}/${st.size}` });
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(file, { start: range.start, end: range.end }).pipe(res);
}

function handleRpc(hub: KojiHub, req: IncomingMessage, res: ServerResponse, url: URL, ssl: boolean): void {
  if (req.method !== 'POST') {
    res.writeHead(405, { Allow: 'POST', 'Koji-Version': '1.35.3' }).end();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_REQUEST_LENGTH + 1) chunks.push(c);
  });
  req.on('end', () => {
    let clientCN: string | undefined;
    if (ssl) {
      const sock = req.socket as TLSSocket;
      const cn = sock.authorized ? sock.getPeerCertificate().subject?.CN : undefined;
      clientCN = typeof cn === 'string' ? cn : undefined;
    }
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
    const reply = dispatch(hub.state, { body: Buffer.concat(chunks), headers, query: url.searchParams, clientCN });
    hub.log.push(`call ${reply.method}`);
    const status = hub.httpStatusFor?.(reply.method, Buffer.concat(chunks).toString('utf8'));
    if (status !== undefined) {
      res.writeHead(status, { 'Content-Type': 'text/html', 'Koji-Version': '1.35.3' }).end(`<html><body>${status}</body></html>`);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Koji-Version': '1.35.3', 'Content-Length': String(Buffer.byteLength(reply.body)) });
    res.end(reply.body);
  });
}

export async function startKojiHub(opts: KojiHubOptions): Promise<KojiHub> {
  const state = new HubState(opts.topdir);
  const server = https.createServer({ cert: opts.cert, key: opts.key, ca: opts.clientCa, requestCert: true, rejectUnauthorized: false });
  const hub: KojiHub = {
    state,
    url: '',
    topurl: '',
    rangeSupport: true,
    log: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (url.pathname === '/kojihub') handleRpc(hub, req, res, url, false);
    else if (url.pathname === '/kojihub/ssllogin') handleRpc(hub, req, res, url, true);
    else if (url.pathname.startsWith('/kojifiles/') && (req.method === 'GET' || req.method === 'HEAD')) serveFile(hub, req, res, url.pathname.slice('/kojifiles/'.length));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(hub, { url: `https://127.0.0.1:${port}/kojihub`, topurl: `https://127.0.0.1:${port}/kojifiles` });
}
