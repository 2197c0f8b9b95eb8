/**
 * The client's commands and its refusals, end to end through the real bridge and server.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { requireTools } from '../helpers/gpg.ts';
import { INTEROP_DIR } from '../helpers/interop.ts';
import { BIN, runNode } from '../../scripts/lib/run.ts';
import { readPackageHead } from '@signet/rpm';

const SAMPLE = path.resolve(import.meta.dirname, '../../samples/rpms/signet-demo-hello-1.0-1.noarch.rpm');

describe('signet CLI through bridge and server', () => {
  let cluster: Cluster;
  let work: string;
  const sign = (...args: string[]) => cluster.signet(['sign-rpm', '--key', 'demo', '--passphrase-file', cluster.dep.passphraseFile, ...args]);

  beforeAll(async () => {
    cluster = await startCluster({ keyType: 'rsa4096' });
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-cli-'));
    // bob has a client certificate and a user account, but no grant on any key.
    const issued = await runNode(BIN.pki, ['issue', '--dir', cluster.dep.pkiDir, '--role', 'client', '--name', 'bob', '--key-bits', '2048']);
    expect(issued.code, issued.stderr).toBe(0);
    const added = await runNode(BIN.server, ['admin', '--state', cluster.dep.stateDir, 'user', 'add', 'bob']);
    expect(added.code, added.stderr).toBe(0);
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('whoami names the user from the certificate; ping and list-keys answer', async () => {
    expect((await cluster.signet(['whoami'])).stdout).toBe('alice\n');
    const ping = await cluster.signet(['ping', '--json']);
    expect(ping.code).toBe(0);
    expect(JSON.parse(ping.stdout)).toMatchObject({ server: 'signet-server.test' });
    const keys = await cluster.signet(['list-keys', '--json']);
    expect(JSON.parse(keys.stdout)).toEqual([expect.objectContaining({ name: 'demo', algorithm: expect.stringMatching(/rsa/i) })]);
  });

  it('sign-data writes an armored detached signature that gpg verifies', async () => {
    requireTools('gpg');
    const data = path.join(work, 'repomd.xml');
    writeFileSync(data, '<?xml version="1.0"?><repomd><revision>1</revision></repomd>\n');
    const r = await cluster.signet(['sign-data', '--key', 'demo', '--armor', '--passphrase-file', cluster.dep.passphraseFile, '-o', `${data}.asc`, data]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`${data}.asc`, 'utf8')).toMatch(/^-----BEGIN PGP SIGNATURE-----/);
    const gnupg = mkdtempSync(path.join(os.tmpdir(), 'signet-gpg-'));
    try {
      const key = path.join(work, 'demo.asc');
      expect((await cluster.signet(['get-public-key', 'demo', '-o', key])).code).toBe(0);
      execFileSync('gpg', ['--homedir', gnupg, '--batch', '--quiet', '--import', key], { stdio: 'pipe' });
      const out = execFileSync('gpg', ['--homedir', gnupg, '--batch', '--verify', `${data}.asc`, data], { stdio: 'pipe', encoding: 'utf8' }).toString();
      expect(out).toBe('');
    } finally {
      rmSync(gnupg, { recursive: true, force: true });
    }
  });

  it('refuses what is not an RPM, and a truncated one, without writing anything', async () => {
    const notRpm = path.join(work, 'notes.rpm');
    writeFileSync(notRpm, 'this is not a package\n'.repeat(20));
    const truncated = path.join(work, 'truncated.rpm');
    writeFileSync(truncated, readFileSync(SAMPLE).subarray(0, 500));
    const out = mkdtempSync(path.join(work, 'out-'));
    const r = await sign('-o', out, notRpm, truncated);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/notes\.rpm: RPM_NOT_RPM/);
    expect(r.stderr).toMatch(/truncated\.rpm: RPM_TRUNCATED/);
    expect(execFileSync('ls', ['-A', out]).toString()).toBe('');
  });

  it('an unknown key, a wrong passphrase and a user without a grant are refused; the input is untouched', async () => {
    const file = path.join(work, 'inplace.rpm');
    copyFileSync(SAMPLE, file);
    const before = readFileSync(file);
    const unknown = await cluster.signet(['sign-rpm', '--key', 'nosuchkey', '--passphrase-file', cluster.dep.passphraseFile, '--in-place', file]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/KEY_NOT_FOUND|ACCESS_DENIED/);

    const wrong = path.join(work, 'wrong-pass');
    writeFileSync(wrong, 'not-the-passphrase\n');
    const bad = await cluster.signet(['sign-rpm', '--key', 'demo', '--passphrase-file', wrong, '--in-place', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/BAD_PASSPHRASE/);
    expect(bad.stderr).not.toContain('not-the-passphrase');

    const bob = cluster.clientConfig('bob');
    expect((await cluster.signetAs(bob, ['whoami'])).stdout).toBe('bob\n');
    const denied = await cluster.signetAs(bob, ['sign-rpm', '--key', 'demo', '--passphrase-file', cluster.dep.passphraseFile, '--in-place', file]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/ACCESS_DENIED/);

    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('usage and configuration errors exit 2 with a code', async () => {
    const noMode = await cluster.signet(['sign-rpm', '--key', 'demo', SAMPLE]);
    expect(noMode.code).toBe(2);
    expect(noMode.stderr).toMatch(/USAGE/);
    const unknownOption = await cluster.signet(['whoami', '--frobnicate']);
    expect(unknownOption.code).toBe(2);
    const badConfig = path.join(work, 'bad.json');
    writeFileSync(badConfig, JSON.stringify({ bridge: { host: '127.0.0.1' }, serverName: 'x', tls: { cert: 'a', key: 'b', ca: 'c' }, surprise: true }));
    const r = await cluster.signetAs(badConfig, ['whoami']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONFIG_INVALID/);
    expect(r.stderr).toMatch(/surprise/);
  });

  it('--no-verify-payload skips only the payload check: header digests still protect the header', async () => {
    const out = mkdtempSync(path.join(work, 'nvp-'));
    const damaged = path.join(INTEROP_DIR, 'hello-2.0-1.x86_64-corrupted.rpm');
    const signed = await sign('--no-verify-payload', '-o', out, damaged);
    expect(signed.code, signed.stderr).toBe(0);
    // A changed header is refused all the same.
    const bytes = readFileSync(SAMPLE);
    const { layout } = await readPackageHead(SAMPLE);
    bytes[layout.mainEnd - 40] = (bytes[layout.mainEnd - 40] as number) ^ 0x01;
    const tampered = path.join(work, 'tampered-header.rpm');
    writeFileSync(tampered, bytes);
    const refused = await sign('--no-verify-payload', '-o', out, tampered);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/RPM_HEADER_DIGEST_MISMATCH/);
  });

  it('refuses to write an output over its own input', async () => {
    const dir = mkdtempSync(path.join(work, 'same-'));
    const file = path.join(dir, 'p.rpm');
    copyFileSync(SAMPLE, file);
    const r = await sign('-o', dir, file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OUTPUT_CONFLICT/);
    expect(existsSync(file)).toBe(true);
  });

  it('takes its packages from a list (--files-from FILE, or - for standard input)', async () => {
    const dir = mkdtempSync(path.join(work, 'list-'));
    const out = mkdtempSync(path.join(work, 'list-out-'));
    const files = ['a', 'b', 'c'].map((n) => {
      const f = path.join(dir, `p-${n}.rpm`);
      copyFileSync(SAMPLE, f);
      return f;
    });
    const list = path.join(dir, 'list.txt');
    writeFileSync(list, `${files[0]}\n\n${files[1]}\n`);
    // Listed and named packages together.
    const fromFile = await sign('-o', out, '--files-from', list, files[2] as string);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout.trim().split('\n')).toHaveLength(3);

    const inPlace = (input: string, ...args: string[]) =>
      runNode(BIN.client, ['--config', cluster.dep.clientConfig, 'sign-rpm', '--key', 'demo', '--in-place', '--json', ...args], { input });
    const fromStdin = await inPlace(`${files.join('\n')}\n`, '--passphrase-file', cluster.dep.passphraseFile, '--files-from', '-');
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(fromStdin.stdout.trim().split('\n').map((l) => JSON.parse(l).ok)).toEqual([true, true, true]);

    // Standard input cannot be both the list and the passphrase prompt.
    const noPass = await inPlace(files.join('\n'), '--files-from', '-');
    expect(noPass.code).toBe(2);
    expect(noPass.stderr).toMatch(/USAGE: .*--passphrase-file/);
    // A list that is not one path per line is refused before anything is signed.
    const bad = await inPlace(`${files[0]}\0${files[1]}`, '--passphrase-file', cluster.dep.passphraseFile, '--files-from', '-');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/USAGE: --files-from standard input: line 1 contains a NUL byte/);
  });

  it('refuses one file named twice with --in-place (same path, a symlink, a/./b) before signing anything', async () => {
    const dir = mkdtempSync(path.join(work, 'twice-'));
    const file = path.join(dir, 'p.rpm');
    copyFileSync(SAMPLE, file);
    symlinkSync(file, path.join(dir, 'link.rpm'));
    const before = readFileSync(file);
    for (const twin of [file, path.join(dir, 'link.rpm'), `${dir}/./p.rpm`]) {
      const r = await sign('--in-place', file, twin);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/OUTPUT_CONFLICT: .* are the same file/);
    }
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});

describe('signet change-passphrase', () => {
  let cluster: Cluster;
  let work: string;
  beforeAll(async () => {
    cluster = await startCluster({ keyType: 'ed25519' });
    work = mkdtempSync(path.join(os.tmpdir(), 'signet-chpass-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('changes the user own access passphrase over the wire; the old one stops working', async () => {
    const next = path.join(work, 'new-pass');
    writeFileSync(next, 'a brand new passphrase\n');
    const r = await cluster.signet(['change-passphrase', 'demo', '--passphrase-file', cluster.dep.passphraseFile, '--new-passphrase-file', next]);
    expect(r.code, r.stderr).toBe(0);
    const data = path.join(work, 'd.txt');
    writeFileSync(data, 'x');
    const withOld = await cluster.signet(['sign-data', '--key', 'demo', '--passphrase-file', cluster.dep.passphraseFile, '-o', `${data}.sig`, data]);
    expect(withOld.code).toBe(1);
    expect(withOld.stderr).toMatch(/BAD_PASSPHRASE/);
    const withNew = await cluster.signet(['sign-data', '--key', 'demo', '--passphrase-file', next, '-o', `${data}.sig`, data]);
    expect(withNew.code, withNew.stderr).toBe(0);
    const wrongCurrent = await cluster.signet(['change-passphrase', 'demo', '--passphrase-file', cluster.dep.passphraseFile, '--new-passphrase-file', next]);
    expect(wrongCurrent.code).toBe(1);
  });
});
