/**
 * Heads read from topurl reuse kept-alive connections: a tag of thousands of rpms must not
 * cost a TCP (and TLS) handshake per request on the hub's file server.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackageHead, SIGTAG } from '@signet/rpm';
import { fetchRpmHead, fileExists, headerAgent } from '../../../packages/client/src/koji/header-fetch.ts';
import type { HeaderSource } from '../../../packages/client/src/koji/header-fetch.ts';
import { buildRpm, disposeRpmBuilds } from '../../helpers/rpmbuild.ts';

const COPIES = 60;
const CONCURRENCY = 8;

describe('topurl connections', () => {
  let dir: string;
  let server: http.Server;
  let url: string;
  let sigmd5: string;
  let ranges = true;
  let connections = 0;
  const rels = Array.from({ length: COPIES }, (_, i) => `packages/p/1.0/${i}/noarch/p-1.0-${i}.noarch.rpm`);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-agent-'));
    const src = buildRpm({ files: 3 });
    for (const rel of rels) {
      const dest = path.join(dir, ...rel.split('/'));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(src, dest);
    }
    const { layout } = await readPackageHead(src);
    sigmd5 = (layout.signatureHeader.entries.find((e) => e.tag === SIGTAG.MD5)?.data as Buffer).toString('hex');
    server = http.createServer((req, res) => {
      const file = path.join(dir, ...decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).split('/'));
      if (!fs.existsSync(file)) return void res.writeHead(404).end();
      const body = fs.readFileSync(file);
      const m = ranges ? /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') : null;
      const slice = m === null ? body : body.subarray(Number(m[1]), Number(m[2]) + 1);
      res.writeHead(m === null ? 200 : 206, { 'Content-Length': slice.length });
      res.end(req.method === 'HEAD' ? undefined : slice);
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
    disposeRpmBuilds();
  });

  /** Fetches every head and checks every copy's existence, CONCURRENCY at a time; returns connections opened. */
  async function readAll(src: HeaderSource): Promise<number> {
    const before = connections;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < rels.length; i = next++) {
        const rel = rels[i] as string;
        expect((await fetchRpmHead(src, rel, sigmd5)).layout.mainEnd).toBeGreaterThan(0);
        expect(await fileExists(src, rel)).toBe(true);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(await fileExists(src, 'packages/none.rpm')).toBe(false);
    return connections - before;
  }

  it('without an agent every request opens a connection', async () => {
    ranges = true;
    expect(await readAll({ topurl: url })).toBeGreaterThanOrEqual(2 * COPIES);
  });

  it('with headerAgent the requests share at most one connection per request in flight', async () => {
    ranges = true;
    const agent = headerAgent(url, undefined);
    try {
      expect(await readAll({ topurl: url, agent })).toBeLessThanOrEqual(CONCURRENCY);
    } finally {
      agent.destroy();
    }
  });

  it('a kept-alive connection the server dropped is retried once on a new one', async () => {
    // Like a file server closing idle connections without a Keep-Alive hint, at the moment
    // the next request goes out: every request after a connection's first is reset unanswered.
    const served = new WeakMap<object, number>();
    let resets = 0;
    const dropping = http.createServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) {
        resets++;
        req.socket.resetAndDestroy();
        return;
      }
      const file = path.join(dir, ...decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).split('/'));
      const body = fs.readFileSync(file);
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      const slice = m === null ? body : body.subarray(Number(m[1]), Number(m[2]) + 1);
      res.writeHead(m === null ? 200 : 206, { 'Content-Length': slice.length });
      res.end(req.method === 'HEAD' ? undefined : slice);
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`;
    const agent = headerAgent(base, undefined);
    try {
      for (const rel of rels.slice(0, 10)) {
        expect((await fetchRpmHead({ topurl: base, agent }, rel, sigmd5)).via).toBe('range');
        expect(await fileExists({ topurl: base, agent }, rel)).toBe(true);
      }
      expect(resets).toBeGreaterThan(0);
    } finally {
      agent.destroy();
      dropping.closeAllConnections();
      await new Promise((r) => dropping.close(r));
    }
  });

  it('with headerAgent and a server without Range, the streamed reads still complete', async () => {
    ranges = false;
    const agent = headerAgent(url, undefined);
    try {
      // Each cut stream closes its connection; the HEAD requests reuse theirs.
      expect(await readAll({ topurl: url, agent })).toBeLessThan(2 * COPIES);
    } finally {
      agent.destroy();
    }
  });
});
