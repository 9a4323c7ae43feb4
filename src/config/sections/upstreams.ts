// upstreams: where allowed queries go; per-zone forward rules (conditional forwarding) and a default.
import { z } from 'zod';
import { hostPort } from './common.js';

const zoneName = z
  .string()
  .min(1)
  .transform((zone) => zone.toLowerCase().replace(/\.$/, ''))
  .refine((zone) => zone === '' || /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(zone), 'expected a DNS zone name');

export const upstreamsSection = z
  .object({
    default: z
      .array(hostPort(53))
      .default([])
      .describe('default upstream resolvers; empty = the nameservers of /etc/resolv.conf'),
    forward: z
      .array(
        z
          .object({ zone: zoneName, servers: z.array(hostPort(53)).min(1) })
          .strict()
          .describe('conditional forwarding'),
      )
      .default([])
      .describe('names at or below `zone` go to `servers` (longest zone wins)'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(2000)
      .describe('per-attempt timeout before the next upstream'),
    tcpTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(4000)
      .describe('timeout for a TCP retry after a truncated answer'),
  })
  .strict()
  .default({});
