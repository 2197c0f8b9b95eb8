/**
 * `sign-rpm --files-from`: the list is bounded and parsed before any package is touched;
 * anything that is not one UTF-8 path per line is refused with USAGE, never reinterpreted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFileList, readFileList } from '../../../packages/client/src/file-list.ts';
import { codeOf, codeOfAsync } from '../../helpers/error-code.ts';

const LIMITS = { maxBytes: 1000, maxEntries: 3, maxPathBytes: 20 };
const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('parseFileList', () => {
  it('reads one path per line, skipping empty lines, keeping every other byte', () => {
    expect(parseFileList(b('a.rpm\n\n dir/b c.rpm\nd.rpm'), 'x')).toEqual(['a.rpm', ' dir/b c.rpm', 'd.rpm']);
    expect(parseFileList(b('é/ü.rpm\n'), 'x')).toEqual(['é/ü.rpm']);
    expect(parseFileList(b(''), 'x')).toEqual([]);
  });

  it('refuses a NUL byte, naming its line', () => {
    expect(() => parseFileList(b('a\nb\nc\0d'), 'x')).toThrow(/line 3 contains a NUL byte/);
    expect(codeOf(() => parseFileList(b('\0'), 'x'))).toBe('USAGE');
  });

  it('refuses invalid UTF-8 instead of turning it into another path', () => {
    expect(() => parseFileList(Buffer.from([0x61, 0xff, 0x0a]), 'x')).toThrow(/not valid UTF-8/);
  });

  it('bounds each path, the number of paths and the size', () => {
    expect(() => parseFileList(b(`ok\n${'p'.repeat(21)}\n`), 'x', LIMITS)).toThrow(/line 2 is longer than 20 bytes/);
    expect(parseFileList(b('a\nb\nc\n'), 'x', LIMITS)).toHaveLength(3);
    expect(() => parseFileList(b('a\nb\nc\nd\n'), 'x', LIMITS)).toThrow(/more than 3 paths/);
    expect(() => parseFileList(Buffer.alloc(1001, 0x61), 'x', LIMITS)).toThrow(/larger than 1000 bytes/);
  });
});

describe('readFileList', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'signet-list-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, a pipe, and standard input ("-")', async () => {
    const file = path.join(dir, 'list');
    writeFileSync(file, 'x.rpm\ny.rpm\n');
    expect(await readFileList(file, Readable.from([]))).toEqual(['x.rpm', 'y.rpm']);
    expect(await readFileList('-', Readable.from([b('p/'), b('q.rpm\nr'), b('.rpm')]))).toEqual(['p/q.rpm', 'r.rpm']);
    // A pipe, as `--files-from <(find …)` gives: /dev/fd/N of a child's stdout.
    const child = spawn('printf', ['a.rpm\\nb.rpm\\n'], { stdio: ['ignore', 'pipe', 'ignore'] });
    expect(await readFileList('-', child.stdout)).toEqual(['a.rpm', 'b.rpm']);
  });

  it('stops reading an endless source at the bound', async () => {
    expect(await codeOfAsync(readFileList('/dev/zero', Readable.from([]), LIMITS))).toBe('USAGE');
    await expect(readFileList('/dev/zero', Readable.from([]), LIMITS)).rejects.toThrow(/--files-from \/dev\/zero: larger than 1000 bytes/);
  });

  it('says which list cannot be read', async () => {
    await expect(readFileList(path.join(dir, 'missing'), Readable.from([]))).rejects.toThrow(/--files-from .*missing: cannot be read/);
    await expect(readFileList(dir, Readable.from([]))).rejects.toThrow(/cannot be read/);
  });
});
