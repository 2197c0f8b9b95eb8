import { createReadStream } from 'node:fs';
import { ClientError } from './errors.ts';

/**
 * `sign-rpm --files-from F`: the packages to sign, one path per line, from a file, a pipe
 * (`<(find …)`) or standard input (`-`). A mass rebuild has tens of thousands of packages:
 * more than a command line holds (ARG_MAX), so `signet sign-rpm *.rpm` cannot take them.
 *
 * Bounded before use: the list's size, the number of paths and each path's length; a
 * NUL byte or invalid UTF-8 is refused rather than turned into a different path.
 */

export interface FileListLimits {
  /** Bytes of the whole list. */
  readonly maxBytes: number;
  /** Paths in the list. */
  readonly maxEntries: number;
  /** Bytes of one path (Linux PATH_MAX). */
  readonly maxPathBytes: number;
}

export const FILE_LIST_LIMITS: FileListLimits = { maxBytes: 64 * 1024 * 1024, maxEntries: 1_000_000, maxPathBytes: 4096 };

const usage = (where: string, why: string): ClientError => new ClientError('USAGE', `--files-from ${where}: ${why}`);

/** The paths in `data`: one per line ("\n"), empty lines skipped. Pure. */
export function parseFileList(data: Buffer, where: string, limits: FileListLimits = FILE_LIST_LIMITS): string[] {
  if (data.length > limits.maxBytes) throw usage(where, `larger than ${limits.maxBytes} bytes`);
  const nul = data.indexOf(0);
  if (nul >= 0) throw usage(where, `line ${lineAt(data, nul)} contains a NUL byte (give one path per line)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw usage(where, 'is not valid UTF-8');
  }
  const paths: string[] = [];
  let line = 0;
  for (const entry of text.split('\n')) {
    line++;
    if (entry === '') continue;
    if (Buffer.byteLength(entry) > limits.maxPathBytes) throw usage(where, `line ${line} is longer than ${limits.maxPathBytes} bytes`);
    if (paths.length === limits.maxEntries) throw usage(where, `more than ${limits.maxEntries} paths`);
    paths.push(entry);
  }
  return paths;
}

function lineAt(data: Buffer, offset: number): number {
  let n = 1;
  for (let i = data.indexOf(10); i >= 0 && i < offset; i = data.indexOf(10, i + 1)) n++;
  return n;
}

/** Reads `source` ("-": `stdin`) to its end, at most `limits.maxBytes`, and parses it. */
export async function readFileList(source: string, stdin: NodeJS.ReadableStream, limits: FileListLimits = FILE_LIST_LIMITS): Promise<string[]> {
  const where = source === '-' ? 'standard input' : source;
  const stream = source === '-' ? stdin : createReadStream(source);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      // Threat: an endless source (/dev/zero, a runaway generator) filling memory.
      if (size > limits.maxBytes) throw usage(where, `larger than ${limits.maxBytes} bytes`);
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof ClientError) throw err;
    throw usage(where, `cannot be read: ${(err as Error).message}`);
  } finally {
    if (source !== '-') (stream as ReturnType<typeof createReadStream>).destroy();
  }
  return parseFileList(Buffer.concat(chunks, size), where, limits);
}
