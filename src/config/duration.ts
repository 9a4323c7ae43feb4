// Durations with a unit ("500ms", "30s", "10m", "2h", "7d") -> milliseconds; shared by config and CLI.

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds, or null when `text` is not a duration. */
export function parseDurationMs(text: string): number | null {
  // no trim, no sign, no exponent: a config value is read exactly as written
  const match = /^(\d{1,12}(?:\.\d{1,6})?)(ms|s|m|h|d)$/.exec(text);
  if (!match) return null;
  return Math.round(Number(match[1]) * UNITS[match[2] as keyof typeof UNITS]);
}
