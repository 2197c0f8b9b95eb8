import { startDaemon, type Daemon, type LogLine } from '../../scripts/lib/run.ts';

export type { LogLine };

/**
 * One of our programs running inside a network namespace (`ip netns exec NS node …`; ip
 * execs, so the pid is the program's), its pino JSON log followed line by line by
 * `startDaemon`. `mark()` and `count()` let a test count events inside a time window.
 */
export interface NsDaemon extends Daemon {
  /** Position in `events` now; pass it to `count` to count only later lines. */
  mark(): number;
  /** Lines since `from` whose `event` is `name`. */
  count(name: string, from?: number): number;
}

/** Bounds the memory of a process that logs every debug event for minutes. */
const MAX_LINES = 100_000;

export function startNsDaemon(label: string, ns: string, entry: string, args: string[]): NsDaemon {
  const d = startDaemon(entry, args, process.env, ['ip', 'netns', 'exec', ns, process.execPath], { label, maxLines: MAX_LINES, stopGraceMs: 3_000 });
  return Object.assign(d, {
    mark: () => d.events.length,
    count: (name: string, from = 0) => d.events.slice(from).filter((l) => l['event'] === name).length,
  });
}
