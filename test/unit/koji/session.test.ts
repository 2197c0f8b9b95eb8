import { describe, expect, it } from 'vitest';
import { decodeCall, encodeFault, encodeResponse, KojiError, KojiSession } from '../../../packages/client/src/koji/index.ts';
import type { KojiHttpRequest, KojiInput, KojiTransport } from '../../../packages/client/src/koji/index.ts';

interface Seen {
  method: string;
  path: string;
  search: string;
  headers: Readonly<Record<string, string>>;
}

/** A transport answering from `reply(method, n)`; records every request. */
function fake(reply: (method: string, req: KojiHttpRequest, n: number) => string | Error): { transport: KojiTransport; seen: Seen[] } {
  const seen: Seen[] = [];
  let n = 0;
  const transport: KojiTransport = async (req) => {
    const { method } = decodeCall(req.body);
    seen.push({ method, path: req.url.pathname, search: req.url.search, headers: req.headers });
    await new Promise((r) => setTimeout(r, 1));
    const out = reply(method, req, n++);
    if (out instanceof Error) throw out;
    return { status: 200, headers: { 'koji-version': '1.35.3' }, body: Buffer.from(out) };
  };
  return { transport, seen };
}

const ok = (v: KojiInput) => encodeResponse(v);
const loginOk = (headerAuth = true) => ok({ 'session-id': 7, 'session-key': '7-secret', ...(headerAuth ? { 'header-auth': true } : {}) });

function session(transport: KojiTransport, sleeps: number[] = []): KojiSession {
  return new KojiSession({ server: 'https://hub.test/kojihub', transport, retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1000 }, sleep: async (ms) => void sleeps.push(ms) });
}

describe('KojiSession', () => {
  it('posts sslLogin to /ssllogin, then numbers calls 0,1,2… one at a time', async () => {
    const { transport, seen } = fake((m) => (m === 'sslLogin' ? loginOk() : ok(null)));
    const s = session(transport);
    await s.sslLogin();
    expect(seen[0]?.path).toBe('/kojihub/ssllogin');
    expect(seen[0]?.headers['Koji-Session-Id']).toBeUndefined();
    await Promise.all([s.call('hello'), s.call('getLoggedInUser'), s.call('addRPMSig', [1, 'AAAA'])]);
    expect(seen.slice(1).map((x) => [x.path, x.headers['Koji-Session-Id'], x.headers['Koji-Session-Key'], x.headers['Koji-Session-Callnum']])).toEqual([
      ['/kojihub', '7', '7-secret', '0'],
      ['/kojihub', '7', '7-secret', '1'],
      ['/kojihub', '7', '7-secret', '2'],
    ]);
    expect(s.hubVersion).toBe('1.35.3');
  });

  it('falls back to query-string session data when the hub does not say header-auth', async () => {
    const { transport, seen } = fake((m) => (m === 'login' ? loginOk(false) : ok(1)));
    const s = session(transport);
    await s.login('u', 'p');
    await s.call('hello');
    expect(new URLSearchParams(seen[1]?.search)).toEqual(new URLSearchParams({ 'session-id': '7', 'session-key': '7-secret', callnum: '0' }));
  });

  it('retries reads with backoff on transient failures, never writes', async () => {
    const sleeps: number[] = [];
    const { transport, seen } = fake((m, _r, n) => (n < 2 ? new KojiError('KOJI_CONNECT', 'refused') : ok(m)));
    const s = session(transport, sleeps);
    expect(await s.call('listTagged', ['f40'])).toBe('listTagged');
    expect(seen).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);

    const w = fake(() => new KojiError('KOJI_TIMEOUT', 'slow'));
    const ws = session(w.transport);
    await expect(ws.call('addRPMSig', [1, 'AAAA'])).rejects.toMatchObject({ code: 'KOJI_TIMEOUT' });
    expect(w.seen).toHaveLength(1);
    await expect(ws.multiCall([{ method: 'getRPM', args: [1] }, { method: 'writeSignedRPM', args: [1, 'k'] }])).rejects.toMatchObject({ code: 'KOJI_TIMEOUT' });
    expect(w.seen).toHaveLength(2);
  });

  it('does not retry faults other than ServerOffline, and stops after maxAttempts', async () => {
    const { transport, seen } = fake(() => encodeFault(1014, 'server offline'));
    await expect(session(transport).call('getRPM', [1])).rejects.toMatchObject({ code: 'KOJI_SERVER_OFFLINE' });
    expect(seen).toHaveLength(3);
    const g = fake(() => encodeFault(1000, 'No such rpm: 1'));
    await expect(session(g.transport).call('getRPM', [1])).rejects.toMatchObject({ code: 'KOJI_NO_SUCH_RPM' });
    expect(g.seen).toHaveLength(1);
  });

  it('logs in again and resends once when the session expired', async () => {
    let expired = true;
    const { transport, seen } = fake((m) => {
      if (m === 'login') return loginOk();
      if (expired) {
        expired = false;
        return encodeFault(1007, 'session "7" has expired');
      }
      return ok('done');
    });
    const s = session(transport);
    await s.login('u', 'p');
    expect(await s.call('addRPMSig', [1, 'AAAA'])).toBe('done');
    expect(seen.map((x) => [x.method, x.headers['Koji-Session-Callnum']])).toEqual([
      ['login', undefined],
      ['addRPMSig', '0'],
      ['login', undefined],
      ['addRPMSig', '0'],
    ]);
  });

  it('sends addRPMSig data as base64 text in a <string>, and refuses non-200 answers', async () => {
    const bodies: string[] = [];
    const s = session(async (req) => {
      bodies.push(req.body);
      return { status: bodies.length === 1 ? 200 : 502, headers: {}, body: Buffer.from(ok(null)) };
    });
    await s.addRPMSig(3, Buffer.from([1, 2, 3]));
    expect(bodies[0]).toContain('<string>AQID</string>');
    expect(bodies[0]).not.toContain('<base64>');
    await expect(s.call('writeSignedRPM', [3, 'k'])).rejects.toMatchObject({ code: 'KOJI_HTTP' });
    expect(() => new KojiSession({ server: 'ftp://x/kojihub' })).toThrow(expect.objectContaining({ code: 'KOJI_CONFIG_INVALID' }));
  });
});
