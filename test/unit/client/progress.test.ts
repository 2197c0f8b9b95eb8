import { describe, expect, it } from 'vitest';
import { emptyCounts, ProgressBar, renderProgress } from '../../../packages/client/src/commands/progress.ts';

describe('renderProgress', () => {
  it('shows counts, rate over packages that needed work, and the ETA of the rest', () => {
    // 200 packages, 20 already done (planned skips): 180 to work; 90 worked in 30 s → 3/s, 90 left → 0:30.
    const c = { ...emptyCounts(200, 180), signed: 85, written: 3, skipped: 20, failed: 2 };
    const line = renderProgress('f40', c, 30_000, 120);
    expect(line).toContain('110/200');
    expect(line).toContain('signed 85  written 3  skipped 20  failed 2');
    expect(line).toContain('3.0/s');
    expect(line).toContain('ETA 0:30');
    expect(line).toMatch(/\[#{16}-{14}\]/); // 110/200 of 30 columns
  });

  it('has no rate or ETA before the first package that needed work; ETA 0:00 when only skips remain', () => {
    expect(renderProgress('t', { ...emptyCounts(10, 10), skipped: 0 }, 5_000)).toContain('--/s  ETA --:--');
    expect(renderProgress('t', { ...emptyCounts(10, 2), signed: 2, skipped: 3 }, 1_000)).toContain('ETA 0:00');
  });

  it('formats hours and fits the terminal width, dropping the bar first', () => {
    const c = { ...emptyCounts(100_000, 100_000), signed: 1 };
    expect(renderProgress('big-tag', c, 1_000)).toContain('ETA 27:46:39');
    const narrow = renderProgress('big-tag', c, 1_000, 60);
    expect(narrow.length).toBeLessThanOrEqual(60);
    expect(narrow).not.toContain('[');
  });
});

describe('ProgressBar', () => {
  it('redraws in place at most once per interval, prints lines above the bar, ends on a new line', () => {
    let now = 0;
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s) => out.push(s) > 0, columns: 120 }, 'tag', emptyCounts(3, 3), { now: () => now, intervalMs: 100 });
    expect(out).toHaveLength(1);
    now = 50;
    bar.add('signed'); // within the interval: not drawn
    expect(out).toHaveLength(1);
    now = 200;
    bar.add('failed');
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/^\r\x1b\[2Ktag \[.*\] 2\/3 .*failed 1/);
    bar.log('signet: x: SOMETHING: went wrong');
    expect(out.slice(2)).toEqual(['\r\x1b[2K', 'signet: x: SOMETHING: went wrong\n', expect.stringMatching(/^\r\x1b\[2Ktag .* 2\/3/)]);
    now = 220;
    bar.add('signed');
    bar.finish();
    expect(out.at(-2)).toContain('3/3');
    expect(out.at(-1)).toBe('\n');
  });
});
