/**
 * Builds a self-contained tarball of signet-server for an air-gapped host:
 *
 *   npm run pack:server -- [--out DIR]
 *
 * The tarball holds the Node 24 binary this repository pins, the server's sources and
 * the workspace packages it imports, and its npm dependencies already installed, so the
 * signing host needs neither network nor npm. Unpack it anywhere (e.g. /opt/signet) and
 * run `bin/signet-server`. Prints the tarball's path and SHA-256 (check it on the far side).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/run.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
const outDir = path.resolve(values.out ?? path.join(ROOT, 'dist'));
mkdirSync(outDir, { recursive: true });

const rootPkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
const version = rootPkg.version;
const name = `signet-server-${version}-linux-x64`;
const stage = mkdtempSync(path.join(os.tmpdir(), 'signet-pack-'));
const top = path.join(stage, name);
try {
  // Sources of the server and the workspace packages it uses (never client or bridge).
  const workspaces = ['packages/protocol', 'packages/rpm', 'packages/server'];
  for (const ws of workspaces) {
    cpSync(path.join(ROOT, ws, 'src'), path.join(top, ws, 'src'), { recursive: true });
    cpSync(path.join(ROOT, ws, 'package.json'), path.join(top, ws, 'package.json'));
  }
  writeFileSync(
    path.join(top, 'package.json'),
    `${JSON.stringify({ name: 'signet-server-dist', version, private: true, type: 'module', workspaces }, null, 2)}\n`,
  );
  // Dependencies, installed here (online) with exactly the versions this repository locks.
  cpSync(path.join(ROOT, 'package-lock.json'), path.join(top, 'package-lock.json'));
  execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--workspaces', '--include-workspace-root'], { cwd: top, stdio: ['ignore', 2, 2] }); // npm's chatter to stderr: stdout is the result
  rmSync(path.join(top, 'package-lock.json'), { force: true });
  // The pinned Node 24 itself.
  mkdirSync(path.join(top, 'node', 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'node_modules', 'node', 'bin', 'node'), path.join(top, 'node', 'bin', 'node'));
  mkdirSync(path.join(top, 'bin'));
  const launcher = path.join(top, 'bin', 'signet-server');
  writeFileSync(
    launcher,
    '#!/bin/sh\n# signet-server from a self-contained install: its own Node, its own modules.\nhere=$(dirname "$(readlink -f "$0")")/..\nexec "$here/node/bin/node" "$here/packages/server/src/main.ts" "$@"\n',
  );
  chmodSync(launcher, 0o755);
  const tarball = path.join(outDir, `${name}.tar.gz`);
  execFileSync('tar', ['-C', stage, '--owner=0', '--group=0', '-czf', tarball, name]);
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => createReadStream(tarball).on('data', (d) => hash.update(d)).on('end', resolve).on('error', reject));
  process.stdout.write(`${tarball}\nsha256 ${hash.digest('hex')}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
