import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { readPackageHead, verifyPackageDigests, extractSignatures, bytesToSign } from '@signet/rpm';

export function rpmkeysAvailable(): boolean {
  return spawnSync('rpmkeys', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** rpm 4.18's verdict on a package signed with a key whose public half is `keyFile`. */
export const RPMKEYS_OK = /Header V4 (RSA|EdDSA)\/SHA(256|512) Signature, key ID [0-9a-f]{8}: OK/;

/**
 * A failed check in rpmkeys output: a verdict word after a colon, so a fingerprint or temp
 * path that happens to contain the letters "BAD" is not mistaken for one.
 */
export const RPMKEYS_FAILURE = /\bNOT OK\b|:\s*(BAD|NOKEY|NOTFOUND|NOTTRUSTED)\b/;

/**
 * `rpmkeys -Kv` with the key imported into a throwaway rpm database (nothing touches the
 * system's). OK means: exit 0, a V4 header signature line ending in OK, and no BAD/NOKEY.
 */
export async function verifyWithRpmkeys(file: string, keyFile: string): Promise<{ ok: boolean; output: string }> {
  const db = mkdtempSync(path.join(os.tmpdir(), 'signet-rpmdb-'));
  try {
    execFileSync('rpmkeys', ['--dbpath', db, '--import', keyFile], { stdio: 'pipe' });
    const r = spawnSync('rpmkeys', ['--dbpath', db, '-Kv', file], { encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`;
    return { ok: r.status === 0 && RPMKEYS_OK.test(output) && !RPMKEYS_FAILURE.test(output), output };
  } finally {
    rmSync(db, { recursive: true, force: true });
  }
}

/** Signet's own check, for machines without rpm: digests, then the header signature. */
export async function verifyWithSignet(file: string, keyFile: string): Promise<void> {
  const { layout } = await readPackageHead(file);
  await verifyPackageDigests(file, layout);
  const sigs = extractSignatures(layout.signatureHeader).filter((s) => s.tag === 267 || s.tag === 268);
  if (sigs.length !== 1) throw new Error(`${file}: expected one header signature, found ${sigs.length}`);
  const key = await openpgp.readKey({ armoredKey: readFileSync(keyFile, 'utf8') });
  const result = await openpgp.verify({
    message: await openpgp.createMessage({ binary: bytesToSign(layout) }),
    signature: await openpgp.readSignature({ binarySignature: (sigs[0] as { packet: Buffer }).packet }),
    verificationKeys: key,
  });
  if ((await result.signatures[0]?.verified) !== true) throw new Error(`${file}: header signature does not verify`);
}
