import fs from 'node:fs';
import type { KeyInfo } from '../keystore/index.ts';
import { AdminError } from './errors.ts';

/** Output helpers shared by the admin commands. */

export function sigkey(info: KeyInfo): string {
  return info.keyId.slice(8).toLowerCase();
}

/** A key as --json prints it: KeyInfo plus Koji's sigkey. */
export function keyJson(info: KeyInfo): string {
  return JSON.stringify({ ...info, sigkey: sigkey(info) }, null, 2);
}

export function describe(info: KeyInfo): string {
  return `key ${info.name}: ${info.algorithm}${info.bits} fingerprint ${info.fingerprint} key ID ${info.keyId} (Koji sigkey ${sigkey(info)})`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Writes a public file (mode 0644). */
export function writeOutput(target: string, content: string): void {
  try {
    fs.writeFileSync(target, content, { mode: 0o644 });
  } catch (err) {
    throw new AdminError('FILE_WRITE', `cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
}

