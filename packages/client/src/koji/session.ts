import { KojiError, KojiFault, isKojiFault } from './errors.ts';
import { nodeHttpTransport } from './transport.ts';
import type { KojiHttpResponse, KojiTlsOptions, KojiTransport } from './transport.ts';
import type { KojiInput, KojiValue } from './values.ts';
import { DEFAULT_XML_LIMITS } from './xml.ts';
import type { XmlLimits } from './xml.ts';
import { decodeMultiCallResult, decodeResponse, encodeCall, encodeMultiCallArgs } from './xmlrpc.ts';
import type { KojiCall, KojiKwargs, MultiCallResult } from './xmlrpc.ts';

/**
 * A Koji hub session, as koji.ClientSession keeps one:
 * - `sslLogin` (posted to `<server>/ssllogin`, TLS client certificate) or `login(user, password)`
 *   returns `{session-id, session-key}`; every later call carries them with a call number
 *   that strictly increases (headers `Koji-Session-Id`, `Koji-Session-Key`,
 *   `Koji-Session-Callnum`, or the older query string when the hub does not say `header-auth`);
 * - one call at a time: calls queue behind each other, so numbers reach the hub in order;
 * - reads (`READ_METHODS`) are retried with capped exponential backoff on timeouts, lost
 *   connections, 5xx and ServerOffline; writes are NEVER resent (a write the hub committed
 *   but whose answer was lost would come back as RetryError, or worse, run twice) — the
 *   caller re-queries instead (`queryRPMSigs` and compare `sighash`);
 * - AuthExpired (1007) → log in again the same way and resend once (the hub refused
 *   before running the call, so this is safe for writes too).
 */

/** Calls that change nothing on the hub: safe to resend. */
export const READ_METHODS: ReadonlySet<string> = new Set([
  'getAPIVersion',
  'getKojiVersion',
  'getLoggedInUser',
  'hello',
  'echo',
  'getTag',
  'getBuild',
  'getRPM',
  'listTagged',
  'listTaggedRPMS',
  'listRPMs',
  'listBuilds',
  'listBuildRPMs',
  'queryRPMSigs',
  'getRPMHeaders',
  'listTasks',
  'getUserPerms',
  'getPerms',
]);

export interface KojiRetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface KojiSessionOptions {
  /** The hub's XML-RPC URL, e.g. `https://koji.example.org/kojihub` (profile `server`). */
  readonly server: string;
  /** For the default transport: `serverca`, and the client certificate for `sslLogin`. */
  readonly tls?: KojiTlsOptions;
  /** Replaces the node:https transport (tests). */
  readonly transport?: KojiTransport;
  /** Per HTTP request. Default 120 000 ms. */
  readonly timeoutMs?: number;
  /** Reads only. Default 5 attempts, 500 ms doubling to 30 s. */
  readonly retry?: KojiRetryPolicy;
  /** Bounds of every response. */
  readonly limits?: Partial<XmlLimits>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Hears about each read that will be retried. */
  readonly onRetry?: (info: { method: string; attempt: number; err: unknown; delayMs: number }) => void;
}

export const DEFAULT_KOJI_RETRY: KojiRetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000 };

type LoginMethod = { kind: 'ssl' } | { kind: 'password'; user: string; password: string };

interface SessionInfo {
  readonly id: number;
  readonly key: string;
  readonly headerAuth: boolean;
}

function transient(err: unknown): boolean {
  if (err instanceof KojiFault) return err.code === 'KOJI_SERVER_OFFLINE';
  if (!(err instanceof KojiError)) return false;
  return err.code === 'KOJI_CONNECT' || err.code === 'KOJI_TIMEOUT' || (err.code === 'KOJI_HTTP' && /HTTP (5\d\d|429)/.test(err.message));
}

export class KojiSession {
  readonly server: URL;
  private readonly transport: KojiTransport;
  private readonly ownTransport: (KojiTransport & { close(): void }) | undefined;
  private readonly timeoutMs: number;
  private readonly retry: KojiRetryPolicy;
  private readonly limits: XmlLimits;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onRetry: KojiSessionOptions['onRetry'];
  private queue: Promise<unknown> = Promise.resolve();
  private info: SessionInfo | undefined;
  private loginMethod: LoginMethod | undefined;
  private nextCallnum = 0;
  /** Koji-Version header of the last response, when the hub sent one. */
  hubVersion: string | undefined;

  constructor(options: KojiSessionOptions) {
    let url: URL;
    try {
      url = new URL(options.server);
    } catch (err) {
      throw new KojiError('KOJI_CONFIG_INVALID', `hub URL "${options.server}" is not a URL (profile "server")`, { cause: err });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new KojiError('KOJI_CONFIG_INVALID', `hub URL must be https:// (profile "server"), not ${url.protocol}`);
    this.server = url;
    this.ownTransport = options.transport === undefined ? nodeHttpTransport(options.tls) : undefined;
    this.transport = options.transport ?? (this.ownTransport as KojiTransport);
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.retry = options.retry ?? DEFAULT_KOJI_RETRY;
    this.limits = { ...DEFAULT_XML_LIMITS, ...options.limits };
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.onRetry = options.onRetry;
  }

  get loggedIn(): boolean {
    return this.info !== undefined;
  }

  /** The session id the hub gave, for logs (the key is a secret and is never exposed). */
  get sessionId(): number | undefined {
    return this.info?.id;
  }

  /** Logs in with the TLS client certificate; the hub takes the user from its CN. */
  sslLogin(): Promise<void> {
    return this.serial(() => this.doLogin({ kind: 'ssl' }));
  }

  /** Logs in with user name and password (test hubs; production hubs use certificates or Kerberos). */
  login(user: string, password: string): Promise<void> {
    return this.serial(() => this.doLogin({ kind: 'password', user, password }));
  }

  /** Ends the session on the hub and forgets it. */
  logout(): Promise<void> {
    return this.serial(async () => {
      if (this.info === undefined) return;
      try {
        await this.send('logout', encodeCall('logout'), false);
      } finally {
        this.info = undefined;
        this.loginMethod = undefined;
      }
    });
  }

  /** Calls `method(*args, **kwargs)`; throws KojiFault for a fault. */
  call(method: string, args: readonly KojiInput[] = [], kwargs?: KojiKwargs): Promise<KojiValue> {
    return this.serial(() => this.withRelogin(() => this.send(method, encodeCall(method, args, kwargs), READ_METHODS.has(method))));
  }

  /** Runs `calls` in one `multiCall`; each result is its value or its fault, in order. */
  multiCall(calls: readonly KojiCall[]): Promise<MultiCallResult[]> {
    if (calls.length === 0) return Promise.resolve([]);
    const readOnly = calls.every((c) => READ_METHODS.has(c.method));
    return this.serial(async () => {
      const value = await this.withRelogin(() => this.send('multiCall', encodeCall('multiCall', encodeMultiCallArgs(calls)), readOnly));
      return decodeMultiCallResult(value, calls.length);
    });
  }

  /**
   * `addRPMSig(rpm, data)` with the signature header blob as base64 TEXT in a `<string>`:
   * the hub base64-decodes a str and fails with fault 1 (TypeError) on `<base64>` bytes.
   */
  addRPMSig(rpm: number | string | KojiKwargs, signatureHeader: Buffer): Promise<KojiValue> {
    return this.call('addRPMSig', [rpm, signatureHeader.toString('base64')]);
  }

  /** `writeSignedRPM(rpm, sigkey, force)`. */
  writeSignedRPM(rpm: number | string | KojiKwargs, sigkey: string, force = false): Promise<KojiValue> {
    return this.call('writeSignedRPM', [rpm, sigkey], force ? { force: true } : undefined);
  }

  /** Closes the default transport's sockets. */
  close(): void {
    this.ownTransport?.close();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doLogin(method: LoginMethod): Promise<void> {
    if (this.info !== undefined) throw new KojiError('KOJI_AUTH_ERROR', 'already logged in; call logout() first');
    const body = method.kind === 'ssl' ? encodeCall('sslLogin') : encodeCall('login', [method.user, method.password]);
    const url = new URL(this.server);
    if (method.kind === 'ssl') url.pathname = `${url.pathname.replace(/\/+$/, '')}/ssllogin`;
    const value = await this.post(url, 'login', body, {});
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) {
      throw new KojiError('KOJI_XML_MALFORMED', 'login answer is not a struct (expected session-id and session-key)');
    }
    const id = value['session-id'];
    const key = value['session-key'];
    if (typeof id !== 'number' || typeof key !== 'string' || key === '' || key.length > 1024) {
      throw new KojiError('KOJI_XML_MALFORMED', 'login answer lacks a numeric session-id and a session-key');
    }
    this.info = { id, key, headerAuth: value['header-auth'] === true };
    this.loginMethod = method;
    this.nextCallnum = 0;
  }

  private async withRelogin(fn: () => Promise<KojiValue>): Promise<KojiValue> {
    try {
      return await fn();
    } catch (err) {
      const how = this.loginMethod;
      if (!isKojiFault(err, 'KOJI_AUTH_EXPIRED') || how === undefined) throw err;
      // The hub checks expiry before running the method, so nothing ran: log in again, resend once.
      this.info = undefined;
      await this.doLogin(how);
      return fn();
    }
  }

  /** Sends with session data; reads are retried on transient failures with backoff. */
  private async send(method: string, body: string, retryable: boolean): Promise<KojiValue> {
    for (let attempt = 1; ; attempt++) {
      const info = this.info;
      const url = new URL(this.server);
      const headers: Record<string, string> = {};
      if (info !== undefined) {
        const callnum = this.nextCallnum++;
        if (info.headerAuth) {
          headers['Koji-Session-Id'] = String(info.id);
          headers['Koji-Session-Key'] = info.key;
          headers['Koji-Session-Callnum'] = String(callnum);
        } else {
          url.search = new URLSearchParams({ 'session-id': String(info.id), 'session-key': info.key, callnum: String(callnum) }).toString();
        }
      }
      try {
        return await this.post(url, method, body, headers);
      } catch (err) {
        if (!retryable || attempt >= this.retry.maxAttempts || !transient(err)) throw err;
        const ceiling = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** Math.min(attempt - 1, 30));
        const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        this.onRetry?.({ method, attempt, err, delayMs });
        await this.sleep(delayMs);
      }
    }
  }

  private async post(url: URL, method: string, body: string, headers: Record<string, string>): Promise<KojiValue> {
    const res: KojiHttpResponse = await this.transport({ url, body, headers, timeoutMs: this.timeoutMs, maxResponseBytes: this.limits.maxBytes });
    const version = res.headers['koji-version'];
    if (typeof version === 'string') this.hubVersion = version.slice(0, 64);
    if (res.status !== 200) {
      throw new KojiError('KOJI_HTTP', `hub answered ${method} with HTTP ${res.status} (check the "server" URL and the hub's health)`);
    }
    return decodeResponse(res.body, this.limits);
  }
}
