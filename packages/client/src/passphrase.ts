import { openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { ClientError } from './errors.ts';

/** Longest passphrase accepted from a file or a terminal. */
export const MAX_PASSPHRASE = 1024;

/**
 * Reads an access passphrase: the first line of `file` (trailing CR/LF removed), or a
 * prompt on the controlling terminal with echo off. Without either, PASSPHRASE_UNAVAILABLE:
 * unattended runs must say where the passphrase comes from.
 */
export async function readPassphrase(file: string | undefined, prompt: string): Promise<string> {
  if (file !== undefined) return readPassphraseFile(file);
  if (!process.stdin.isTTY) {
    throw new ClientError('PASSPHRASE_UNAVAILABLE', 'no terminal to ask for the passphrase on; pass --passphrase-file FILE');
  }
  return promptNoEcho(prompt);
}

/**
 * Reads a new passphrase: from `file`, or on a terminal twice (no echo) so a typo does
 * not lock the user out.
 */
export async function readNewPassphrase(file: string | undefined, key: string): Promise<string> {
  if (file !== undefined) return readPassphraseFile(file);
  const first = await readPassphrase(undefined, `new access passphrase for key ${key}: `);
  const again = await readPassphrase(undefined, 'again: ');
  if (first !== again) throw new ClientError('PASSPHRASE_UNAVAILABLE', 'the two new passphrases differ; nothing was changed');
  return first;
}

export function readPassphraseFile(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw new ClientError('PASSPHRASE_UNAVAILABLE', `cannot open passphrase file ${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    // Read at most MAX_PASSPHRASE + 2 bytes: a passphrase file is never large, and a huge
    // or endless file (a FIFO, /dev/zero) must not be slurped.
    const size = fstatSync(fd).isFile() ? fstatSync(fd).size : MAX_PASSPHRASE + 2;
    const buf = Buffer.alloc(Math.min(size, MAX_PASSPHRASE + 2));
    const n = readSync(fd, buf, 0, buf.length, null);
    const text = buf.subarray(0, n).toString('utf8');
    const line = text.split(/\r?\n/, 1)[0] ?? '';
    buf.fill(0);
    if (line.length === 0) throw new ClientError('PASSPHRASE_UNAVAILABLE', `passphrase file ${file} is empty`);
    if (Buffer.byteLength(line) > MAX_PASSPHRASE) {
      throw new ClientError('PASSPHRASE_UNAVAILABLE', `passphrase in ${file} is longer than ${MAX_PASSPHRASE} bytes`);
    }
    return line;
  } finally {
    closeSync(fd);
  }
}

function promptNoEcho(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    process.stderr.write(prompt);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(value ? undefined : new ClientError('PASSPHRASE_UNAVAILABLE', 'empty passphrase'));
        if (ch === '\u0003') return done(new ClientError('PASSPHRASE_UNAVAILABLE', 'interrupted'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (value.length < MAX_PASSPHRASE) value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
