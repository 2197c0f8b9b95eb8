import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signData } from '../../../packages/client/src/commands/sign-data.ts';
import type { SessionKeeper } from '../../../packages/client/src/session-keeper.ts';
import { codeOfAsync } from '../../helpers/error-code.ts';

/** A keeper that must never be reached: the input is refused before any session. */
const noSession = {
  get: () => Promise.reject(new Error('test: signData asked for a session')),
  invalidate: () => undefined,
} as unknown as SessionKeeper;

const retry = { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 };

describe('sign-data input', () => {
  let dir: string;
  let writer: ChildProcess | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-'));
  });
  afterEach(() => {
    writer?.kill('SIGKILL');
    writer = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a FIFO (fstat size 0) instead of signing empty data, and writes nothing', async () => {
    const fifo = path.join(dir, 'repomd.xml');
    execFileSync('mkfifo', [fifo]);
    // A writer that opens and closes the FIFO: without the check, a reader would get EOF at
    // once and sign empty data (here: ask the keeper for a session, which fails the test).
    writer = spawn('sh', ['-c', ': > "$0"', fifo], { stdio: 'ignore' });
    const output = path.join(dir, 'repomd.xml.asc');
    const code = await codeOfAsync(signData(noSession, { input: fifo, output, armor: true, maxDataBytes: 1024, retry }));
    expect(code).toBe('USAGE');
    expect(fs.existsSync(output)).toBe(false);
  });

  it('refuses a file whose content is not its reported size (a /proc file reports 0 bytes) instead of signing empty data', async () => {
    const output = path.join(dir, 'cpuinfo.asc');
    const code = await codeOfAsync(signData(noSession, { input: '/proc/cpuinfo', output, armor: false, maxDataBytes: 1024 * 1024, retry }));
    expect(code).toBe('INPUT_CHANGED');
    expect(fs.existsSync(output)).toBe(false);
  });

  it('refuses a character device such as /dev/zero', async () => {
    const output = path.join(dir, 'zero.asc');
    const code = await codeOfAsync(signData(noSession, { input: '/dev/zero', output, armor: false, maxDataBytes: 1024, retry }));
    expect(code).toBe('USAGE');
    expect(fs.existsSync(output)).toBe(false);
  });
});
