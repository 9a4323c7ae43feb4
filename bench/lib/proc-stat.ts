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
export interface CpuTicks {
  readonly steal: number;
  readonly total: number;
}

export function cpuTicks(cpu: string): CpuTicks {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${cpu} `));
  const values = (line ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: values[7] ?? 0, total: values.reduce((sum, v) => sum + v, 0) };
}

/**
 * The share of the CPU's ticks between two readings that the hypervisor gave to other guests, in percent: a run
 * with a high figure measured a machine that was not there, whatever the server did.
 */
export function stealPercent(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? ((after.steal - before.steal) / total) * 100 : 0;
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
