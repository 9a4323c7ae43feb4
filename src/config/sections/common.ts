// Shared zod pieces for config sections.
import { z } from 'zod';
import { parseDurationMs } from '../duration.js';
import { parseHostPort, type HostPort } from '../host-port.js';

/** "addr:port" (IPv6 as "[addr]:port"); a bare address takes `defaultPort`. */
export function hostPort(defaultPort: number): z.ZodType<HostPort, z.ZodTypeDef, string> {
  return z.string().transform((text, ctx) => {
    const parsed = parseHostPort(text, defaultPort);
    if (parsed) return parsed;
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `expected an IP address with optional :port, got "${text}"`,
    });
    return z.NEVER;
  });
}

/** Milliseconds, or a string with a unit: "500ms", "30s", "10m", "2h", "1d". */
export const duration = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const ms = parseDurationMs(value);
  if (ms !== null) return ms;
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message: `expected a duration such as "30s", "10m" or milliseconds, got "${value}"`,
  });
  return z.NEVER;
});
