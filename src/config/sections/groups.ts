// groups and identity: which clients form which agent group, and each group's policy.
import { z } from 'zod';
import { qtypeCode } from '../../lib/dns-codes.js';
import type { Tier } from '../../model/agent.js';
import { parsePrefix } from '../../lib/cidr.js';
import { duration } from './common.js';
import { kubernetesSection } from './kubernetes.js';
import { podSelectorSchema } from './pod-selector.js';

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

const bucket = z
  .object({
    qps: z.number().positive().describe('sustained queries per second'),
    burst: z.number().int().positive().describe('bucket size: queries allowed at once'),
  })
  .strict();

const rateLimitSchema = bucket
  .extend({
    perDomain: bucket.optional().describe('a second bucket per (agent, registrable domain)'),
    action: z.enum(['refuse', 'drop']).default('refuse').describe('answer REFUSED, or send nothing'),
  })
  .strict();

const budgetSchema = z
  .object({
    window: duration.default('10m').describe('budget window; counts reset when it ends'),
    uniqueSubdomains: z
      .number()
      .int()
      .positive()
      .default(200)
      .describe('new names under one base domain per window'),
    bytes: z.number().int().positive().default(4096).describe('bytes of new subdomain labels per window'),
  })
  .strict();

/** Every wildcard entry's default budget: new-name bytes one agent may send under it (issue 21: on by default). */
export const DEFAULT_WILDCARD_BUDGET = { window: '1h', uniqueSubdomains: 50, bytes: 512 } as const;

const wildcardBudgetSchema = z
  .union([
    z.literal(false),
    z
      .object({
        window: duration.default(DEFAULT_WILDCARD_BUDGET.window),
        uniqueSubdomains: z.number().int().positive().default(DEFAULT_WILDCARD_BUDGET.uniqueSubdomains),
        bytes: z.number().int().positive().default(DEFAULT_WILDCARD_BUDGET.bytes),
      })
      .strict(),
  ])
  .default({})
  .describe(
    'per agent and wildcard entry: new names and their bytes under "*.suffix" per window (false: off; an entry\'s own budget overrides it)',
  );

const quarantineSchema = z
  .object({
    onSeverity: z.enum(['low', 'medium', 'high', 'critical']).default('high'),
    scope: z
      .enum(['agent', 'domain'])
      .default('domain')
      .describe("deny all of the agent, or the alert's base domain"),
    duration: duration.default('10m'),
  })
  .strict();

export const groupSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "-" and "_"'),
    tier: tier.describe('risk tier from the egress guide: 1 zero egress, 2 minimal, 3 standard, 4 extended'),
    clients: z
      .array(clientRule)
      .default([])
      .describe('CIDRs (or {cidr, agent}) whose queries belong to this group'),
    pods: podSelectorSchema
      .optional()
      .describe(
        'Kubernetes pods this group claims by labels (beats a CIDR match; needs identity.kubernetes)',
      ),
    allowlists: z.array(z.string()).default([]).describe('allowlist YAML files, relative to the config file'),
    mode: z.enum(['enforce', 'audit']).default('enforce').describe('audit forwards what enforce would deny'),
    denyRcode: z.enum(['NXDOMAIN', 'REFUSED']).default('NXDOMAIN'),
    qtypes: z
      .array(qtypeName)
      .optional()
      .describe('qtypes this group may ask; default depends on tier (see README)'),
    strictNames: z
      .boolean()
      .default(false)
      .describe('deny names that are not valid hostnames (LDH labels; "_" only in leading service labels)'),
    rateLimit: rateLimitSchema.optional().describe('token buckets per agent (and per agent + base domain)'),
    budget: budgetSchema
      .optional()
      .describe('exfiltration budget per agent + base domain, even for allowed names'),
    wildcardBudget: wildcardBudgetSchema,
    quarantine: quarantineSchema
      .optional()
      .describe('contain an agent or domain when an alert fires; off by default'),
    cnames: z
      .enum(['follow', 'require-allowed'])
      .default('follow')
      .describe('require-allowed: every CNAME target in an answer must be on the allowlist too'),
    maxAnswerBytes: z
      .number()
      .int()
      .min(512)
      .max(65535)
      .optional()
      .describe('answers larger than this are replaced by SERVFAIL (bounds what a channel can carry down)'),
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
    kubernetes: kubernetesSection,
  })
  .strict()
  .default({});

export type GroupConfig = z.output<typeof groupSchema>;

/** A group with every default: what an undefined default group, or flags alone, amount to. */
export function implicitGroup(name: string, tier: Tier, denyRcode: 'NXDOMAIN' | 'REFUSED'): GroupConfig {
  return groupSchema.parse({ name, tier, denyRcode });
}
