/**
 * The progress bar `sign-tag` and `sign-build` draw on a terminal: counts, rate and ETA.
 * `renderProgress` is pure (counts and a clock in, one line out); `ProgressBar` redraws it
 * in place on a TTY stream at most every `intervalMs`, and prints other lines (failures)
 * above it.
 */

export interface ProgressCounts {
  /** Packages in the run. */
  readonly total: number;
  /** Packages that need work (to sign or to write), known from the plan. */
  readonly toWork: number;
  readonly signed: number;
  readonly written: number;
  readonly skipped: number;
  readonly failed: number;
}

export const emptyCounts = (total: number, toWork: number): ProgressCounts => ({ total, toWork, signed: 0, written: 0, skipped: 0, failed: 0 });

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * One line: `label [#####-----] done/total  signed s  written w  skipped k  failed f  r/s  ETA m:ss`.
 * Rate and ETA count only packages that needed work (skips finish instantly and would make
 * the ETA lie); before the first one finishes the rate is unknown (`--/s`, ETA `--:--`).
 */
export function renderProgress(label: string, c: ProgressCounts, elapsedMs: number, columns = 100): string {
  const done = c.signed + c.written + c.skipped + c.failed;
  // Finished packages that needed work: a planned skip never fails, signing or writing never skips.
  const worked = c.signed + c.written + c.failed;
  const rate = elapsedMs > 0 && worked > 0 ? worked / (elapsedMs / 1000) : undefined;
  const eta = worked >= c.toWork ? 0 : rate === undefined ? Number.NaN : (c.toWork - worked) / rate;
  const tail = `${done}/${c.total}  signed ${c.signed}  written ${c.written}  skipped ${c.skipped}  failed ${c.failed}  ${rate === undefined ? '--' : rate.toFixed(rate >= 100 ? 0 : 1)}/s  ETA ${clock(eta)}`;
  const barWidth = Math.max(0, Math.min(30, columns - label.length - tail.length - 5));
  const filled = c.total === 0 ? barWidth : Math.floor((barWidth * done) / c.total);
  const bar = barWidth >= 5 ? ` [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]` : '';
  const line = `${label}${bar} ${tail}`;
  return line.length > columns ? line.slice(0, Math.max(0, columns - 1)) : line;
}

export interface ProgressStream {
  write(s: string): boolean;
  readonly columns?: number;
}

export class ProgressBar {
  private counts: ProgressCounts;
  private readonly started: number;
  private lastDraw = 0;
  private drawn = false;
  private readonly stream: ProgressStream;
  private readonly label: string;
  private readonly now: () => number;
  private readonly intervalMs: number;

  constructor(stream: ProgressStream, label: string, counts: ProgressCounts, opts: { now?: () => number; intervalMs?: number } = {}) {
    this.stream = stream;
    this.label = label;
    this.counts = counts;
    this.now = opts.now ?? Date.now;
    this.intervalMs = opts.intervalMs ?? 100;
    this.started = this.now();
    this.draw(true);
  }

  /** Adds one finished package; redraws when the interval has passed. */
  add(kind: 'signed' | 'written' | 'skipped' | 'failed'): void {
    this.counts = { ...this.counts, [kind]: this.counts[kind] + 1 };
    this.draw(false);
  }

  /** Prints `line` above the bar (which is redrawn under it). */
  log(line: string): void {
    this.clear();
    this.stream.write(line.endsWith('\n') ? line : `${line}\n`);
    this.draw(true);
  }

  /** Draws the final state and leaves the cursor on a new line. */
  finish(): void {
    this.draw(true);
    this.stream.write('\n');
    this.drawn = false;
  }

  private clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(force: boolean): void {
    const t = this.now();
    if (!force && t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    // A terminal without a size (columns 0, e.g. a bare pty) gets a default width.
    const columns = this.stream.columns !== undefined && this.stream.columns >= 20 ? this.stream.columns : 100;
    this.stream.write(`\r\x1b[2K${renderProgress(this.label, this.counts, t - this.started, columns)}`);
    this.drawn = true;
  }
}
