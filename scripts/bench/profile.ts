/**
 * Summarises V8 CPU profiles (.cpuprofile, from `node --cpu-prof`) of the benchmark's
 * processes: self and inclusive time of the top frames, and self time by area (which
 * package or part of Node the code belongs to).
 *
 *   node scripts/bench/profile.ts DIR_OR_FILE... [--top N]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FrameTime {
  frame: string;
  area: string;
  selfMs: number;
  totalMs: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  /** Sampled time not idle (JS, GC, native code on the main thread), ms. */
  busyMs: number;
  frames: FrameTime[];
  areas: { area: string; selfMs: number }[];
  /** Frames by inclusive time (own code and everything it called). */
  inclusive: { frame: string; totalMs: number }[];
}

/** Which part of the system a frame belongs to, from its script URL. */
export function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : 'native/builtin';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return pkg;
  const ours = /packages\/([^/]+)\/src\//.exec(url)?.[1];
  if (ours !== undefined) return `@signet/${ours}`;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/');
  return path.basename(url);
}

function frameName(frame: CallFrame): string {
  const where = frame.url === '' ? '' : ` ${frame.url.replace(/^.*\/(node_modules|packages)\//, '').replace(/^file:\/\//, '')}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, { area: string; ms: number }>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (node === undefined) return;
    const name = frameName(node.callFrame);
    const area = areaOf(node.callFrame);
    if (node.callFrame.functionName !== '(idle)') busy += ms;
    const s = self.get(name) ?? { area, ms: 0 };
    s.ms += ms;
    self.set(name, s);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    // Inclusive time: once per distinct frame on the stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n === undefined) break;
      const key = frameName(n.callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + ms);
    }
  });
  const frames = [...self.entries()]
    .filter(([name]) => !name.startsWith('(idle)'))
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([frame, s]) => ({ frame, area: s.area, selfMs: s.ms, totalMs: total.get(frame) ?? s.ms }));
  return {
    file,
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busy,
    frames,
    areas: [...areas.entries()].map(([area, selfMs]) => ({ area, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
    inclusive: [...total.entries()]
      .filter(([frame]) => !frame.startsWith('(root)') && !frame.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, totalMs]) => ({ frame, totalMs })),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const pct = (ms: number): string => `${((100 * ms) / Math.max(1, s.busyMs)).toFixed(1).padStart(5)}%`;
  const lines = [`${s.file}: wall ${(s.wallMs / 1000).toFixed(2)} s, main thread busy ${(s.busyMs / 1000).toFixed(2)} s (${((100 * s.busyMs) / Math.max(1, s.wallMs)).toFixed(0)}%)`];
  lines.push('  self time by area (% of busy):');
  for (const a of s.areas.filter((x) => x.area !== '(idle)').slice(0, 10)) lines.push(`    ${pct(a.selfMs)}  ${a.area}`);
  lines.push('  top frames by self time (self %, inclusive %):');
  for (const f of s.frames) lines.push(`    ${pct(f.selfMs)} ${pct(f.totalMs)}  ${f.frame}`);
  lines.push('  top frames by inclusive time (% of busy):');
  for (const f of s.inclusive) lines.push(`    ${pct(f.totalMs)}  ${f.frame}`);
  return lines.join('\n');
}

function profileFiles(target: string): string[] {
  if (statSync(target).isDirectory()) {
    return readdirSync(target, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(target, f))
      .sort();
  }
  return [target];
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '15' } }, allowPositionals: true });
  for (const target of positionals) for (const f of profileFiles(target)) process.stdout.write(`${formatSummary(summarizeProfile(f, Number(values.top)))}\n\n`);
}
