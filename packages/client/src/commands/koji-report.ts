import type { MoveResult } from '../koji/move.ts';
import type { KojiCliIo } from './koji-cli.ts';
import { emptyCounts, ProgressBar } from './progress.ts';
import type { ProgressStream } from './progress.ts';
import { outcomeOf } from './sign-tag.ts';
import type { KojiRpmResult, KojiRunSummary } from './sign-tag.ts';

/**
 * What sign-tag and sign-build tell people and machines. With `--json`, or when stdout is
 * not a terminal: one JSON line per package and per move, then a summary line. On a
 * terminal: a progress bar on stderr (when stderr is one too) with failures and retries
 * printed above it, then a one-line summary on stdout. Failures always reach stderr.
 */

export type KojiRunReport = KojiRunSummary & {
  sigkey: string;
  interrupted: boolean;
  notStarted: number;
  movedTo?: string;
  moved?: number;
  moveFailed?: number;
};

export class KojiReporter {
  readonly json: boolean;
  private readonly io: KojiCliIo;
  private readonly bar: ProgressBar | undefined;

  /** `toWork`: packages planned to sign or write (the bar's rate and ETA count only those). */
  constructor(io: KojiCliIo, forceJson: boolean, label: string, total: number, toWork: number) {
    this.io = io;
    this.json = forceJson || io.stdout.isTTY !== true;
    this.bar = !this.json && io.stderr.isTTY === true ? new ProgressBar(io.stderr as ProgressStream, label, emptyCounts(total, toWork)) : undefined;
  }

  /** A line for the person at the terminal (above the bar when there is one). */
  warn(line: string): void {
    if (this.bar !== undefined) this.bar.log(line);
    else this.io.stderr.write(`${line}\n`);
  }

  rpm(r: KojiRpmResult): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(r)}\n`);
    if (!r.ok) this.warn(`signet: ${r.rpm}: ${r.code}: ${r.message}`);
    this.bar?.add(outcomeOf(r));
  }

  /** Ends the bar; call before anything else is printed after the packages. */
  packagesDone(): void {
    this.bar?.finish();
  }

  move(m: MoveResult): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(m)}\n`);
    if (!m.ok) this.io.stderr.write(`signet: ${m.build}: move to ${m.movedTo} failed: ${m.code}: ${m.message}\n`);
  }

  summary(s: KojiRunReport): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(s)}\n`);
    else {
      const would = s.dryRun;
      const moved = s.movedTo === undefined ? '' : `; ${would ? 'would move' : 'moved'} ${s.moved ?? 0} builds to ${s.movedTo}${(s.moveFailed ?? 0) > 0 ? ` (${s.moveFailed} failed)` : ''}`;
      this.io.stdout.write(`${would ? 'dry run: would sign' : 'signed'} ${s.signed}, ${would ? 'would write' : 'wrote'} ${s.written}, skipped ${s.skipped}, failed ${s.failed} of ${s.total} (sigkey ${s.sigkey})${moved}\n`);
    }
    if (s.failed > 0) this.io.stderr.write(`signet: ${s.failed} of ${s.total} packages failed\n`);
    if (s.interrupted) this.io.stderr.write(`signet: interrupted; ${s.notStarted} packages not started (run again to finish)\n`);
  }
}
