// Shared commander option parsers.
import { InvalidArgumentError } from 'commander';
import { parseDurationMs } from '../config/duration.js';
import { DnswardError } from '../errors.js';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseMode(value: string): 'enforce' | 'audit' {
  if (value === 'enforce' || value === 'audit') return value;
  throw new InvalidArgumentError('expected "enforce" or "audit"');
}

/**
 * A time option: a duration ("30m", "7d") counted back from `now` (direction -1, e.g. --since) or forward
 * (+1, e.g. --until for a mute), or an ISO 8601 time. Bad input is a usage error naming the flag.
 */
export function parseTime(flag: string, text: string, now: number, direction: -1 | 1 = -1): number {
  const duration = parseDurationMs(text);
  if (duration !== null) return now + direction * duration;
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new DnswardError(
      'DNSWARD_ERR_USAGE',
      `${flag}: expected a duration (30m, 2h, 7d) or an ISO 8601 time, got "${text}"`,
    );
  }
  return time;
}

/** A positive whole count (`--limit`): digits only, at least 1, at most `max`; anything else is a usage error. */
export function parseCount(flag: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new DnswardError(
      'DNSWARD_ERR_USAGE',
      `${flag}: expected a whole number from 1 to ${max}, got "${text}"`,
    );
  return Number(text);
}
