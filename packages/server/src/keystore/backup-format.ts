import { z } from 'zod';
import { KeyStoreError } from './errors.ts';

/**
 * The backup file, pure: one magic line, one JSON manifest line, then the SQLite database
 * bytes (a VACUUM INTO snapshot in rollback-journal mode), exactly `dbBytes` of them.
 *
 *   SIGNET-BACKUP 1\n
 *   {"format":1,"created":…,"schemaVersion":3,"chainId":…,"auditRows":N,"auditHead":{"seq":N,"hash":…},
 *    "auditIntact":true,"dbBytes":…,"dbSha256":…}\n
 *   <database>
 *
 * The manifest is not signed: restore cross-checks it against the database it describes
 * (digest, schema version, chain id, head), so editing it alone gains nothing. To read the
 * database without Signet: `tail -n +3 FILE > signet.db`.
 */

export const BACKUP_MAGIC = 'SIGNET-BACKUP 1\n';
export const MAX_MANIFEST_BYTES = 4096;
/** Bytes to read to be sure the whole header is in hand. */
export const MAX_HEADER_BYTES = BACKUP_MAGIC.length + MAX_MANIFEST_BYTES + 1;

const HEX64 = /^[0-9a-f]{64}$/;

export const BackupManifest = z.strictObject({
  format: z.literal(1),
  created: z.iso.datetime(),
  schemaVersion: z.number().int().min(1).max(1_000_000),
  chainId: z.string().regex(HEX64),
  auditRows: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  auditHead: z.strictObject({ seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), hash: z.string().regex(HEX64) }).nullable(),
  /** Whether `audit verify` passed on the snapshot when the backup was made. */
  auditIntact: z.boolean(),
  dbBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  dbSha256: z.string().regex(HEX64),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

export function encodeBackupHeader(manifest: BackupManifest): Buffer {
  const json = JSON.stringify(BackupManifest.parse(manifest));
  return Buffer.from(`${BACKUP_MAGIC}${json}\n`, 'utf8');
}

function corrupt(why: string): KeyStoreError {
  return new KeyStoreError('BACKUP_CORRUPT', `not a usable Signet backup: ${why}`);
}

/**
 * Parses the header at the start of `head` (the first MAX_HEADER_BYTES of the file, or all
 * of it if shorter). Returns the manifest and the offset where the database starts.
 * Threat: a crafted file making us parse unbounded JSON, or trust fields of the wrong type.
 */
export function parseBackupHeader(head: Buffer): { manifest: BackupManifest; offset: number } {
  if (head.length < BACKUP_MAGIC.length || head.subarray(0, BACKUP_MAGIC.length).toString('latin1') !== BACKUP_MAGIC) {
    throw corrupt('it does not start with "SIGNET-BACKUP 1" (made by `signet-server admin backup`?)');
  }
  const end = head.indexOf(0x0a, BACKUP_MAGIC.length);
  if (end === -1 || end - BACKUP_MAGIC.length > MAX_MANIFEST_BYTES) throw corrupt(`no manifest line within ${MAX_MANIFEST_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(head.subarray(BACKUP_MAGIC.length, end).toString('utf8'));
  } catch (err) {
    throw new KeyStoreError('BACKUP_CORRUPT', 'not a usable Signet backup: the manifest is not JSON', { cause: err });
  }
  const parsed = BackupManifest.safeParse(json);
  if (!parsed.success) throw corrupt(`the manifest is malformed (${parsed.error.issues.map((i) => i.path.join('.') || 'manifest').join(', ')})`);
  return { manifest: parsed.data, offset: end + 1 };
}
