import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readPackageHead, SIGTAG } from '@signet/rpm';
import { fetchRpmHead } from '../../../packages/client/src/koji/header-fetch.ts';
import type { HeaderSource } from '../../../packages/client/src/koji/header-fetch.ts';
import { codeOfAsync } from '../../helpers/error-code.ts';
import { buildRpm, disposeRpmBuilds } from '../../helpers/rpmbuild.ts';

/** Main-header data stores: about 1.8 KiB with 3 files, about 38 KiB with 300. */
const MAX_HEADER = 16 * 1024;

interface Pkg {
  readonly rel: string;
  readonly sigmd5: string;
}

async function place(topdir: string, files: number): Promise<Pkg> {
  const src = buildRpm({ files });
  const name = path.basename(src);
  const rel = `packages/p${files}/1.0/1/noarch/${name}`;
  const dest = path.join(topdir, ...rel.split('/'));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(src, dest);
  const { layout } = await readPackageHead(dest);
  const md5 = layout.signatureHeader.entries.find((e) => e.tag === SIGTAG.MD5);
  if (md5 === undefined) throw new Error('test package has no sigmd5');
  return { rel, sigmd5: md5.data.toString('hex') };
}

/** Serves `topdir`; with `ranges`, honours `Range: bytes=a-b` (206), else always a full 200. */
function serve(topdir: string, ranges: boolean): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const file = path.join(topdir, ...decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).split('/'));
    const body = fs.readFileSync(file);
    const m = ranges ? /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') : null;
    if (m !== null) {
      const slice = body.subarray(Number(m[1]), Number(m[2]) + 1);
      res.writeHead(206, { 'Content-Length': slice.length });
      res.end(slice);
      return;
    }
    res.writeHead(200, { 'Content-Length': body.length });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe('fetchRpmHead bounds the main header by maxHeaderBytes', () => {
  let dir: string;
  let small: Pkg;
  let large: Pkg;
  const servers: http.Server[] = [];

  beforeAll(() => {
    // Build once (cached per process) before the per-test temp dirs.
    buildRpm({ files: 3 });
    buildRpm({ files: 300 });
  });
  afterAll(() => disposeRpmBuilds());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
    small = await place(dir, 3);
    large = await place(dir, 300);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('from topdir: a main header over the bound is refused, one under it is read', async () => {
    const src: HeaderSource = { topdir: dir, maxHeaderBytes: MAX_HEADER };
    expect((await fetchRpmHead(src, small.rel, small.sigmd5)).via).toBe('topdir');
    expect(await codeOfAsync(fetchRpmHead(src, large.rel, large.sigmd5))).toBe('RPM_HEADER_TOO_LARGE');
    // Without the bound the same package is fine: the refusal comes from maxHeaderBytes.
    expect((await fetchRpmHead({ topdir: dir }, large.rel, large.sigmd5)).via).toBe('topdir');
  });

  for (const ranges of [true, false]) {
    it(`from topurl (${ranges ? 'Range requests' : 'server without Range'}): the same bound applies`, async () => {
      const { server, url } = await serve(dir, ranges);
      servers.push(server);
      const src: HeaderSource = { topurl: url, maxHeaderBytes: MAX_HEADER };
      expect((await fetchRpmHead(src, small.rel, small.sigmd5)).via).toBe(ranges ? 'range' : 'stream');
      expect(await codeOfAsync(fetchRpmHead(src, large.rel, large.sigmd5))).toBe('RPM_HEADER_TOO_LARGE');
      expect((await fetchRpmHead({ topurl: url }, large.rel, large.sigmd5)).via).toBe(ranges ? 'range' : 'stream');
    });
  }

  it('from topdir: a directory where the package should be is KOJI_HEADER_UNAVAILABLE, not an internal error', async () => {
    const rel = 'packages/d/1.0/1/noarch/d-1.0-1.noarch.rpm';
    fs.mkdirSync(path.join(dir, ...rel.split('/')), { recursive: true });
    expect(await codeOfAsync(fetchRpmHead({ topdir: dir }, rel, small.sigmd5))).toBe('KOJI_HEADER_UNAVAILABLE');
  });

  it('from topdir: a truncated package is KOJI_HEADER_UNAVAILABLE', async () => {
    const file = path.join(dir, ...large.rel.split('/'));
    fs.truncateSync(file, 2000);
    expect(await codeOfAsync(fetchRpmHead({ topdir: dir }, large.rel, large.sigmd5))).toBe('KOJI_HEADER_UNAVAILABLE');
  });
});
