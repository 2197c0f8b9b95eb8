/**
 * Interop through the three real processes: packages signed by `signet sign-rpm` are
 * checked by rpm 4.18's own `rpmkeys -Kv`, for RSA-4096 and EdDSA keys, on rpm's test
 * packages and on packages built here with rpmbuild.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { buildRpm, disposeRpmBuilds } from '../helpers/rpmbuild.ts';
import { requireTools } from '../helpers/gpg.ts';
import { expectOnlySignatureChanged } from '../helpers/rpm-compare.ts';
import { INTEROP_DIR } from '../helpers/interop.ts';
import { verifyWithRpmkeys } from '../../scripts/lib/verify-rpm.ts';
import { BIN, runNode } from '../../scripts/lib/run.ts';

const interop = (f: string): string => path.join(INTEROP_DIR, f);

for (const keyType of ['rsa4096', 'ed25519'] as const) {
  describe(`sign-rpm with a ${keyType} key, checked by rpmkeys`, () => {
    let cluster: Cluster;
    let out: string;
    let keyFile: string;
    const algo = keyType === 'rsa4096' ? 'RSA/SHA512' : 'EdDSA/SHA256';

    beforeAll(async () => {
      requireTools('rpmkeys', 'rpmbuild');
      cluster = await startCluster({ keyType });
      out = mkdtempSync(path.join(os.tmpdir(), 'signet-interop-'));
      keyFile = path.join(out, 'RPM-GPG-KEY-demo');
      const r = await cluster.signet(['get-public-key', 'demo', '-o', keyFile]);
      expect(r.code, r.stderr).toBe(0);
    });

    afterAll(async () => {
      await cluster?.stop();
      rmSync(out, { recursive: true, force: true });
      disposeRpmBuilds();
    });

    const signAndCheck = async (inputs: string[], sameSize: boolean): Promise<void> => {
      const r = await cluster.signet(['sign-rpm', '--key', 'demo', '--passphrase-file', cluster.dep.passphraseFile, '-o', out, ...inputs]);
      expect(r.code, r.stderr).toBe(0);
      for (const input of inputs) {
        const output = path.join(out, path.basename(input));
        const v = await verifyWithRpmkeys(output, keyFile);
        expect(v.output).toMatch(new RegExp(`Header V4 ${algo} Signature, key ID [0-9a-f]{8}: OK`));
        expect(v.ok, v.output).toBe(true);
        await expectOnlySignatureChanged(input, output, { sameSize });
      }
    };

    it("signs rpm's own test packages, keeping their size", async () => {
      await signAndCheck([interop('hello-2.0-1.x86_64.rpm'), interop('foo-1.0-1.noarch.rpm')], true);
    });

    it('re-signs a package already signed by another key (old header and v3 signatures replaced)', async () => {
      await signAndCheck([interop('hello-2.0-1.x86_64-signed.rpm')], false);
      const v = await verifyWithRpmkeys(path.join(out, 'hello-2.0-1.x86_64-signed.rpm'), keyFile);
      expect(v.output).not.toMatch(/1964c5fc/);
    });

    it('signs rpmbuild packages: a few files, 2,000 files, 50 MB payload, and no reserved space (file grows)', async () => {
      await signAndCheck([buildRpm({ files: 3 }), buildRpm({ files: 2000 }), buildRpm({ payloadBytes: 50 * 1024 * 1024 })], true);
      await signAndCheck([buildRpm({ files: 3, reservedSpace: 0 })], false);
    });

    it('signs in place: only [96, M) changes and the size is kept', async () => {
      const work = mkdtempSync(path.join(os.tmpdir(), 'signet-inplace-'));
      try {
        const file = path.join(work, 'hello.rpm');
        copyFileSync(interop('hello-2.0-1.x86_64.rpm'), file);
        const r = await cluster.signet(['sign-rpm', '--key', 'demo', '--passphrase-file', cluster.dep.passphraseFile, '--in-place', file]);
        expect(r.code, r.stderr).toBe(0);
        expect((await verifyWithRpmkeys(file, keyFile)).ok).toBe(true);
        await expectOnlySignatureChanged(interop('hello-2.0-1.x86_64.rpm'), file, { sameSize: true });
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });

    it('refuses a package with a damaged payload and one that would need a v3 signature, writing nothing', async () => {
      const r = await cluster.signet([
        'sign-rpm', '--key', 'demo', '--passphrase-file', cluster.dep.passphraseFile, '-o', out,
        interop('hello-2.0-1.x86_64-corrupted.rpm'), interop('foo-1.0-1.src.rpm'),
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/hello-2\.0-1\.x86_64-corrupted\.rpm: RPM_PAYLOAD_DIGEST_MISMATCH/);
      expect(r.stderr).toMatch(/foo-1\.0-1\.src\.rpm: RPM_NEEDS_V3/);
      expect(existsSync(path.join(out, 'hello-2.0-1.x86_64-corrupted.rpm'))).toBe(false);
      expect(existsSync(path.join(out, 'foo-1.0-1.src.rpm'))).toBe(false);
    });
  });
}

describe('an imported GnuPG key', () => {
  let cluster: Cluster;
  let out: string;
  beforeAll(async () => {
    requireTools('rpmkeys');
    cluster = await startCluster({ keyType: 'ed25519' });
    out = mkdtempSync(path.join(os.tmpdir(), 'signet-import-'));
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it("rpm.org's RSA-2048 test key signs hello so that it verifies with rpm.org's public key", async () => {
    const imp = await runNode(BIN.server, [
      'admin', '--state', cluster.dep.stateDir, 'key', 'import', 'rpmorg', interop('rpm.org-rsa-2048-test.secret'),
      '--user', 'alice', '--passphrase-file', cluster.dep.passphraseFile, '--argon2', 'min',
    ]);
    expect(imp.code, imp.stderr).toBe(0);
    const r = await cluster.signet(['sign-rpm', '--key', 'rpmorg', '--passphrase-file', cluster.dep.passphraseFile, '-o', out, interop('hello-2.0-1.x86_64.rpm')]);
    expect(r.code, r.stderr).toBe(0);
    const v = await verifyWithRpmkeys(path.join(out, 'hello-2.0-1.x86_64.rpm'), interop('rpm.org-rsa-2048-test.pub'));
    expect(v.output).toMatch(/Header V4 RSA\/SHA512 Signature, key ID 1964c5fc: OK/);
    expect(v.ok).toBe(true);
    // The signed file differs from rpm's own signed copy only in the signature itself.
    expect(readFileSync(path.join(out, 'hello-2.0-1.x86_64.rpm')).length).toBe(readFileSync(interop('hello-2.0-1.x86_64.rpm')).length);
  });
});
