// Shared commander option parsers.
import { InvalidArgumentError } from 'commander';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseMode(value: string): 'enforce' | 'audit' {
  if (value === 'enforce' || value === 'audit') return value;
  throw new InvalidArgumentError('expected "enforce" or "audit"');
}

/** "30s", "15m", "2h", "7d" -> milliseconds; null if not a duration. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Number(match[1]) * unit;
}

/** A duration ago ("1h") or an ISO 8601 time -> epoch ms. */
export function parseSince(text: string, now = Date.now()): number {
  const duration = parseDurationMs(text);
  if (duration !== null) return now - duration;
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new InvalidArgumentError('expected a duration (30m, 2h, 7d) or an ISO 8601 time');
  return time;
}
