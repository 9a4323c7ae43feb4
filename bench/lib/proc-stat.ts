// CPU time and memory of a process from /proc (all threads of the process together).
import { readFileSync } from 'node:fs';

/** Clock ticks per second (sysconf(_SC_CLK_TCK)); 100 on every Linux we run on. */
const CLOCK_TICKS = 100;

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name (which may contain spaces), counted from field 3
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS;
}

/** Cumulative steal and total ticks of one CPU ("cpu0") or of all of them ("cpu"), from /proc/stat. */
function cpuTicks(cpu: string): { steal: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${cpu} `));
  const values = (line ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: values[7] ?? 0, total: values.reduce((sum, v) => sum + v, 0) };
}

/**
 * The share of `cpu`'s time the hypervisor gave to other guests (steal) over `work`, in percent: a run with a
 * high figure measured a machine that was not there, whatever the server did.
 */
export async function withSteal<T>(
  cpu: string,
  work: () => Promise<T>,
): Promise<{ result: T; stealPercent: number }> {
  const before = cpuTicks(cpu);
  const result = await work();
  const after = cpuTicks(cpu);
  const total = after.total - before.total;
  return { result, stealPercent: total > 0 ? ((after.steal - before.steal) / total) * 100 : 0 };
}

export interface Memory {
  readonly rssMiB: number;
  readonly peakRssMiB: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

/** Measures the CPU share of `pid` (100 = one core) over `work`. */
export async function withCpu<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpuPercent: number }> {
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const result = await work();
  const wall = (performance.now() - started) / 1000;
  return { result, cpuPercent: ((cpuSeconds(pid) - cpuBefore) / wall) * 100 };
}
