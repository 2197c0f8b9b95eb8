import type { DatabaseSync } from 'node:sqlite';
import { transaction } from './database.ts';
import { KeyStoreError } from './errors.ts';
import type { UnlockLimits } from './limiter.ts';
import { text, type Row } from './rows.ts';

const LOCKOUT_META = 'unlock_lockout_after';

/**
 * The lockout threshold is the daemon's (`unlock.lockoutAfter`), and the console must count
 * with the same one (its `user list/show` says which grants are locked, and its own key-admin
 * unlocks count failures too): the daemon records it in the store when it opens it, and a
 * store opened without a threshold (the admin CLI) uses the recorded one, else the default.
 */
export function sharedLockout(db: DatabaseSync, limits: Partial<UnlockLimits> | undefined): Partial<UnlockLimits> | undefined {
  if (limits?.lockoutAfter !== undefined) {
    const value = String(limits.lockoutAfter);
    const row = db.prepare('SELECT value FROM meta WHERE name = ?').get(LOCKOUT_META) as Row | undefined;
    if (row === undefined || text(row, 'value') !== value) {
      transaction(db, () => db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value').run(LOCKOUT_META, value));
    }
    return limits;
  }
  const row = db.prepare('SELECT value FROM meta WHERE name = ?').get(LOCKOUT_META) as Row | undefined;
  if (row === undefined) return limits;
  const recorded = Number(text(row, 'value'));
  if (!Number.isInteger(recorded) || recorded < 1 || recorded > 1000) throw new KeyStoreError('DB_CORRUPT', `the recorded unlock lockout threshold "${text(row, 'value').slice(0, 20)}" is not 1..1000; restore the database from a backup`);
  return { ...limits, lockoutAfter: recorded };
}
