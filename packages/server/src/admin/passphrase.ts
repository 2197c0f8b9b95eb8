import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { MAX_PASSPHRASE_BYTES } from '../keystore/index.ts';
import { AdminError } from './errors.ts';
import type { AdminIO } from './io.ts';

/**
 * Passphrases come from a file (first line) or from a no-echo prompt on a terminal —
 * never from the command line, where `ps` and shell history would show them.
 */

/** Bytes read from a passphrase file: the first line must fit. */
const MAX_FILE_READ = MAX_PASSPHRASE_BYTES + 2;

export function readPassphraseFile(file: string, io: AdminIO): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new AdminError('PASSPHRASE_FILE', `cannot open passphrase file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
  const buf = Buffer.alloc(MAX_FILE_READ);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new AdminError('PASSPHRASE_FILE', `passphrase file ${file} is not a regular file`);
    // Warn, do not refuse: provisioning may use a tmpfs file that is already private.
    if ((st.mode & 0o077) !== 0) io.stderr.write(`warning: passphrase file ${file} is readable by group or others; chmod 600 it\n`);
    const n = fs.readSync(fd, buf, 0, MAX_FILE_READ, 0);
    const nl = buf.subarray(0, n).indexOf(0x0a);
    let end = nl === -1 ? n : nl;
    if (nl === -1 && n === MAX_FILE_READ) {
      throw new AdminError('PASSPHRASE_FILE', `the first line of ${file} is longer than ${MAX_PASSPHRASE_BYTES} bytes`);
    }
    if (end > 0 && buf[end - 1] === 0x0d) end -= 1;
    if (end === 0) throw new AdminError('PASSPHRASE_FILE', `the first line of ${file} is empty`);
    if (end > MAX_PASSPHRASE_BYTES) throw new AdminError('PASSPHRASE_FILE', `the first line of ${file} is longer than ${MAX_PASSPHRASE_BYTES} bytes`);
    return buf.subarray(0, end).toString('utf8');
  } finally {
    buf.fill(0);
    fs.closeSync(fd);
  }
}

/** Reads one line from a terminal without echo. */
export function promptHidden(io: AdminIO, prompt: string): Promise<string> {
  const { stdin } = io;
  if (stdin.isTTY !== true || typeof stdin.setRawMode !== 'function') {
    return Promise.reject(new AdminError('PASSPHRASE_SOURCE', 'stdin is not a terminal; give the passphrase with a --*passphrase-file option'));
  }
  io.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err: AdminError | null): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return done(new AdminError('PROMPT_ABORTED', 'passphrase entry aborted'));
        if (ch === '\u007f' || ch === '\b') {
          value = [...value].slice(0, -1).join('');
          continue;
        }
        if (ch < ' ') continue;
        value += ch;
        if (Buffer.byteLength(value, 'utf8') > MAX_PASSPHRASE_BYTES) {
          return done(new AdminError('PASSPHRASE_FILE', `passphrase longer than ${MAX_PASSPHRASE_BYTES} bytes`));
        }
      }
    };
    stdin.on('data', onData);
  });
}

function sameSecret(a: string, b: string): boolean {
  // Constant time over digests, so neither content nor length leaks through timing.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export interface PassphraseSource {
  /** File named by an option, if given. */
  readonly file: string | undefined;
  /** Option name, for messages ("--passphrase-file"). */
  readonly option: string;
  /** Prompt text for the terminal. */
  readonly prompt: string;
  /** Ask twice (when a new passphrase is being set). */
  readonly confirm: boolean;
}

export async function obtainPassphrase(io: AdminIO, source: PassphraseSource): Promise<string> {
  if (source.file !== undefined) return readPassphraseFile(source.file, io);
  if (io.stdin.isTTY !== true) {
    throw new AdminError('PASSPHRASE_SOURCE', `stdin is not a terminal: give ${source.option} FILE`);
  }
  const first = await promptHidden(io, source.prompt);
  if (first === '') throw new AdminError('PASSPHRASE_FILE', 'empty passphrase');
  if (!source.confirm) return first;
  const second = await promptHidden(io, 'Repeat to confirm: ');
  if (!sameSecret(first, second)) throw new AdminError('PASSPHRASE_MISMATCH', 'the passphrases typed differ; nothing was changed');
  return first;
}
