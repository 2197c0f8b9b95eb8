import type { RpmSigRow, TaggedRpm } from './tagged.ts';

/**
 * The per-rpm decision of tag signing, pure. In the order careful tooling uses:
 * - `skip`: the hub has a signature for the key AND the signed copy exists;
 * - `write`: the signature is stored but the copy is missing (a run stopped between
 *   `addRPMSig` and `writeSignedRPM`, or tooling that never wrote it): `writeSignedRPM` only;
 * - `sign`: no signature for the key: fetch the header, sign, verify, `addRPMSig`,
 *   `writeSignedRPM`.
 * A signed copy without a stored signature is not trusted (`sign`): publishing reads the
 * copy, and only a stored signature says which key made it.
 */
export type RpmAction = 'skip' | 'write' | 'sign';

export interface PlannedRpm {
  readonly rpm: TaggedRpm;
  readonly action: RpmAction;
}

/** Koji's sigkey for an OpenPGP key ID or fingerprint: its last 8 hex digits, lowercase. */
export function sigkeyOf(keyIdOrFingerprint: string): string {
  if (!/^(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/.test(keyIdOrFingerprint)) {
    throw new TypeError('a key ID is 16 hex digits (or a 40/64-digit fingerprint)');
  }
  return keyIdOrFingerprint.slice(-8).toLowerCase();
}

export function planRpm(sigs: readonly RpmSigRow[], sigkey: string, signedCopyExists: boolean): RpmAction {
  const stored = sigs.some((s) => s.sigkey === sigkey);
  if (!stored) return 'sign';
  return signedCopyExists ? 'skip' : 'write';
}

/**
 * Plans a whole tag: `sigs` are `queryRPMSigs` rows (any keys, any rpms: rows of other
 * rpms are ignored), `signedCopies` the ids of rpms whose signed copy for `sigkey` exists.
 */
export function planTag(rpms: readonly TaggedRpm[], sigs: readonly RpmSigRow[], signedCopies: ReadonlySet<number>, sigkey: string): PlannedRpm[] {
  if (!/^[0-9a-f]{8}$/.test(sigkey)) throw new TypeError('sigkey must be 8 lowercase hex digits');
  const byRpm = new Map<number, RpmSigRow[]>();
  for (const s of sigs) {
    const list = byRpm.get(s.rpmId);
    if (list === undefined) byRpm.set(s.rpmId, [s]);
    else list.push(s);
  }
  return rpms.map((rpm) => ({ rpm, action: planRpm(byRpm.get(rpm.id) ?? [], sigkey, signedCopies.has(rpm.id)) }));
}

/** Counts per action, for summaries. */
export function planCounts(plan: readonly PlannedRpm[]): Record<RpmAction, number> {
  const counts: Record<RpmAction, number> = { skip: 0, write: 0, sign: 0 };
  for (const p of plan) counts[p.action]++;
  return counts;
}
