// groups and identity: which clients form which agent group, and each group's policy.
import { z } from 'zod';
import { qtypeCode } from '../../dns/codes.js';
import type { Tier } from '../../model/agent.js';
import { parsePrefix } from '../../policy/cidr.js';

export const TIER_CAPS = { 1: 0, 2: 5, 3: 50, 4: 200 } as const;

const cidr = z
  .string()
  .refine((text) => parsePrefix(text) !== null, 'expected an IP address or CIDR ("10.0.0.0/8", "fd00::/8")');

export const clientRule = z.union([
  cidr,
  z.object({ cidr, agent: z.string().min(1).describe('agent id for clients in this CIDR') }).strict(),
]);

const qtypeName = z
  .string()
  .refine((name) => qtypeCode(name) !== undefined, 'expected a qtype mnemonic such as "A" or "TYPE65"');

const tier = z
  .number({ invalid_type_error: 'expected a tier: 1, 2, 3 or 4' })
  .int()
  .min(1, 'expected a tier: 1, 2, 3 or 4')
  .max(4, 'expected a tier: 1, 2, 3 or 4')
  .transform((value) => value as Tier);

export const groupSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "-" and "_"'),
    tier: tier.describe('risk tier from the egress guide: 1 zero egress, 2 minimal, 3 standard, 4 extended'),
    clients: z
      .array(clientRule)
      .default([])
      .describe('CIDRs (or {cidr, agent}) whose queries belong to this group'),
    allowlists: z.array(z.string()).default([]).describe('allowlist YAML files, relative to the config file'),
    mode: z.enum(['enforce', 'audit']).default('enforce').describe('audit forwards what enforce would deny'),
    denyRcode: z.enum(['NXDOMAIN', 'REFUSED']).default('NXDOMAIN'),
    qtypes: z
      .array(qtypeName)
      .optional()
      .describe('qtypes this group may ask; default depends on tier (see README)'),
  })
  .strict();

export const identitySection = z
  .object({
    defaultGroup: z
      .string()
      .default('unknown')
      .describe(
        'group for clients no rule matches; if not defined in groups it is tier 1, REFUSED, no allowlists',
      ),
  })
  .strict()
  .default({});

export type GroupConfig = z.output<typeof groupSchema>;
