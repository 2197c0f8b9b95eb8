import { packageInfo, requireHeaderOnlySignable, bytesToSign, buildSignatureHeader } from '@signet/rpm';
import type { PackageLayout } from '@signet/rpm';
import { verifyDetachedSignature } from '../openpgp/verify.ts';
import { inspectSignaturePacket } from '../openpgp/inspect.ts';
import { isLinkFailure, withRetries, type RetryPolicy } from '../retry.ts';
import type { SessionKeeper } from '../session-keeper.ts';

export interface SignedHeader {
  /** The new signature header with its zero padding: the blob `addRPMSig` stores. */
  readonly region: Buffer;
  readonly keyId: string;
  readonly nevra: string;
  readonly attempts: number;
}

/**
 * Signs a package known only by its head (no payload at hand, as with Koji's stored rpms):
 * the same calls as `signOne` of sign-rpm — send the main header, verify the returned
 * signature against the session's key before anything else sees it, build the new
 * signature header — but the result is returned, not written. The caller must already have
 * checked the head (for Koji: sigmd5 against the hub and header digests).
 */
export async function signPackageHead(keeper: SessionKeeper, layout: PackageLayout, retry: RetryPolicy, onRetry?: (err: unknown, attempt: number) => void): Promise<SignedHeader> {
  const info = packageInfo(layout.mainHeader);
  // Packages without a payload digest (rpm < 4.14) need a v3 signature over the payload.
  requireHeaderOnlySignable(info);
  const header = bytesToSign(layout);
  let attempts = 0;
  const { packet, keyId } = await withRetries(
    retry,
    async () => {
      attempts++;
      const session = await keeper.get();
      try {
        const { bin: packet } = await session.rpc.call('sign-rpm-header', { key: session.key.info.name }, header);
        // No signature leaves the client unverified: checked before it is sent to the hub.
        await verifyDetachedSignature(packet, header, session.key.publicKey, session.key.info.keyId);
        return { packet, keyId: session.key.info.keyId };
      } catch (err) {
        if (isLinkFailure(err)) keeper.invalidate(session);
        throw err;
      }
    },
    onRetry,
  );
  const { pubkeyAlgorithm } = inspectSignaturePacket(packet);
  const built = buildSignatureHeader(layout.signatureHeader, packet, pubkeyAlgorithm);
  return { region: built.region, keyId, nevra: info.nevra, attempts };
}
