import https from 'node:https';
import http from 'node:http';
import { KojiError } from './errors.ts';

/**
 * The HTTP edge of the Koji client: one POST, its answer read up to a size cap within a
 * deadline. Injected into `KojiSession` so the session logic is tested without sockets.
 */

export interface KojiHttpRequest {
  readonly url: URL;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

export interface KojiHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export type KojiTransport = (req: KojiHttpRequest) => Promise<KojiHttpResponse>;

export interface KojiTlsOptions {
  /** CA certificates (PEM) that sign the hub's certificate (`serverca`); absent: the system store. */
  readonly ca?: string | Buffer | undefined;
  /** Client certificate (PEM) for `sslLogin`; Koji's `cert` may hold certificate and key in one file. */
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
}

/** Transport over node:https (or plain http:// for hubs in tests), with keep-alive. */
export function nodeHttpTransport(tls: KojiTlsOptions = {}): KojiTransport & { close(): void } {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: tls.ca, cert: tls.cert, key: tls.key ?? tls.cert });
  const plainAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send: KojiTransport = (req) =>
    new Promise<KojiHttpResponse>((resolve, reject) => {
      const isHttps = req.url.protocol === 'https:';
      if (!isHttps && req.url.protocol !== 'http:') {
        reject(new KojiError('KOJI_CONNECT', `unsupported hub URL scheme ${req.url.protocol} (use https://)`));
        return;
      }
      const options: https.RequestOptions = {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml', 'Content-Length': String(Buffer.byteLength(req.body)), ...req.headers },
        agent: isHttps ? agent : plainAgent,
      };
      let settled = false;
      const fail = (err: KojiError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(err);
      };
      const request = (isHttps ? https : http).request(req.url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // Threat: an endless or oversized answer exhausting memory; stop reading at the cap.
          if (size > req.maxResponseBytes) {
            fail(new KojiError('KOJI_XML_TOO_LARGE', `hub response exceeds ${req.maxResponseBytes} bytes (limits.maxBytes)`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => fail(new KojiError('KOJI_CONNECT', `reading the hub's response failed: ${err.message}`, { cause: err })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      const timer = setTimeout(() => fail(new KojiError('KOJI_TIMEOUT', `the hub at ${req.url.host} did not answer within ${req.timeoutMs} ms (timeoutMs)`)), req.timeoutMs);
      request.on('error', (err) => fail(new KojiError('KOJI_CONNECT', `cannot reach the hub at ${req.url.host}: ${err.message}`, { cause: err })));
      request.end(req.body);
    });
  return Object.assign(send, {
    close(): void {
      agent.destroy();
      plainAgent.destroy();
    },
  });
}
