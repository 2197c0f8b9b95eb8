import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A throwaway GnuPG home with freshly generated signing keys (no passphrase), for interop
 * tests against rpmsign / rpmkeys. Nothing touches the user's keyring.
 */

export interface GpgKey {
  readonly label: 'rsa4096' | 'ed25519';
  /** 16 uppercase hex digits, what rpm prints in lowercase as the last 8. */
  readonly keyId: string;
  readonly fingerprint: string;
  /** OpenPGP public-key algorithm id: 1 RSA, 22 EdDSA legacy. */
  readonly pubkeyAlgorithm: number;
  /** Armored public key file, for `rpmkeys --import`. */
  readonly publicKeyPath: string;
}

export interface GpgHome {
  readonly home: string;
  readonly rsa: GpgKey;
  readonly ed: GpgKey;
  /** Binary detached signature (one packet) of `data`, made by gpg with `key`. */
  detachSign(data: Buffer, key: GpgKey): Buffer;
  /** Stops this home's gpg-agent and removes the directory. */
  dispose(): void;
}

/** Throws (so the test fails, never skips) when a required tool is not installed. */
export function requireTools(...tools: string[]): void {
  for (const tool of tools) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (found.status !== 0) throw new Error(`${tool} is required for this test but is not installed`);
  }
}

function gpg(home: string, args: string[], input?: Buffer): Buffer {
  return execFileSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--quiet', ...args], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

function generate(home: string, label: GpgKey['label']): GpgKey {
  const uid = `Signet test ${label} <${label}@signet.test>`;
  const algo = label === 'rsa4096' ? 'rsa4096' : 'ed25519';
  gpg(home, ['--passphrase', '', '--pinentry-mode', 'loopback', '--quick-gen-key', uid, algo, 'sign', 'never']);
  const colons = gpg(home, ['--with-colons', '--list-keys', uid]).toString('utf8').split('\n');
  const pub = colons.find((l) => l.startsWith('pub:'))?.split(':');
  const fpr = colons.find((l) => l.startsWith('fpr:'))?.split(':')[9];
  if (pub === undefined || fpr === undefined) throw new Error(`gpg did not list the ${label} key`);
  const keyId = pub[4] as string;
  const publicKeyPath = path.join(home, `${label}.asc`);
  fs.writeFileSync(publicKeyPath, gpg(home, ['--armor', '--export', keyId]));
  return { label, keyId, fingerprint: fpr, pubkeyAlgorithm: Number(pub[3]), publicKeyPath };
}

/** Creates a GnuPG home under the system temp dir with an RSA-4096 and an ed25519 (EdDSA 22) key. */
export function createGpgHome(): GpgHome {
  requireTools('gpg', 'gpgconf');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-gpg-'));
  fs.chmodSync(home, 0o700);
  const rsa = generate(home, 'rsa4096');
  const ed = generate(home, 'ed25519');
  return {
    home,
    rsa,
    ed,
    detachSign(data, key) {
      return gpg(home, ['--local-user', key.fingerprint, '--detach-sign', '--output', '-'], data);
    },
    dispose() {
      spawnSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * `rpmsign --addsign` with `key`, as on Debian (whose rpm expects gpg2 by default).
 * Returns rpmsign's combined output. Throws when rpmsign fails.
 */
export function rpmsignAddsign(file: string, gpgHome: GpgHome, key: GpgKey, extraDefines: string[] = []): string {
  requireTools('rpmsign');
  const defines = [
    '__gpg /usr/bin/gpg',
    `_gpg_name ${key.fingerprint}`,
    `_gpg_path ${gpgHome.home}`,
    ...extraDefines,
  ].flatMap((d) => ['--define', d]);
  const result = spawnSync('rpmsign', ['--addsign', ...defines, file], { encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`rpmsign --addsign ${file} failed (${result.status}): ${output}`);
  return output;
}
