import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BoundedReadError, readFileBounded } from '@signet/protocol';
import { PkiError } from './errors.ts';

/** Private keys: owner read/write only. */
export const KEY_FILE_MODE = 0o600;
export const CERT_FILE_MODE = 0o644;
export const DIR_MODE = 0o700;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export function exists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch (err) {
    if (errno(err) === 'ENOENT') return false;
    throw new PkiError('PKI_IO', `cannot inspect ${file}: ${errno(err) ?? 'error'}`, { cause: err });
  }
}

export function makeDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw new PkiError('PKI_IO', `cannot create directory ${dir}: ${errno(err) ?? 'error'}`, { cause: err });
  }
}

/** Reads a regular text file of at most `maxBytes` (the shared bounded reader); undefined when it does not exist. */
export function readText(file: string, maxBytes: number): string | undefined {
  try {
    return readFileBounded(file, maxBytes).data.toString('utf8');
  } catch (err) {
    if (err instanceof BoundedReadError) {
      throw new PkiError('PKI_IO', err.reason === 'too-large' ? `${file} is larger than ${maxBytes} bytes` : `cannot read ${file}: ${err.message}`);
    }
    if (errno(err) === 'ENOENT') return undefined;
    throw new PkiError('PKI_IO', `cannot read ${file}: ${errno(err) ?? 'error'}`, { cause: err });
  }
}

/**
 * Creates `file` exclusively (O_EXCL) with `mode`, so an existing key is never silently
 * overwritten and a planted symlink is not followed. With `replace`, the old file is
 * unlinked first and the new one still created exclusively with the right mode.
 */
export function writeNew(file: string, data: string, mode: number, replace = false): void {
  try {
    if (replace) fs.rmSync(file, { force: true });
    fs.writeFileSync(file, data, { flag: 'wx', mode });
    // The umask may have cleared bits of `mode`; never widened it, but make it exact.
    fs.chmodSync(file, mode);
  } catch (err) {
    if (errno(err) === 'EEXIST') {
      throw new PkiError('PKI_EXISTS', `${file} already exists; pass --force to replace it`, { cause: err });
    }
    throw new PkiError('PKI_IO', `cannot write ${file}: ${errno(err) ?? 'error'}`, { cause: err });
  }
}

/** Replaces `file` atomically: a reader sees the old or the new content, never half. */
export function writeAtomic(file: string, data: string, mode = CERT_FILE_MODE): void {
  stageAtomic(file, data, mode).commit();
}

/** A new version of a file, written beside it, that `commit` renames into place. */
export interface StagedFile {
  commit(): void;
  abort(): void;
}

/**
 * Writes `data` to a temporary file next to `file`; `commit` renames it over `file`.
 * Staging several files before committing any keeps the window in which a reader sees a
 * mix of old and new (a new key with the old certificate) down to consecutive renames.
 */
export function stageAtomic(file: string, data: string, mode = CERT_FILE_MODE): StagedFile {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fail = (err: unknown): never => {
    fs.rmSync(tmp, { force: true });
    throw new PkiError('PKI_IO', `cannot write ${file}: ${errno(err) ?? 'error'}`, { cause: err });
  };
  try {
    fs.writeFileSync(tmp, data, { flag: 'wx', mode });
  } catch (err) {
    fail(err);
  }
  return {
    commit: () => {
      try {
        fs.renameSync(tmp, file);
      } catch (err) {
        fail(err);
      }
    },
    abort: () => fs.rmSync(tmp, { force: true }),
  };
}
