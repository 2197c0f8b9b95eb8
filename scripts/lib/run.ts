import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Repository root, from this file's place in scripts/lib. */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Entry points of the four programs, run with this very Node (24). */
export const BIN = {
  pki: path.join(ROOT, 'pki/src/main.ts'),
  bridge: path.join(ROOT, 'packages/bridge/src/main.ts'),
  server: path.join(ROOT, 'packages/server/src/main.ts'),
  client: path.join(ROOT, 'packages/client/src/main.ts'),
} as const;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, capturing its output. Never throws on a non-zero exit. */
export function run(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file === 'node' ? process.execPath : file, args, {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs one of our programs with this Node. */
export function runNode(entry: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  return run('node', [entry, ...args], opts);
}

export interface Daemon {
  child: ChildProcess;
  /** Every log line (stdout and stderr) so far. */
  lines: string[];
  /** Resolves with the first parsed JSON log line that satisfies `pred`. */
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>;
}

/** Calls `fn` with each complete line `stream` produces (without its newline). */
export function onLines(stream: NodeJS.ReadableStream | null | undefined, fn: (line: string) => void): void {
  let buf = '';
  stream?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      fn(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

/**
 * Starts a long-running program and follows its JSON log lines: `entry` run by this Node,
 * or by `interpreter` (e.g. /bin/sh for an installed launcher script).
 */
export function startDaemon(entry: string, args: string[], env: NodeJS.ProcessEnv = process.env, interpreter: string = process.execPath): Daemon {
  const child = spawn(interpreter, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<{ pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }>();
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const onLine = (line: string): void => {
    lines.push(line);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const w of waiters) {
      if (w.pred(parsed)) {
        waiters.delete(w);
        w.resolve(parsed);
      }
    }
  };
  for (const stream of [child.stdout, child.stderr]) onLines(stream, onLine);
  return {
    child,
    lines,
    waitFor(pred, timeoutMs = 30_000) {
      for (const l of lines) {
        try {
          const parsed = JSON.parse(l) as Record<string, unknown>;
          if (pred(parsed)) return Promise.resolve(parsed);
        } catch {
          /* not JSON */
        }
      }
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (l: Record<string, unknown>) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.add(w);
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${path.basename(path.dirname(path.dirname(entry)))}: expected log line not seen within ${timeoutMs} ms; last lines:\n${lines.slice(-10).join('\n')}`));
        }, timeoutMs);
        exitedPromise.then(() => {
          if (waiters.has(w)) {
            clearTimeout(timer);
            waiters.delete(w);
            reject(new Error(`process exited (code ${child.exitCode}) before the expected log line; last lines:\n${lines.slice(-10).join('\n')}`));
          }
        });
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
