// Reads a V8 .cpuprofile (node --cpu-prof) and ranks functions and files by self and inclusive CPU time.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  /** Microseconds on the monotonic clock (the same as process.hrtime in any process on this machine). */
  readonly startTime: number;
  readonly endTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface Ranked {
  readonly name: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time, 0..1. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly file: string | null;
  /** Only samples inside this [start, end] (µs, monotonic) were counted: the measured run, not startup. */
  readonly windowed: boolean;
  readonly totalMs: number;
  readonly idleMs: number;
  readonly selfByFunction: readonly Ranked[];
  readonly inclusiveByFunction: readonly Ranked[];
  readonly selfByFile: readonly Ranked[];
}

const REPO = join(import.meta.dirname, '..', '..');

function location(url: string): string {
  if (url === '') return '(native)';
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(REPO)) return relative(REPO, path);
  return path.replace(/^node:/, 'node:');
}

function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (url === '') return functionName || '(anonymous)';
  return `${functionName || '(anonymous)'} ${location(url)}:${lineNumber + 1}`;
}

export function summarizeProfile(
  profile: CpuProfile,
  top: number,
  file: string | null = null,
  window?: readonly [number, number],
): ProfileSummary {
  const windowed = window !== undefined && window[0] >= profile.startTime && window[1] <= profile.endTime;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (windowed && (at < window[0] || at > window[1])) return;
    const ms = delta / 1000;
    const node = byId.get(id);
    if (!node) return;
    total += ms;
    if (node.callFrame.functionName === '(idle)') {
      idle += ms;
      return;
    }
    const key = functionKey(node);
    self.set(key, (self.get(key) ?? 0) + ms);
    const where = location(node.callFrame.url);
    files.set(where, (files.get(where) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (!frame) break;
      const name = functionKey(frame);
      if (seen.has(name) || name === '(root)') continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  });
  const busy = Math.max(1e-9, total - idle);
  const rank = (map: Map<string, number>): Ranked[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: ms / busy }));
  return {
    file,
    windowed,
    totalMs: Math.round(total),
    idleMs: Math.round(idle),
    selfByFunction: rank(self),
    inclusiveByFunction: rank(inclusive),
    selfByFile: rank(files),
  };
}

/** Summarizes the (single) .cpuprofile node wrote into `dir`, optionally only the samples in `window`. */
export function summarizeProfileDir(
  dir: string,
  top: number,
  window?: readonly [number, number],
): ProfileSummary {
  const name = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!name) throw new Error(`no .cpuprofile in ${dir}`);
  const file = join(dir, name);
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top, file, window);
}

/** Now on the profiler's clock (µs, monotonic). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Plain-text rendering for the terminal and the report. */
export function formatProfile(title: string, summary: ProfileSummary, rows = 15): string {
  const pct = (share: number): string => `${(share * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `${title}: ${(summary.totalMs / 1000).toFixed(1)} s sampled${summary.windowed ? ' (the measured run only)' : ' (whole process)'}, ${((1 - summary.idleMs / Math.max(1, summary.totalMs)) * 100).toFixed(0)} % busy`,
    '  self time (share of busy):',
    ...summary.selfByFunction.slice(0, rows).map((r) => `    ${pct(r.share)}  ${r.name}`),
    '  inclusive time:',
    ...summary.inclusiveByFunction.slice(0, rows).map((r) => `    ${pct(r.share)}  ${r.name}`),
    '  self time by file:',
    ...summary.selfByFile.slice(0, 10).map((r) => `    ${pct(r.share)}  ${r.name}`),
  ];
  return lines.join('\n');
}
