// Shared zod pieces for config sections.
import { z } from 'zod';
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

export const durationMs = z.number().int().nonnegative();
