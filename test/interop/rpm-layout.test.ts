import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildSignatureHeader,
  extractSignatures,
  inspectSignaturePacket,
  packageInfo,
  readPackageHead,
  requireHeaderOnlySignable,
  signatureTagFor,
  writeSignedPackage,
} from '@signet/rpm';
import { createGpgHome, rpmsignAddsign } from '../helpers/gpg.ts';
import type { GpgHome, GpgKey } from '../helpers/gpg.ts';
import { buildRpm, disposeRpmBuilds } from '../helpers/rpmbuild.ts';
import { INTEROP_DIR } from '../helpers/interop.ts';

/**
 * Byte-for-byte reproduction of `rpmsign --addsign` (rpm 4.18): rpmsign signs a copy,
 * we take the packet it made, apply it to another copy of the ORIGINAL with our
 * builder and writer, and the two files must be identical.
 */

const MiB = 1024 * 1024;

let gpg: GpgHome;
let dir: string;

beforeAll(() => {
  gpg = createGpgHome();
});
afterAll(() => {
  gpg?.dispose();
  disposeRpmBuilds();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function copy(src: string, name: string): string {
  const to = path.join(dir, name);
  fs.copyFileSync(src, to);
  fs.chmodSync(to, 0o644);
  return to;
}

interface Outcome {
  sameSize: boolean;
  method: string;
}

/** Signs two copies of `original`, one with rpmsign, one with us; asserts equality and what changed. */
async function reproduce(original: string, key: GpgKey): Promise<Outcome> {
  const theirs = copy(original, 'theirs.rpm');
  const ours = copy(original, 'ours.rpm');
  rpmsignAddsign(theirs, gpg, key);

  const signed = await readPackageHead(theirs);
  const tag = signatureTagFor(key.pubkeyAlgorithm);
  const made = extractSignatures(signed.layout.signatureHeader);
  expect(made.map((s) => s.tag)).toEqual([tag]);
  const packet = (made[0] as { packet: Buffer }).packet;
  expect(inspectSignaturePacket(packet).issuerKeyId).toBe(key.keyId.toLowerCase());

  const { layout, fileSize } = await readPackageHead(ours);
  requireHeaderOnlySignable(packageInfo(layout.mainHeader));
  const built = buildSignatureHeader(layout.signatureHeader, packet, key.pubkeyAlgorithm);
  const result = await writeSignedPackage({ src: ours, layout, newSignatureRegion: built.region, sameSize: built.sameSize });

  const out = fs.readFileSync(ours);
  const before = fs.readFileSync(original);
  if (out.length < 4 * MiB) {
    expect(out.equals(fs.readFileSync(theirs))).toBe(true);
  } else {
    expect(sha256(ours)).toBe(sha256(theirs));
  }
  // Outside [96, M) nothing moved or changed.
  expect(out.subarray(0, 96).equals(before.subarray(0, 96))).toBe(true);
  expect(out.subarray(96 + built.region.length).equals(before.subarray(layout.mainStart))).toBe(true);
  if (built.sameSize) {
    expect(out.length).toBe(fileSize);
    expect(result.method).toBe('patched-in-place');
  } else {
    expect(result.method).toBe('rewritten');
  }
  return { sameSize: built.sameSize, method: result.method };
}

describe('byte-for-byte rpmsign --addsign reproduction', () => {
  for (const keyName of ['rsa', 'ed'] as const) {
    describe(keyName === 'rsa' ? 'RSA-4096' : 'EdDSA (ed25519 legacy)', () => {
      const key = () => gpg[keyName];

      it('interop hello (x86_64): patched in place within the reserve', async () => {
        expect(await reproduce(path.join(INTEROP_DIR, 'hello-2.0-1.x86_64.rpm'), key())).toEqual({ sameSize: true, method: 'patched-in-place' });
      });

      it('interop foo (noarch): patched in place within the reserve', async () => {
        expect(await reproduce(path.join(INTEROP_DIR, 'foo-1.0-1.noarch.rpm'), key())).toEqual({ sameSize: true, method: 'patched-in-place' });
      });

      it('interop hello already signed by rpm.org RSA-2048 (header + v3): both replaced, file shrinks', async () => {
        const original = path.join(INTEROP_DIR, 'hello-2.0-1.x86_64-signed.rpm');
        expect(await reproduce(original, key())).toEqual({ sameSize: false, method: 'rewritten' });
        expect(fs.statSync(path.join(dir, 'ours.rpm')).size).toBeLessThan(fs.statSync(original).size);
      });

      it('rpmbuild package with the default reserve', async () => {
        expect((await reproduce(buildRpm({}), key())).sameSize).toBe(true);
      });

      it('rpmbuild package with %__gpg_reserved_space 0: file grows, main header moves', async () => {
        expect(await reproduce(buildRpm({ reservedSpace: 0 }), key())).toEqual({ sameSize: false, method: 'rewritten' });
      });

      it('rpmbuild package with 2,000 files', async () => {
        expect((await reproduce(buildRpm({ files: 2000 }), key())).sameSize).toBe(true);
      });
    });
  }

  it('50 MB payload, RSA-4096: patched in place', async () => {
    expect((await reproduce(buildRpm({ payloadBytes: 50 * MiB }), gpg.rsa)).sameSize).toBe(true);
  });

  it('50 MB payload without reserve, EdDSA: streamed rewrite', async () => {
    expect((await reproduce(buildRpm({ payloadBytes: 50 * MiB, reservedSpace: 0 }), gpg.ed)).method).toBe('rewritten');
  });

  it('re-signing our own output with the other key matches rpmsign doing the same', async () => {
    const first = copy(buildRpm({}), 'first.rpm');
    rpmsignAddsign(first, gpg, gpg.rsa);
    // RSA (268) replaced by EdDSA (267): the header shrinks and rpm never grows the reserve back.
    expect(await reproduce(first, gpg.ed)).toEqual({ sameSize: false, method: 'rewritten' });
  });
});
