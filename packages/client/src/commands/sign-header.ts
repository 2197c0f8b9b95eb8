import { packageInfo, requireHeaderOnlySignable, bytesToSign, buildSignatureHeader } from '@signet/rpm';
import type { PackageLayout } from '@signet/rpm';
import { verifyDetachedSignature } from '../openpgp/verify.ts';
import { inspectSignaturePacket } from '../openpgp/inspect.ts';
import type { RetryPolicy } from '../retry.ts';
import { onLiveSession, type SessionKeeper } from '../session-keeper.ts';

export interface SignedHeader {
  /** The new signature header with its zero padding: the blob `addRPMSig` stores. */
  readonly region: Buffer;
  /** Whether `region` fits exactly in the package's current [96, M) (in-place patch). */
  readonly sameSize: boolean;
  readonly keyId: string;
  readonly nevra: string;
  readonly attempts: number;
}

/**
 * Signs a package by its head: send the main header, verify the returned signature
 * against the session's key before anything else sees it, build the new signature header.
 * The result is returned, not written: `sign-rpm` writes it into the file, `sign-tag`
 * stores it in Koji. The caller must already have checked the head (package digests, or
 * for Koji the hub's sigmd5 and the header digests).
 */
export async function signPackageHead(keeper: SessionKeeper, layout: PackageLayout, retry: RetryPolicy, onRetry?: (err: unknown, attempt: number) => void): Promise<SignedHeader> {
  const info = packageInfo(layout.mainHeader);
  // Packages without a payload digest (rpm < 4.14) need a v3 signature over the payload.
  requireHeaderOnlySignable(info);
  const header = bytesToSign(layout);
  let attempts = 0;
  const { packet, keyId } = await onLiveSession(
    keeper,
    retry,
    async (session) => {
      attempts++;
      const { bin: packet } = await session.rpc.call('sign-rpm-header', { key: session.key.info.name }, header);
      // No signature leaves the client unverified: checked before it is written or sent on.
      await verifyDetachedSignature(packet, header, session.key.publicKey, session.key.info.keyId);
      return { packet, keyId: session.key.info.keyId };
    },
    onRetry,
  );
  const { pubkeyAlgorithm } = inspectSignaturePacket(packet);
  const built = buildSignatureHeader(layout.signatureHeader, packet, pubkeyAlgorithm);
  return { region: built.region, sameSize: built.sameSize, keyId, nevra: info.nevra, attempts };
}
