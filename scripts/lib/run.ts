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

/** Awaits `p` and throws, with the program's output, unless it exited 0. */
export async function must(what: string, p: Promise<RunResult>): Promise<RunResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

/** Runs one of our programs with this Node. */
export function runNode(entry: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  return run('node', [entry, ...args], opts);
}

export type LogLine = Record<string, unknown>;

export interface Daemon {
  child: ChildProcess;
  /** Name used in error messages. */
  label: string;
  /** Every output line (stdout and stderr) so far, up to `maxLines`. */
  lines: string[];
  /** Every JSON object among `lines`, parsed, in order. */
  events: LogLine[];
  /**
   * Resolves with the first parsed JSON log line (already seen or to come) that satisfies
   * `pred`; rejects after `timeoutMs` or when the process exits first. `what` names the
   * line in the error message.
   */
  waitFor(pred: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** The last `n` output lines, for error messages. */
  tail(n?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs` (default the start option); resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, without waiting (for synchronous cleanup on a signal). */
  killNow(): void;
}

export interface DaemonOptions {
  /** Name in error messages; default the program's directory (`bridge`, `server`, …). */
  label?: string;
  /** Output lines kept at most; later lines are dropped (bounds a long run's memory). Default unbounded. */
  maxLines?: number;
  /** Default grace between SIGTERM and SIGKILL in `stop()`. Default 5 s. */
  stopGraceMs?: number;
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
 * or by `interpreter`: a program (e.g. /bin/sh for an installed launcher script), or a
 * program with its first arguments (e.g. `['ip', 'netns', 'exec', ns, process.execPath]`).
 */
export function startDaemon(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  interpreter: string | readonly string[] = process.execPath,
  opts: DaemonOptions = {},
): Daemon {
  const [file = process.execPath, ...lead] = typeof interpreter === 'string' ? [interpreter] : interpreter;
  const child = spawn(file, [...lead, entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const label = opts.label ?? path.basename(path.dirname(path.dirname(entry)));
  const maxLines = opts.maxLines ?? Number.POSITIVE_INFINITY;
  const lines: string[] = [];
  const events: LogLine[] = [];
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let exited = child.exitCode !== null;
  let spawnError: Error | undefined;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    // A program that cannot be started (ENOENT, EACCES) never exits: count it as gone.
    child.once('error', (err) => {
      spawnError = err;
      exited = true;
      resolve();
    });
  });
  const onLine = (line: string): void => {
    if (lines.length >= maxLines) return;
    lines.push(line);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (parsed === null || typeof parsed !== 'object') return;
    const event = parsed as LogLine;
    events.push(event);
    for (const w of waiters) {
      if (w.pred(event)) {
        waiters.delete(w);
        w.resolve(event);
      }
    }
  };
  for (const stream of [child.stdout, child.stderr]) onLines(stream, onLine);
  const tail = (n = 15): string => lines.slice(-n).join('\n');
  return {
    child,
    label,
    lines,
    events,
    waitFor(pred, timeoutMs = 30_000, what = 'the expected log line') {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = {
          pred,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${label}: ${what} not seen within ${timeoutMs} ms; last lines:\n${tail()}`));
        }, timeoutMs);
        waiters.add(w);
        void gone.then(() => {
          if (!waiters.delete(w)) return;
          clearTimeout(timer);
          const why = spawnError ? `could not start (${spawnError.message})` : `exited (code ${child.exitCode}, signal ${child.signalCode})`;
          reject(new Error(`${label} ${why} before ${what}; last lines:\n${tail()}`));
        });
      });
    },
    tail,
    async stop(graceMs = opts.stopGraceMs ?? 5_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
    killNow() {
      if (!exited) child.kill('SIGKILL');
    },
  };
}
