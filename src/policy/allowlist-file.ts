// Allowlist file: YAML schema (every entry justified and owned) and loading with file:line errors.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { duration } from '../config/sections/common.js';
import { parseYaml } from '../config/yaml-source.js';
import { DnswardError } from '../errors.js';

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

const isoDate = z
  .string({ invalid_type_error: 'expected a date YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine((text) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)), 'not a calendar date');

const domainPattern = z
  .string()
  .transform((text) => text.trim().toLowerCase().replace(/\.$/, ''))
  .refine((domain) => {
    const name = domain.startsWith('*.') ? domain.slice(2) : domain;
    return name.length <= 253 && HOSTNAME.test(name);
  }, 'expected a hostname ("api.example.org") or a wildcard ("*.example.org")');

/** A wildcard entry's own budget: false turns the group's wildcardBudget off, fields override it. */
const entryBudget = z.union([
  z.literal(false),
  z
    .object({
      window: duration.optional(),
      uniqueSubdomains: z.number().int().positive().optional(),
      bytes: z.number().int().positive().optional(),
    })
    .strict(),
]);

export const allowlistEntrySchema = z
  .object({
    domain: domainPattern,
    justification: z.string().trim().min(1, 'justification must not be empty'),
    owner: z.string().trim().min(1, 'owner must not be empty'),
    added: isoDate,
    expires: isoDate.optional(),
    budget: entryBudget.optional().describe("new-name budget under this wildcard (overrides the group's)"),
  })
  .strict()
  .refine((entry) => entry.budget === undefined || entry.domain.startsWith('*.'), {
    message: 'budget applies to wildcard entries ("*.suffix") only',
    path: ['budget'],
  });

export const allowlistFileSchema = z
  .object({
    group: z.string().optional(),
    entries: z.array(allowlistEntrySchema).default([]),
  })
  .strict();

export type AllowlistEntryInput = z.output<typeof allowlistEntrySchema>;

export interface AllowlistEntry extends AllowlistEntryInput {
  /** "file:line domain": the stable rule id that decisions, logs and metrics name. */
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly wildcard: boolean;
  /** The name below which a wildcard matches, or the exact name. */
  readonly name: string;
  /** Epoch ms after which the entry stops matching (end of the `expires` day, UTC); Infinity if none. */
  readonly expiresAt: number;
}

export interface AllowlistFile {
  readonly file: string;
  readonly group: string | undefined;
  readonly entries: readonly AllowlistEntry[];
}

/** Reads and validates one allowlist file; `displayPath` is how errors name it. */
export function loadAllowlistFile(path: string, displayPath = path): AllowlistFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DnswardError('DNSWARD_ERR_ALLOWLIST', `${displayPath}: cannot read`, [
      `${displayPath}:1 (file): ${String(error)}`,
    ]);
  }
  const { value: parsed, lineOf } = parseYaml(
    displayPath,
    text,
    allowlistFileSchema,
    'DNSWARD_ERR_ALLOWLIST',
  );
  const entries = parsed.entries.map((entry, index): AllowlistEntry => {
    const line = lineOf(['entries', index]);
    const wildcard = entry.domain.startsWith('*.');
    return {
      ...entry,
      id: `${displayPath}:${line} ${entry.domain}`,
      file: displayPath,
      line,
      wildcard,
      name: wildcard ? entry.domain.slice(2) : entry.domain,
      expiresAt:
        entry.expires === undefined ? Infinity : Date.parse(`${entry.expires}T00:00:00Z`) + 86_400_000,
    };
  });
  return { file: displayPath, group: parsed.group, entries };
}
