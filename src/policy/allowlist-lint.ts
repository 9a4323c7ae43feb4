// `dnsward allowlist check`: lint every group's allowlists beyond what the schema enforces — tier caps,
// duplicates, shadowed entries, wildcards on public suffixes and multi-tenant platforms, expiry, and
// placeholder justifications. Errors fail the check; warnings are for the quarterly review.
import { parse } from 'tldts';
import type { LoadedConfig } from '../config/load.js';
import { TIER_CAPS } from '../config/sections/groups.js';
import { configName, readGroupAllowlists, type AllowlistEntry } from './allowlist-file.js';
import { isDohResolver } from '../lib/doh-resolvers.js';

export type LintSeverity = 'error' | 'warning';

export interface LintFinding {
  readonly severity: LintSeverity;
  /** Stable identifier of the check, for scripts: "tier-cap", "public-suffix-wildcard", ... */
  readonly code: string;
  readonly file: string;
  readonly line: number;
  readonly field: string;
  readonly group: string | null;
  readonly domain: string | null;
  readonly message: string;
}

export interface LintOptions {
  /** Entries expiring within this many days get a warning. */
  readonly expiringWithinDays?: number;
  /** Justifications shorter than this get a warning. */
  readonly minJustificationLength?: number;
}

const DAY_MS = 86_400_000;

/**
 * Registrable domains whose subdomains belong to other customers (buckets, functions, apps, tunnels) but
 * which the Public Suffix List does not mark as suffixes themselves — usually because the tenant names sit
 * in deeper suffixes ("s3.amazonaws.com", "*.compute.amazonaws.com") that a wildcard on the parent covers
 * all at once — plus request-catcher services made for exfiltration tests.
 */
export const MULTI_TENANT_DOMAINS: ReadonlySet<string> = new Set([
  'amazonaws.com',
  'on.aws',
  'windows.net',
  'azure.com',
  'fastly.net',
  'googleusercontent.com',
  'glitch.me',
  'webhook.site',
  'pipedream.net',
  'requestbin.net',
  'burpcollaborator.net',
  'oastify.com',
  'interact.sh',
  'oast.fun',
  'oast.live',
  'oast.me',
  'oast.online',
  'oast.pro',
  'oast.site',
  'dnslog.cn',
]);

/** Placeholders a reviewer must not wave through (`allowlist suggest` writes "TODO"). */
const PLACEHOLDER_WHOLE =
  /^(?:todo|tbd|tba|fixme|xxx+|n\/?a|none|null|nil|-+|\.+|\?+|placeholder|changeme|change me|temp|test|asdf|justification|owner|unknown)[.!]*$/i;
const PLACEHOLDER_MARKER = /\b(?:TODO|TBD|FIXME|XXX)\b/;

export function isPlaceholder(text: string): boolean {
  const trimmed = text.trim();
  return PLACEHOLDER_WHOLE.test(trimmed) || PLACEHOLDER_MARKER.test(trimmed);
}

export interface WildcardRisk {
  readonly code: 'public-suffix-wildcard' | 'multi-tenant-wildcard';
  readonly message: string;
}

/**
 * Why `*.suffix` would hand an attacker a channel, or null: when `suffix` is a public suffix (ICANN or
 * private section: anyone can register a name below it) or a multi-tenant platform domain.
 */
export function wildcardRisk(suffix: string): WildcardRisk | null {
  const parsed = parse(`probe.${suffix}`, { allowPrivateDomains: true });
  const publicSuffix = parsed.publicSuffix ?? '';
  if (publicSuffix === suffix || publicSuffix.endsWith(`.${suffix}`)) {
    const section = parsed.isPrivate === true ? 'private' : 'ICANN';
    return {
      code: 'public-suffix-wildcard',
      message: `"*.${suffix}" covers a public suffix (${section} section of the Public Suffix List): anyone can register a name below it and receive the traffic; list exact names instead`,
    };
  }
  const registrable = parse(suffix, { allowPrivateDomains: true }).domain ?? suffix;
  if (MULTI_TENANT_DOMAINS.has(registrable)) {
    return {
      code: 'multi-tenant-wildcard',
      message: `"*.${suffix}" covers a multi-tenant platform (${registrable}): other customers' buckets, apps and endpoints resolve below it; list exact names instead`,
    };
  }
  return null;
}

interface Located {
  readonly entry: AllowlistEntry;
  readonly index: number;
}

export interface LintResult {
  readonly groups: number;
  /** Entries read (over all groups; a file shared by two groups counts twice). */
  readonly entries: number;
  readonly findings: readonly LintFinding[];
}

/** Lints the allowlists of every configured group; `now` decides what is expired. */
export function lintAllowlists(
  loaded: LoadedConfig,
  now = Date.now(),
  options: LintOptions = {},
): LintResult {
  const expiringMs = (options.expiringWithinDays ?? 30) * DAY_MS;
  const minJustification = options.minJustificationLength ?? 10;
  const findings: LintFinding[] = [];
  const seenFindings = new Set<string>();
  const add = (finding: LintFinding): void => {
    // a file shared by two groups reports its entry-level problems once
    const key = `${finding.code}|${finding.file}|${finding.line}|${finding.message}`;
    if (seenFindings.has(key)) return;
    seenFindings.add(key);
    findings.push(finding);
  };

  let entryCount = 0;
  for (const group of loaded.config.groups) {
    const located: Located[] = [];
    const files = readGroupAllowlists(loaded, group);
    for (const { display, list, error } of files) {
      if (error) {
        for (const detail of error.details.length > 0 ? error.details : [error.message]) {
          add({ ...parseDetail(detail, display), severity: 'error', code: 'schema', group: group.name });
        }
        continue;
      }
      if (list.group !== undefined && list.group !== group.name) {
        add({
          severity: 'warning',
          code: 'group-mismatch',
          file: display,
          line: 1,
          field: 'group',
          group: group.name,
          domain: null,
          message: `file says group "${list.group}" but is used by group "${group.name}"`,
        });
      }
      list.entries.forEach((entry, index) => located.push({ entry, index }));
    }
    const lastFile = files.at(-1)?.display ?? configName(loaded);

    entryCount += located.length;
    const unique: Located[] = [];
    const byDomain = new Map<string, Located>();
    for (const item of located) {
      const first = byDomain.get(item.entry.domain);
      if (first) {
        add(
          entryFinding(
            item,
            group.name,
            'error',
            'duplicate',
            'domain',
            `"${item.entry.domain}" is already listed at ${first.entry.file}:${first.entry.line}`,
          ),
        );
        continue;
      }
      byDomain.set(item.entry.domain, item);
      unique.push(item);
    }

    const cap = TIER_CAPS[group.tier];
    if (unique.length > cap) {
      add({
        severity: 'error',
        code: 'tier-cap',
        file: lastFile,
        line: 1,
        field: 'entries',
        group: group.name,
        domain: null,
        message: `tier ${group.tier} allows at most ${cap} destinations; group "${group.name}" has ${unique.length}`,
      });
    }

    const wildcards = new Map<string, Located>();
    for (const item of unique) if (item.entry.wildcard) wildcards.set(item.entry.name, item);

    for (const item of unique) {
      const { entry } = item;
      if (entry.wildcard) {
        const risk = wildcardRisk(entry.name);
        if (risk) add(entryFinding(item, group.name, 'error', risk.code, 'domain', risk.message));
      }
      const shadow = shadowingWildcard(entry, wildcards);
      if (
        shadow &&
        shadow.entry.expiresAt >= entry.expiresAt &&
        !(isDohResolver(entry.name) && !entry.wildcard)
      ) {
        add(
          entryFinding(
            item,
            group.name,
            'warning',
            'shadowed',
            'domain',
            `"${entry.domain}" is already covered by "${shadow.entry.domain}" at ${shadow.entry.file}:${shadow.entry.line}; remove one of them`,
          ),
        );
      }
      if (isPlaceholder(entry.justification)) {
        add(
          entryFinding(
            item,
            group.name,
            'error',
            'placeholder-justification',
            'justification',
            `"${entry.justification}" is a placeholder: say why the agents need "${entry.domain}" (role, ticket)`,
          ),
        );
      } else if (entry.justification.trim().length < minJustification) {
        add(
          entryFinding(
            item,
            group.name,
            'warning',
            'short-justification',
            'justification',
            `"${entry.justification}" is too short for a reviewer to judge; name the role and the ticket`,
          ),
        );
      }
      if (isPlaceholder(entry.owner)) {
        add(
          entryFinding(
            item,
            group.name,
            'error',
            'placeholder-owner',
            'owner',
            `"${entry.owner}" is a placeholder: name the team that answers for "${entry.domain}"`,
          ),
        );
      }
      const addedAt = Date.parse(`${entry.added}T00:00:00Z`);
      if (addedAt > now) {
        add(
          entryFinding(
            item,
            group.name,
            'warning',
            'added-in-future',
            'added',
            `${entry.added} is in the future`,
          ),
        );
      }
      if (entry.expiresAt <= now) {
        add(
          entryFinding(
            item,
            group.name,
            'warning',
            'expired',
            'expires',
            `"${entry.domain}" expired on ${entry.expires ?? ''} and no longer matches; renew it with a fresh justification or remove it`,
          ),
        );
      } else if (entry.expiresAt - now <= expiringMs) {
        add(
          entryFinding(
            item,
            group.name,
            'warning',
            'expires-soon',
            'expires',
            `"${entry.domain}" expires on ${entry.expires ?? ''}`,
          ),
        );
      }
    }
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.code.localeCompare(b.code));
  return { groups: loaded.config.groups.length, entries: entryCount, findings };
}

/** The nearest wildcard strictly above `entry` ("*.example.org" above "api.example.org" or "*.cdn.example.org"). */
function shadowingWildcard(
  entry: AllowlistEntry,
  wildcards: ReadonlyMap<string, Located>,
): Located | undefined {
  let name = entry.name;
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.')) {
    name = name.slice(dot + 1);
    const found = wildcards.get(name);
    if (found) return found;
  }
  return undefined;
}

function entryFinding(
  item: Located,
  group: string,
  severity: LintSeverity,
  code: string,
  field: string,
  message: string,
): LintFinding {
  return {
    severity,
    code,
    file: item.entry.file,
    line: item.entry.line,
    field: `entries[${item.index}].${field}`,
    group,
    domain: item.entry.domain,
    message,
  };
}

/** "file:line field: message" (from loadAllowlistFile) back into its parts. */
function parseDetail(detail: string, file: string): Omit<LintFinding, 'severity' | 'code' | 'group'> {
  const match = /^(.*):(\d+) (\S+): (.*)$/s.exec(detail);
  if (!match) return { file, line: 1, field: '(file)', domain: null, message: detail };
  return {
    file: match[1] ?? file,
    line: Number(match[2]),
    field: match[3] ?? '',
    domain: null,
    message: match[4] ?? '',
  };
}

/** "file:line field: message", the format `dnsward config check` prints. */
export function formatFinding(finding: LintFinding): string {
  return `${finding.file}:${finding.line} ${finding.field}: ${finding.message}`;
}
