import type { ChildProcess } from 'node:child_process';
import { spawnInNamespace } from '../helpers/netns.ts';
import { onLines } from '../../scripts/lib/run.ts';

export type LogLine = Record<string, unknown>;

/**
 * One of our programs running inside a network namespace, its pino JSON log followed
 * line by line. `mark()` and `count()` let a test count events inside a time window.
 */
export interface NsDaemon {
  readonly label: string;
  readonly child: ChildProcess;
  /** Every parsed JSON log line so far, in order. */
  readonly events: LogLine[];
  /** Every raw output line so far (for failure reports). */
  readonly raw: string[];
  /** Resolves with the first line (already seen or to come) satisfying `pred`. */
  waitFor(pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** Position in `events` now; pass it to `count` to count only later lines. */
  mark(): number;
  /** Lines since `from` whose `event` is `name`. */
  count(name: string, from?: number): number;
  /** The last `n` raw lines, for error messages. */
  tail(n?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, without waiting (for synchronous cleanup on a signal). */
  killNow(): void;
}

const MAX_LINES = 100_000;

export function startNsDaemon(label: string, ns: string, entry: string, args: string[]): NsDaemon {
  const child = spawnInNamespace(ns, process.execPath, [entry, ...args]);
  const events: LogLine[] = [];
  const raw: string[] = [];
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let exited = child.exitCode !== null;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const onLine = (line: string): void => {
    if (raw.length >= MAX_LINES) return;
    raw.push(line);
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    if (parsed === null || typeof parsed !== 'object') return;
    events.push(parsed);
    for (const w of waiters) {
      if (w.pred(parsed)) {
        waiters.delete(w);
        w.resolve(parsed);
      }
    }
  };
  for (const stream of [child.stdout, child.stderr]) onLines(stream, onLine);
  const tail = (n = 15): string => raw.slice(-n).join('\n');
  return {
    label,
    child,
    events,
    raw,
    waitFor(pred, timeoutMs, what) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (l: LogLine) => (clearTimeout(timer), resolve(l)) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${label}: ${what} not seen within ${timeoutMs} ms; last lines:\n${tail()}`));
        }, timeoutMs);
        waiters.add(w);
        void gone.then(() => {
          if (!waiters.delete(w)) return;
          clearTimeout(timer);
          reject(new Error(`${label} exited (code ${child.exitCode}, signal ${child.signalCode}) before ${what}; last lines:\n${tail()}`));
        });
      });
    },
    mark: () => events.length,
    count: (name, from = 0) => events.slice(from).filter((l) => l['event'] === name).length,
    tail,
    async stop(graceMs = 3_000) {
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
