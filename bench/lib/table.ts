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
  readonly rcodes: Readonly<Record<string, number>>;
  /** The run answered more unique names than the file held: the tail was served from cache. */
  readonly wrapped: boolean;
}

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
    'vs unbound',
    'vs dnsdist',
    'vs dns2',
  ];
  const rows: string[][] = [header];
  const ratio = (value: number | null | undefined): string => (value == null ? '-' : `${value.toFixed(2)}x`);
  for (const workload of workloads) {
    let first = true;
    for (const server of servers) {
      const r = results.find((x) => x.server === server && x.workload === workload);
      if (!r) continue;
      const wl = ratios[workload];
      const isDnsward = server === 'dnsward';
      rows.push([
        first ? WORKLOAD_LABELS[workload] : '',
        server,
        Math.round(r.qps).toString(),
        r.avgMs.toFixed(3),
        r.p99Ms === null ? '-' : r.p99Ms.toFixed(3),
        r.lost.toString() + (r.wrapped ? '*' : ''),
        r.cpuPercent.toFixed(0),
        isDnsward ? ratio(wl?.unbound) : '',
        isDnsward ? ratio(wl?.dnsdist) : '',
        isDnsward ? ratio(wl?.dns2) : '',
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
    'CPU % = server user+system time / wall time (100 = one core), from /proc/PID/stat;',
    'vs X = dnsward q/s / X q/s in the same run.',
  ];
  if (results.some((r) => r.wrapped))
    notes.push('* the unique-name file wrapped around: the tail was cached');
  return [...text, '', ...notes].join('\n');
}
