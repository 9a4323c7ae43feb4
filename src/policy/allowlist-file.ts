// Allowlist file: YAML schema (every entry justified and owned), loading with file:line errors, and the one loop
// over a group's allowlist files that compile, lint and the file watcher share.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { z } from 'zod';
import { allowlistPath, EMBEDDED_DEFAULT, type LoadedConfig } from '../config/load.js';
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

/** Reads and validates one allowlist file; `display` is how errors name it. */
export function loadAllowlistFile(path: string, display = path): AllowlistFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DnswardError('DNSWARD_ERR_ALLOWLIST', `${display}: cannot read`, [
      `${display}:1 (file): ${String(error)}`,
    ]);
  }
  const { value: parsed, lineOf } = parseYaml(display, text, allowlistFileSchema, 'DNSWARD_ERR_ALLOWLIST');
  const entries = parsed.entries.map((entry, index): AllowlistEntry => {
    const line = lineOf(['entries', index]);
    const wildcard = entry.domain.startsWith('*.');
    return {
      ...entry,
      id: `${display}:${line} ${entry.domain}`,
      file: display,
      line,
      wildcard,
      name: wildcard ? entry.domain.slice(2) : entry.domain,
      expiresAt:
        entry.expires === undefined ? Infinity : Date.parse(`${entry.expires}T00:00:00Z`) + 86_400_000,
    };
  });
  return { file: display, group: parsed.group, entries };
}

/** One allowlist file a group names: absolute path, and the path as messages show it. */
export interface GroupAllowlistFile {
  readonly path: string;
  readonly display: string;
}

/** A group's allowlist file read: its entries, or the problems that stop it (file:line details). */
export type GroupAllowlist = GroupAllowlistFile &
  (
    | { readonly list: AllowlistFile; readonly error: null }
    | { readonly list: null; readonly error: DnswardError }
  );

/** The allowlist files of `group`, in config order. */
export function groupAllowlistFiles(
  loaded: LoadedConfig,
  group: { readonly allowlists: readonly string[] },
): GroupAllowlistFile[] {
  return group.allowlists.map((file) => {
    const path = allowlistPath(loaded, file);
    return { path, display: displayPath(path) };
  });
}

/** Reads each allowlist file of `group`; a file that does not load is returned with its error, not thrown. */
export function readGroupAllowlists(
  loaded: LoadedConfig,
  group: { readonly allowlists: readonly string[] },
): GroupAllowlist[] {
  return groupAllowlistFiles(loaded, group).map((file) => {
    try {
      return { ...file, list: loadAllowlistFile(file.path, file.display), error: null };
    } catch (error) {
      if (!(error instanceof DnswardError)) throw error;
      return { ...file, list: null, error };
    }
  });
}

/** How messages name the config: its display path, or "(embedded default)". */
export function configName(loaded: LoadedConfig): string {
  return loaded.file === null ? EMBEDDED_DEFAULT : displayPath(loaded.file);
}

/** Paths under the working directory are shown relative, as users typed them. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}
