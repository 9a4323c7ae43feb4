// The benchmark's one table: per workload, every server's rate, latency, losses and CPU, then the ratios.
import { WORKLOAD_LABELS, type Workload } from './zone.js';

/** One server's run of one workload (`server` is the bench's server name). */
export interface WorkloadResult<Server extends string = string> {
  readonly server: Server;
  readonly workload: Workload;
  readonly qps: number;
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly avgMs: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly p999Ms: number | null;
  readonly maxMs: number;
  readonly cpuPercent: number;
  /** Steal time of the server's CPU during the run (all CPUs when unpinned), percent of its ticks. */
  readonly stealPercent: number;
  readonly rcodes: Readonly<Record<string, number>>;
  /** The run answered more unique names than the file held: the tail was served from cache. */
  readonly wrapped: boolean;
}

/** The servers dnsward's rate is divided by, one ratio column each. */
export const ANCHORS = ['unbound', 'unbound-log', 'dnsdist', 'dnsdist-log', 'dns2', 'node-echo'] as const;

export function formatTable(
  results: readonly WorkloadResult[],
  ratios: Readonly<Record<string, Readonly<Record<string, number | null>>>>,
  workloads: readonly Workload[],
  servers: readonly string[],
): string {
  const header = [
    'workload',
    'server',
    'q/s',
    'avg ms',
    'p99 ms',
    'lost',
    'CPU %',
    'CPU µs/q',
    'steal %',
    ...ANCHORS.map((anchor) => `vs ${anchor}`),
  ];
  const rows: string[][] = [header];
  const ratio = (value: number | null | undefined): string => (value == null ? '-' : `${value.toFixed(2)}x`);
  for (const workload of workloads) {
    let first = true;
    for (const server of servers) {
      const r = results.find((x) => x.server === server && x.workload === workload);
      if (!r) continue;
      const wl = ratios[`${server} ${workload}`];
      rows.push([
        first ? WORKLOAD_LABELS[workload] : '',
        server,
        Math.round(r.qps).toString(),
        r.avgMs.toFixed(3),
        r.p99Ms === null ? '-' : r.p99Ms.toFixed(3),
        r.lost.toString() + (r.wrapped ? '*' : ''),
        r.cpuPercent.toFixed(0),
        r.qps > 0 ? ((r.cpuPercent / 100) * (1e6 / r.qps)).toFixed(1) : '-',
        r.stealPercent.toFixed(0),
        ...ANCHORS.map((anchor) => (wl ? ratio(wl[anchor]) : '')),
      ]);
      first = false;
    }
  }
  const widths = header.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const numeric = (column: number): boolean => column >= 2;
  const text = rows.map((row) =>
    row
      .map((cell, column) =>
        numeric(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  '),
  );
  text.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const notes = [
    'q/s, avg and lost from dnsperf; p99 from every response latency dnsperf -v printed (1 µs resolution);',
    'CPU % = server user+system time / wall time (100 = one core), from /proc/PID/stat; CPU µs/q = that time per answer;',
    "steal % = the server CPU's ticks the hypervisor gave elsewhere (/proc/stat): runs with a high figure are not comparable;",
    "vs X = this dnsward row's q/s / X q/s in the same run (dnsward = udpEngine auto, dnsward-dgram = dgram);",
    '-log = unbound log-queries+log-replies / dnsdist LogAction+LogResponseAction to a file; node-echo = bare dgram.',
  ];
  if (results.some((r) => r.wrapped))
    notes.push('* the unique-name file wrapped around: the tail was cached');
  return [...text, '', ...notes].join('\n');
}
