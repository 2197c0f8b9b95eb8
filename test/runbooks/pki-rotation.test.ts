import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellBlocks } from '../helpers/runbook.ts';

/**
 * Runs docs/runbooks/pki-rotation.md: every ```sh block, in order, with bash, the
 * placeholders set to temp paths and to the serials the earlier commands printed, and
 * `signet-pki` defined as a shell function running pki/src/main.ts. After each section the
 * results are judged with openssl and node:crypto. The commands come from the document, so
 * the runbook and this test cannot drift apart.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const RUNBOOK = path.join(ROOT, 'docs', 'runbooks', 'pki-rotation.md');
const MAIN = path.join(ROOT, 'pki', 'src', 'main.ts');

let work: string;
let env: Record<string, string>;
let transcript = '';
const blocks = shellBlocks(fs.readFileSync(RUNBOOK, 'utf8'));

/** Runs every block under headings starting with `prefix`; returns their stdout and stderr. */
function runSection(prefix: string): string {
  const mine = blocks.filter((b) => b.heading.startsWith(prefix));
  expect(mine.length, `runbook has sh blocks under "${prefix}"`).toBeGreaterThan(0);
  let out = '';
  for (const block of mine) {
    // Placeholders the operator reads off earlier output, read off the same way here.
    const replaced = [...transcript.matchAll(/replaces ([0-9A-F]+)/g)].pop()?.[1];
    const previousCa = [...transcript.matchAll(/previous CA.*?serial ([0-9A-F]+)/g)].pop()?.[1];
    const prelude = 'signet-pki() { "$SIGNET_NODE" "$SIGNET_PKI_MAIN" "$@"; }\n';
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', prelude + block.script], {
      encoding: 'utf8',
      // stdin from /dev/null: on a socket (node's default pipe) bash thinks it runs under
      // rsh/sshd and reads the system bashrc.
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
      env: { ...env, ...(replaced ? { OLD_SERIAL: replaced } : {}), ...(previousCa ? { OLD_CA_SERIAL: previousCa } : {}) },
    });
    // stderr may carry what openssl prints; signet-pki must print no error or warning.
    expect({ heading: block.heading, status: r.status, pki: r.stderr.match(/^signet-pki: .*/m)?.[0] }).toEqual({ heading: block.heading, status: 0, pki: undefined });
    out += r.stdout + r.stderr;
    transcript += r.stdout;
  }
  return out;
}

function openssl(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw new Error(`openssl cannot be run: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** What a party with these bundles says of a certificate: 'OK' or OpenSSL's reason. */
function verdict(partyDir: string, cert: string): string {
  const r = openssl('verify', '-crl_check', '-CAfile', path.join(partyDir, 'ca-bundle.pem'), '-CRLfile', path.join(partyDir, 'crl-bundle.pem'), cert);
  if (r.status === 0) return 'OK';
  return /error \d+ at \d+ depth lookup: (.+)/.exec(r.out)?.[1] ?? r.out;
}

function pki(...args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 0, stderr: '' });
  return r.stdout;
}

const cert = (file: string) => new X509Certificate(fs.readFileSync(file));
const party = (name: 'bridge' | 'server' | 'client') => env[`${name.toUpperCase()}_TLS`] as string;
const save = (file: string, as: string): string => {
  const to = path.join(work, as);
  fs.copyFileSync(file, to);
  return to;
};

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  env = {
    PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    HOME: work,
    SIGNET_NODE: process.execPath,
    SIGNET_PKI_MAIN: MAIN,
    PKI: path.join(work, 'signet-ca'),
    BRIDGE_TLS: path.join(work, 'bridge'),
    SERVER_TLS: path.join(work, 'server'),
    CLIENT_TLS: path.join(work, 'client-alice'),
  };
  // The deployment the runbook starts from: a CA, its certificates, files on each party.
  const ca = env['PKI'] as string;
  pki('init', '--dir', ca, '--key-bits', '2048');
  pki('issue', '--dir', ca, '--role', 'bridge', '--name', 'bridge.example.org', '--ip', '192.0.2.10', '--key-bits', '2048', '--days', '20');
  pki('issue', '--dir', ca, '--role', 'server', '--name', 'signet-server.example.org', '--key-bits', '2048');
  pki('issue', '--dir', ca, '--role', 'client', '--name', 'alice', '--key-bits', '2048');
  pki('issue', '--dir', ca, '--role', 'client', '--name', 'bob', '--key-bits', '2048');
  const deploy = (dir: string, name: string, as: string) => {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of ['ca-bundle.pem', 'crl-bundle.pem']) fs.copyFileSync(path.join(ca, f), path.join(dir, f));
    fs.copyFileSync(path.join(ca, 'issued', `${name}.crt`), path.join(dir, `${as}.crt`));
    fs.copyFileSync(path.join(ca, 'issued', `${name}.key`), path.join(dir, `${as}.key`));
  };
  deploy(party('bridge'), 'bridge.example.org', 'bridge');
  deploy(party('server'), 'signet-server.example.org', 'server');
  deploy(party('client'), 'alice', 'client');
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe('docs/runbooks/pki-rotation.md', () => {
  it('has sh blocks for sections A to D and nothing else', () => {
    expect([...new Set(blocks.map((b) => b.heading.split('.')[0]))]).toEqual(['A', 'B', 'C1', 'C2', 'C3', 'D']);
    expect(shellBlocks('# x\n## S\n```sh\na\nb\n```\ntext\n```\nnot sh\n```\n').map((b) => [b.heading, b.script])).toEqual([['S', 'a\nb']]);
  });

  // The sections build on each other, so they run in order within this one test.
  it('works as written, step by step', () => {
    const ca = env['PKI'] as string;
    const bridgeCrt = path.join(party('bridge'), 'bridge.crt');
    const oldBridge = save(bridgeCrt, 'old-bridge.crt');

    // A. Renewal: the expiring bridge certificate is listed, renewed, installed; the old one revoked.
    const a = runSection('A.');
    expect(a).toMatch(/bridge\s+bridge\.example\.org\s+[0-9A-F]+\s+\S+\s+(19|20)\s+expires soon/);
    const renewed = cert(bridgeCrt);
    expect(renewed.serialNumber).not.toBe(cert(oldBridge).serialNumber);
    expect(renewed.subjectAltName).toBe(cert(oldBridge).subjectAltName);
    expect(renewed.checkPrivateKey(cryptoKey(path.join(party('bridge'), 'bridge.key')))).toBe(true);
    expect(verdict(party('bridge'), bridgeCrt)).toBe('OK');
    expect(verdict(party('server'), oldBridge)).toBe('certificate revoked');

    // B. Compromise: alice's deployed certificate is refused by bridge and server; her new one passes.
    const oldAlice = save(path.join(party('client'), 'client.crt'), 'old-alice.crt');
    const b = runSection('B.');
    expect(b).toContain("alice's old certificate is refused, as it should be");
    expect(b).toContain('error 23 at 0 depth lookup: certificate revoked');
    expect(verdict(party('bridge'), oldAlice)).toBe('certificate revoked');
    expect(verdict(party('server'), oldAlice)).toBe('certificate revoked');
    expect(openssl('crl', '-in', path.join(party('bridge'), 'crl-bundle.pem'), '-noout', '-text').out).toContain('Key Compromise');
    const newAlice = path.join(party('client'), 'client.crt');
    expect(verdict(party('bridge'), newAlice)).toBe('OK');
    expect(fs.statSync(path.join(party('client'), 'client.key')).mode & 0o777).toBe(0o600);

    // C1. Rollover: every party trusts old and new CA and has both CRLs; old certificates still pass.
    const oldCaPem = fs.readFileSync(path.join(ca, 'ca.crt'), 'utf8');
    const oldServer = save(path.join(party('server'), 'server.crt'), 'old-server.crt');
    runSection('C1.');
    expect(fs.existsSync(`${ca}.before-rollover/ca.key`)).toBe(true);
    for (const p of ['bridge', 'server', 'client'] as const) {
      const bundle = fs.readFileSync(path.join(party(p), 'ca-bundle.pem'), 'utf8');
      expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
      expect(bundle.endsWith(oldCaPem)).toBe(true);
      expect(fs.readFileSync(path.join(party(p), 'crl-bundle.pem'), 'utf8').match(/BEGIN X509 CRL/g)).toHaveLength(2);
      expect(verdict(party(p), oldServer)).toBe('OK');
      expect(verdict(party(p), oldAlice)).toBe('certificate revoked'); // the old CA's CRL still counts
    }
    const newCa = cert(path.join(ca, 'ca.crt'));
    const oldCa = new X509Certificate(oldCaPem);

    // C2. Every deployed certificate now comes from the new CA.
    runSection('C2.');
    for (const file of [bridgeCrt, path.join(party('server'), 'server.crt'), newAlice, path.join(ca, 'issued', 'bob.crt')]) {
      const c = cert(file);
      expect(c.verify(newCa.publicKey)).toBe(true);
      expect(c.checkIssued(newCa)).toBe(true);
      expect(verdict(party('bridge'), file)).toBe('OK');
    }
    expect(cert(oldServer).verify(oldCa.publicKey)).toBe(true);

    // C3. Retirement: one CA and one CRL left everywhere; old-CA certificates refused.
    const c3 = runSection('C3.');
    expect(c3).toMatch(new RegExp(`previous CA: Signet CA {2}serial ${oldCa.serialNumber} .* retired `));
    for (const p of ['bridge', 'server', 'client'] as const) {
      expect(fs.readFileSync(path.join(party(p), 'ca-bundle.pem'), 'utf8')).toBe(newCa.toString());
      expect(fs.readFileSync(path.join(party(p), 'crl-bundle.pem'), 'utf8').match(/BEGIN X509 CRL/g)).toHaveLength(1);
      expect(verdict(party(p), oldServer)).toBe('unable to get local issuer certificate');
      expect(verdict(party(p), path.join(party('server'), 'server.crt'))).toBe('OK');
    }

    // D. CRL refresh: a higher CRL number, next update a week ahead, the same file on every party.
    const numberOf = (file: string) => Number(/X509v3 CRL Number: \n\s+(\d+)/.exec(openssl('crl', '-in', file, '-noout', '-text').out)?.[1]);
    const before = numberOf(path.join(party('bridge'), 'crl-bundle.pem'));
    runSection('D.');
    const crlFile = path.join(party('bridge'), 'crl-bundle.pem');
    expect(numberOf(crlFile)).toBeGreaterThan(before);
    const next = /nextUpdate=(.+)/.exec(openssl('crl', '-in', crlFile, '-noout', '-nextupdate').out)?.[1] ?? '';
    expect(Math.round((Date.parse(next) - Date.now()) / 86_400_000)).toBe(7);
    for (const p of ['server', 'client'] as const) {
      expect(fs.readFileSync(path.join(party(p), 'crl-bundle.pem'))).toEqual(fs.readFileSync(path.join(ca, 'crl-bundle.pem')));
    }
  });
});

function cryptoKey(file: string) {
  return createPrivateKey(fs.readFileSync(file));
}
