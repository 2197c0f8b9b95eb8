import type { PlannedRpm } from '../koji/plan.ts';
import { nvra } from '../koji/tagged.ts';

/**
 * `signet check-tag`: what a compose needs, from the plan: every rpm without a stored
 * signature for the key (`unsigned`) or without its signed copy (`no-signed-copy`).
 */
export interface CheckTagMissing {
  rpm: string;
  id: number;
  missing: 'unsigned' | 'no-signed-copy';
}

export function missingFromPlan(plan: readonly PlannedRpm[]): CheckTagMissing[] {
  return plan
    .filter((p) => p.action !== 'skip')
    .map((p) => ({ rpm: nvra(p.rpm), id: p.rpm.id, missing: p.action === 'sign' ? 'unsigned' : 'no-signed-copy' }));
}
