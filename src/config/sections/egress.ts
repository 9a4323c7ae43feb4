// egress: answers of allowed names open an nftables set; the kernel's connection tracking feeds the connection log.
import { z } from 'zod';
import { parsePrefix } from '../../lib/cidr.js';

const seconds = z.number().int().nonnegative();

const nftablesSection = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'add every A/AAAA address dnsward returns for an allowed name to an nftables set (needs nft)',
      ),
    table: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an nftables table name')
      .default('dnsward')
      .describe('table holding the sets (deploy/nftables/dnsward.nft creates them)'),
    family: z
      .literal('inet')
      .default('inet')
      .describe('table family (only inet: one table for IPv4 and IPv6)'),
    minTtl: seconds
      .default(60)
      .describe(
        'shortest time an address stays in the set, whatever its TTL (a connection made just after the answer is not raced)',
      ),
    maxTtl: seconds.default(3600).describe('longest time an address stays in the set without a new answer'),
    perAgent: z
      .boolean()
      .default(true)
      .describe(
        'key the set by (agent address, destination): an address opens only for the agent that resolved it',
      ),
    batchMs: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe(
        'longest wait before pending set elements go to `nft -f -` in one transaction (elements arriving while one runs form the next)',
      ),
    maxPending: z
      .number()
      .int()
      .positive()
      .default(50_000)
      .describe('set elements held while nft is busy; further ones are dropped and counted'),
  })
  .strict()
  .refine((s) => s.minTtl <= s.maxTtl, { message: 'minTtl must not exceed maxTtl', path: ['minTtl'] })
  .default({});

const conntrackSection = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "log every agent connection from `conntrack -E` (allowed) and the ruleset's drop set (dropped)",
      ),
    sources: z
      .array(
        z.string().refine((text) => parsePrefix(text) !== null, 'expected a CIDR ("10.0.0.0/8", "fd00::/8")'),
      )
      .default([])
      .describe("agent source CIDRs whose connections are logged; [] = the CIDRs of every group's clients"),
    sweepMs: z
      .number()
      .int()
      .nonnegative()
      .default(5000)
      .describe(
        "run `conntrack -L` this often so ended connections are reaped and logged promptly (the kernel's own sweep can take a minute); 0 = off",
      ),
    dropPollMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('how often the drop set (egress_dropped_v4/v6) is read'),
    volume: z
      .object({
        windowSeconds: z.number().int().positive().default(60).describe('bytes-out bucket per agent'),
        minBytes: z
          .number()
          .int()
          .positive()
          .default(10_000_000)
          .describe('an agent sending less than this per bucket never raises egress-volume'),
        sigmas: z
          .number()
          .positive()
          .default(3)
          .describe('bucket above the baseline mean by this many standard deviations'),
        warmupBuckets: z
          .number()
          .int()
          .nonnegative()
          .default(10)
          .describe('buckets of baseline before the rule may fire'),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

export const egressSection = z
  .object({ nftables: nftablesSection, conntrack: conntrackSection })
  .strict()
  .default({});

export type EgressConfig = z.output<typeof egressSection>;
export type NftablesConfig = EgressConfig['nftables'];
export type ConntrackConfig = EgressConfig['conntrack'];
