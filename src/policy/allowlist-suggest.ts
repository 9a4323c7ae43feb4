// `dnsward allowlist suggest`: the smallest allowlist diff that would have allowed what audit mode observed,
// grouped by registrable domain, as a YAML snippet for a pull request (justification/owner left "TODO").
// Exact names by default; a wildcard only for many distinct subdomains of a domain that is neither a public
// suffix nor a multi-tenant platform, and never for names that look like encoded data.
import { parse } from 'tldts';
import { MAX_ASKERS, type AskedBy, type ObservedName } from '../store/allowlist-hits.js';
import { wildcardRisk } from './allowlist-lint.js';
import { isDohResolver } from '../lib/doh-resolvers.js';

export interface SuggestOptions {
  /** Distinct subdomains of one registrable domain from which a wildcard is proposed. */
  readonly wildcardMin: number;
  /** Whether the group's current policy already allows a name (then it is not suggested). */
  readonly covered?: (name: string) => boolean;
}

export interface SuggestedEntry {
  readonly domain: string;
  readonly wildcard: boolean;
  /** Observed names this entry covers. */
  readonly names: readonly string[];
  readonly queries: number;
  readonly agents: number;
  /** The first agents (and pods) that asked, at most MAX_ASKERS: who needs the entry, for the reviewer. */
  readonly askedBy: readonly AskedBy[];
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export interface DomainSuggestion {
  readonly registrableDomain: string;
  readonly names: number;
  readonly queries: number;
  readonly entries: readonly SuggestedEntry[];
  /** Why a wildcard was not proposed although there were many names, if so. */
  readonly note: string | null;
  /** Names that look like encoded data: nothing is proposed for the domain; check the alerts. */
  readonly suspicious: boolean;
}

export interface SkippedNames {
  readonly reason: string;
  readonly names: number;
  readonly queries: number;
}

export interface Suggestion {
  readonly domains: readonly DomainSuggestion[];
  readonly skipped: readonly SkippedNames[];
  readonly entryCount: number;
}

/** A label this long left of the registrable domain is rare for services and common for tunnels. */
const LONG_LABEL = 24;
const HOSTNAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

export function suggestEntries(observed: readonly ObservedName[], options: SuggestOptions): Suggestion {
  const skipped = new Map<string, { names: Set<string>; queries: number }>();
  const skip = (reason: string, row: ObservedName): void => {
    const s = skipped.get(reason) ?? { names: new Set<string>(), queries: 0 };
    s.names.add(row.qname);
    s.queries += row.queries;
    skipped.set(reason, s);
  };
  // a name can appear with several reasons ("not-allowlisted", "...; upstream failed"): merge its rows
  const byName = new Map<string, ObservedName>();
  for (const row of observed) {
    if (!row.reason.startsWith('not-allowlisted')) {
      skip(row.reason.split(';')[0] ?? row.reason, row);
      continue;
    }
    const name = row.qname;
    if (!HOSTNAME.test(name)) skip('not-a-hostname', row);
    else if (isDohResolver(name)) skip('doh-resolver (bypass attempt, never suggested)', row);
    else if (options.covered?.(name) === true) skip('already-allowlisted', row);
    else {
      const prev = byName.get(name);
      byName.set(
        name,
        prev
          ? {
              ...prev,
              queries: prev.queries + row.queries,
              agents: Math.max(prev.agents, row.agents),
              askedBy: mergeAskers([prev, row]),
              firstSeen: Math.min(prev.firstSeen, row.firstSeen),
              lastSeen: Math.max(prev.lastSeen, row.lastSeen),
            }
          : row,
      );
    }
  }

  const byDomain = new Map<string, ObservedName[]>();
  for (const row of byName.values()) {
    const base = parse(row.qname, { allowPrivateDomains: true }).domain ?? row.qname;
    const rows = byDomain.get(base) ?? [];
    rows.push(row);
    byDomain.set(base, rows);
  }

  const domains: DomainSuggestion[] = [];
  for (const [base, rows] of byDomain) {
    rows.sort((a, b) => b.queries - a.queries || a.qname.localeCompare(b.qname));
    const queries = rows.reduce((n, r) => n + r.queries, 0);
    const below = rows.filter((r) => r.qname !== base);
    const suspicious = looksEncoded(
      below.map((r) => r.qname),
      base,
    );
    let entries: SuggestedEntry[] = [];
    let note: string | null = null;
    if (suspicious) {
      note =
        'subdomains look like encoded data (possible DNS tunnel): not suggested; check `dnsward alerts list`';
    } else if (below.length >= options.wildcardMin) {
      const suffix = commonSuffix(
        below.map((r) => r.qname),
        base,
      );
      const risk = wildcardRisk(suffix);
      if (risk) {
        note = `${below.length} names, but no wildcard: ${risk.message}`;
        entries = rows.map((r) => exact(r));
      } else {
        const covered = rows.filter((r) => r.qname.endsWith(`.${suffix}`));
        entries = [aggregate(`*.${suffix}`, true, covered)];
        for (const r of rows) if (!r.qname.endsWith(`.${suffix}`)) entries.push(exact(r));
      }
    } else {
      entries = rows.map((r) => exact(r));
    }
    domains.push({ registrableDomain: base, names: rows.length, queries, entries, note, suspicious });
  }
  domains.sort((a, b) => b.queries - a.queries || a.registrableDomain.localeCompare(b.registrableDomain));
  return {
    domains,
    skipped: [...skipped].map(([reason, s]) => ({ reason, names: s.names.size, queries: s.queries })),
    entryCount: domains.reduce((n, d) => n + d.entries.length, 0),
  };
}

function exact(row: ObservedName): SuggestedEntry {
  return aggregate(row.qname, false, [row]);
}

function aggregate(domain: string, wildcard: boolean, rows: readonly ObservedName[]): SuggestedEntry {
  return {
    domain,
    wildcard,
    names: rows.map((r) => r.qname),
    queries: rows.reduce((n, r) => n + r.queries, 0),
    agents: rows.reduce((n, r) => Math.max(n, r.agents), 0),
    askedBy: mergeAskers(rows),
    firstSeen: Math.min(...rows.map((r) => r.firstSeen)),
    lastSeen: Math.max(...rows.map((r) => r.lastSeen)),
  };
}

/** The distinct askers of several names, first come first, at most MAX_ASKERS. */
function mergeAskers(rows: readonly ObservedName[]): AskedBy[] {
  const seen = new Map<string, AskedBy>();
  for (const row of rows)
    for (const asker of row.askedBy) if (!seen.has(asker.agentId)) seen.set(asker.agentId, asker);
  return [...seen.values()].slice(0, MAX_ASKERS);
}

/** "agents/agent-a (sa agent-sa)" in Kubernetes, else the agent id. */
function askerText(asker: AskedBy): string {
  if (asker.namespace === null || asker.pod === null) return asker.agentId;
  const sa = asker.serviceAccount === null ? '' : ` (sa ${asker.serviceAccount})`;
  return `${asker.namespace}/${asker.pod}${sa}`;
}

/** The deepest suffix shared by every name (at least `base`): the narrowest wildcard that covers them all. */
function commonSuffix(names: readonly string[], base: string): string {
  const split = names.map((n) =>
    n
      .slice(0, -(base.length + 1))
      .split('.')
      .reverse(),
  );
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const label = split[0]?.[i];
    // stop one label short of the shortest name, so the wildcard still covers it
    if (label === undefined || split.some((labels) => labels.length <= i + 1 || labels[i] !== label)) break;
    common.push(label);
  }
  return [...common.reverse(), base].join('.');
}

/** Long labels left of the registrable domain in a good share of the names: data, not service names. */
function looksEncoded(names: readonly string[], base: string): boolean {
  if (names.length === 0) return false;
  const long = names.filter((n) =>
    n
      .slice(0, -(base.length + 1))
      .split('.')
      .some((label) => label.length >= LONG_LABEL),
  ).length;
  return long >= 3 && long / names.length >= 0.25;
}

export interface RenderContext {
  readonly group: string;
  readonly tier: number | null;
  readonly currentEntries: number | null;
  readonly cap: number | null;
  readonly since: number;
  readonly now: number;
  readonly command: string;
}

/** The YAML snippet for the pull request: valid allowlist YAML, counts as comments. */
export function renderSuggestionYaml(suggestion: Suggestion, ctx: RenderContext): string {
  const day = new Date(ctx.now).toISOString().slice(0, 10);
  const lines: string[] = [
    `# Suggested by \`${ctx.command}\` at ${new Date(ctx.now).toISOString()}`,
    `# from would-deny queries of group "${ctx.group}" since ${new Date(ctx.since).toISOString()}.`,
    '# Review every entry, replace each TODO (why the agents need it, which team owns it), then add the',
    "# entries to the group's allowlist file in a pull request. `dnsward allowlist check` rejects TODO.",
  ];
  if (ctx.tier !== null && ctx.currentEntries !== null && ctx.cap !== null) {
    const total = ctx.currentEntries + suggestion.entryCount;
    lines.push(
      `# Group "${ctx.group}" (tier ${ctx.tier}): ${ctx.currentEntries} entries now + ${suggestion.entryCount} suggested = ${total} (cap ${ctx.cap})${total > ctx.cap ? ' -- OVER THE TIER CAP' : ''}`,
    );
  }
  for (const s of suggestion.skipped) {
    lines.push(`# Not suggested: ${s.names} name(s), ${s.queries} queries denied for ${s.reason}`);
  }
  if (suggestion.domains.length === 0) {
    lines.push('# Nothing to suggest: no would-deny queries for names outside the allowlist.', 'entries: []');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`group: ${ctx.group}`, 'entries:');
  for (const d of suggestion.domains) {
    lines.push(`  # ${d.registrableDomain}: ${d.names} name(s), ${d.queries} queries`);
    if (d.note !== null) lines.push(`  # ${d.note}`);
    for (const e of d.entries) {
      const covers = e.wildcard
        ? `, covers ${e.names.length} names (e.g. ${e.names.slice(0, 3).join(', ')})`
        : '';
      lines.push(
        `  - domain: ${e.wildcard ? `'${e.domain}'` : e.domain} # ${e.queries} queries, ${e.agents} agent(s), last ${new Date(e.lastSeen).toISOString()}${covers}`,
        `    # asked by ${e.askedBy.map(askerText).join(', ')}${e.agents > e.askedBy.length ? `, and ${e.agents - e.askedBy.length} more` : ''}`,
        '    justification: TODO',
        '    owner: TODO',
        `    added: ${day}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
