import { AdminError } from './errors.ts';
import type { AdminIO } from './io.ts';
import { promptHidden } from './passphrase.ts';

/**
 * Confirmation of a destructive command: on a terminal the operator types the name of what
 * is destroyed (read without echo, as every prompt here); scripts pass --yes. Without a
 * terminal and without --yes nothing happens (CONFIRM_REQUIRED, exit status 2).
 */
export async function confirmByName(io: AdminIO, what: string, name: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (io.stdin.isTTY !== true) {
    throw new AdminError('CONFIRM_REQUIRED', `refusing to ${what} without confirmation: stdin is not a terminal; add --yes`);
  }
  const typed = await promptHidden(io, `This will ${what}. Type '${name}' to confirm: `);
  if (typed.trim() !== name) throw new AdminError('CONFIRM_DECLINED', 'the name typed differs; nothing was changed');
}
