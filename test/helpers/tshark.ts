// Runs tshark on a capture and returns its -T fields rows: the reference the pcap reader is tested against.
import { execFileSync } from 'node:child_process';

export const TSHARK = '/usr/bin/tshark';
/** Joins repeated values of one field within a frame (several DNS messages in one TCP segment). */
export const AGGREGATOR = '\u0001';

export interface TsharkOptions {
  /** Display filter, e.g. "dns". */
  readonly filter: string;
  readonly fields: readonly string[];
  /** Extra "decode as" rules, e.g. ["udp.port==5300,dns"]. */
  readonly decodeAs?: readonly string[];
  /** Preferences, e.g. ["tcp.reassemble_out_of_order:TRUE"]. */
  readonly prefs?: readonly string[];
  readonly timeoutMs?: number;
}

/** One row per displayed frame; each cell lists the field's values in order (empty when absent). */
export function tsharkFields(file: string, options: TsharkOptions): string[][][] {
  const args = ['-n', '-r', file, '-Y', options.filter, '-T', 'fields', '-E', 'separator=\t'];
  args.push('-E', 'occurrence=a', '-E', `aggregator=${AGGREGATOR}`);
  for (const rule of options.decodeAs ?? []) args.push('-d', rule);
  for (const pref of options.prefs ?? []) args.push('-o', pref);
  for (const field of options.fields) args.push('-e', field);
  const output = execFileSync(TSHARK, args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 512 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t').map((cell) => (cell === '' ? [] : cell.split(AGGREGATOR))));
}

/** tshark's frame.time_epoch ("1282356640.060002000") as integer microseconds, rounded. */
export function epochToMicros(text: string): number {
  const [seconds = '0', fraction = ''] = text.split('.');
  const nanos = Number(fraction.padEnd(9, '0').slice(0, 9));
  return Number(seconds) * 1_000_000 + Math.round(nanos / 1000);
}
