/**
 * The air-gapped install: `npm run pack:server` builds a tarball that, unpacked into an
 * empty directory and run with a bare environment (no repository, no npm, no PATH to our
 * Node), administers the state and serves real signatures through a real bridge.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, startBridge, writeEndpointConfigs, client, type Deployment, type BridgeProcess } from '../../scripts/lib/deployment.ts';
import { ROOT, run, runNode, startDaemon, type Daemon } from '../../scripts/lib/run.ts';
import { verifyWithRpmkeys } from '../../scripts/lib/verify-rpm.ts';

const SAMPLE = path.join(ROOT, 'samples/rpms/signet-demo-data-2.3-4.noarch.rpm');
const BARE_ENV = { PATH: '/usr/bin:/bin', HOME: '/nonexistent' };

describe('air-gapped server install', () => {
  let work: string;
  let dep: Deployment;
  let bridge: BridgeProcess | undefined;
  let server: Daemon | undefined;
  let launcher: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-pack-test-'));
    const packed = await runNode(path.join(ROOT, 'scripts/pack-server.ts'), ['--out', work]);
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = packed.stdout.split('\n')[0] as string;
    expect(packed.stdout).toMatch(/^sha256 [0-9a-f]{64}$/m);
    const opt = path.join(work, 'opt');
    mkdirSync(opt);
    execFileSync('tar', ['-C', opt, '--strip-components=1', '-xzf', tarball]);
    launcher = path.join(opt, 'bin', 'signet-server');
    dep = await createDeployment({ dir: path.join(work, 'dep'), keyType: 'ed25519', argon2: 'min' });
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), bridge?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('holds the server and its own Node, not the client or the bridge', () => {
    const opt = path.dirname(path.dirname(launcher));
    expect(readdirSync(path.join(opt, 'packages')).sort()).toEqual(['protocol', 'rpm', 'server']);
    expect(execFileSync(path.join(opt, 'node/bin/node'), ['--version'], { env: BARE_ENV }).toString()).toMatch(/^v24\./);
  });

  it('administers the state with a bare environment', async () => {
    const r = await run(launcher, ['admin', '--state', dep.stateDir, 'key', 'list', '--json'], { env: BARE_ENV });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name: dep.keyName })]));
  });

  it('serves signatures through a real bridge', async () => {
    bridge = await startBridge(dep);
    writeEndpointConfigs(dep, bridge);
    server = startDaemon(launcher, ['run', '--config', dep.serverConfig], BARE_ENV, '/bin/sh');
    await server.waitFor((l) => l['event'] === 'link-ready');
    const out = path.join(work, 'out');
    mkdirSync(out);
    const input = path.join(work, path.basename(SAMPLE));
    copyFileSync(SAMPLE, input);
    const signed = await client(dep, ['sign-rpm', '--key', dep.keyName, '--passphrase-file', dep.passphraseFile, '-o', out, input]);
    expect(signed.code, signed.stderr).toBe(0);
    const key = path.join(work, 'key.asc');
    expect((await client(dep, ['get-public-key', dep.keyName, '-o', key])).code).toBe(0);
    const v = await verifyWithRpmkeys(path.join(out, path.basename(SAMPLE)), key);
    expect(v.ok, v.output).toBe(true);
  });
});
