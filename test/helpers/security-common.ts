import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { clientConfigFor, serverConfigFor, writeConfigFile, type TlsFiles } from '../../scripts/lib/configs.ts';
import { createDeployment, LOOPBACK, type Deployment } from '../../scripts/lib/deployment.ts';
import { BIN, ROOT, runNode, startDaemon, type Daemon, type RunResult } from '../../scripts/lib/run.ts';

/** Shared plumbing of test/security: temp dirs, sample packages, extra server processes. */

/** The sample package every security test signs (has a payload digest: header-only signable). */
export const SAMPLE_RPM = path.join(ROOT, 'samples', 'rpms', 'signet-demo-hello-1.0-1.noarch.rpm');

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/** A copy of the sample package in `dir`, so a test can check its input stays untouched. */
export function copySample(dir: string, name = path.basename(SAMPLE_RPM)): string {
  const file = path.join(dir, name);
  fs.copyFileSync(SAMPLE_RPM, file);
  return file;
}

/** The deployment's access passphrase (first line of its passphrase file). */
export function passphraseOf(dep: Deployment): string {
  const line = fs.readFileSync(dep.passphraseFile, 'utf8').split(/\r?\n/, 1)[0] ?? '';
  if (line.length < 8) throw new Error('deployment passphrase unexpectedly short');
  return line;
}

/** A fresh deployment (CA, certificates, key store) without any process running. */
export async function newDeployment(opts: { keyType?: 'rsa4096' | 'ed25519' } = {}): Promise<Deployment> {
  return createDeployment({ dir: tempDir(), keyType: opts.keyType ?? 'ed25519', argon2: 'min' });
}

/** Certificate and key a test hands a process; without `ca`, the deployment's CA checks the peer. */
export interface TestTls {
  cert: string;
  key: string;
  ca?: string;
}

/** `tls` (only its three files) with the deployment's CA filled in where it names none. */
function tlsWithCa(dep: Deployment, tls: TestTls): TlsFiles {
  return { cert: tls.cert, key: tls.key, ca: tls.ca ?? dep.caCert };
}

/** A config file name in the deployment's directory no other call of this process takes. */
function configFile(dep: Deployment, kind: 'server' | 'client', name: string | undefined): string {
  return path.join(dep.dir, `${kind}-${name ?? 'extra'}-${process.hrtime.bigint()}.json`);
}

/**
 * Starts a real signing-server process with its own config: dialling `port`, presenting
 * `tls` (defaults to the deployment's server certificate). Does not wait for anything.
 */
export function startServerProcess(dep: Deployment, o: { port: number; tls?: TestTls; poolSize?: number; name?: string; logLevel?: string }): Daemon {
  const file = configFile(dep, 'server', o.name);
  const config = serverConfigFor(dep, { host: LOOPBACK, port: o.port }, o.poolSize ?? 1, {
    tls: tlsWithCa(dep, o.tls ?? dep.cert(dep.serverName)),
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    ...(o.logLevel ? { log: { level: o.logLevel } } : {}),
  });
  writeConfigFile(file, config, 'compact');
  return startDaemon(BIN.server, ['run', '--config', file]);
}

/** Writes a client config for the bridge client port `port`. */
export function writeClientConfig(dep: Deployment, o: { port: number; serverName?: string; tls?: TestTls; name?: string; requestTimeoutMs?: number }): string {
  const file = configFile(dep, 'client', o.name);
  const config = clientConfigFor(dep, { host: LOOPBACK, port: o.port }, {
    serverName: o.serverName ?? dep.serverName,
    tls: tlsWithCa(dep, o.tls ?? dep.cert(dep.user)),
    limits: { connectTimeoutMs: 10_000, sessionTimeoutMs: 15_000, requestTimeoutMs: o.requestTimeoutMs ?? 30_000 },
    // One attempt: these tests assert how a single session fails closed under attack
    // (the client's retries on transient failures are tested in test/e2e/chaos).
    retry: { maxAttempts: 1 },
  });
  writeConfigFile(file, config, 'compact');
  return file;
}

/** Runs the real client with `config`. */
export function runClient(config: string, args: string[]): Promise<RunResult> {
  return runNode(BIN.client, ['--config', config, ...args], { timeoutMs: 60_000 });
}

/** Rows of the server's audit table, read from signet.db without writing to it. */
export function auditRows(dep: Deployment): number {
  const db = new DatabaseSync(path.join(dep.stateDir, 'signet.db'), { readOnly: true });
  try {
    const row = db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number };
    return Number(row.n);
  } finally {
    db.close();
  }
}

/** Parsed JSON log lines of a daemon. */
export function logEvents(d: Daemon): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const l of d.lines) {
    try {
      out.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      /* not JSON */
    }
  }
  return out;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** All files in a directory (recursively), for "nothing was written" checks. */
export function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
