// `dnsward allowlist check|stale|suggest`: the allowlist lifecycle — lint before merge, find entries nobody
// uses, and propose entries from what audit mode observed.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadConfig } from '../../config/load.js';
import { TIER_CAPS } from '../../config/sections/groups.js';
import { DnswardError } from '../../errors.js';
import { formatFinding, lintAllowlists } from '../../policy/allowlist-lint.js';
import { findStaleEntries } from '../../policy/allowlist-stale.js';
import { renderSuggestionYaml, suggestEntries } from '../../policy/allowlist-suggest.js';
import { hitKey, wouldDenyNames } from '../../store/allowlist-hits.js';
import { DB_OPTION, withCliStore } from '../store-target.js';
import { formatRows } from '../output.js';
import { collect, parseTime } from '../options.js';
import { exitWith, processIo, type CommandIo } from '../command-io.js';
import { compileOrReport } from '../compile-or-report.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export interface CheckOptions {
  config?: string;
  allowlist: string[];
  json?: boolean;
}

export interface StaleOptions extends CheckOptions {
  db?: string;
  days: number;
}

export interface SuggestOptions extends CheckOptions {
  db?: string;
  group: string;
  since: string;
  wildcardMin: number;
}

/** `allowlist check`: lint findings, exit 1 on errors. */
export function allowlistCheck(options: CheckOptions, io: CommandIo = processIo): number {
  const loaded = loadConfig(options.config, { allowlist: options.allowlist });
  const result = lintAllowlists(loaded);
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.length - errors;
  if (options.json) {
    io.out(
      `${JSON.stringify({ ok: errors === 0, groups: result.groups, entries: result.entries, errors, warnings, findings: result.findings }, null, 2)}\n`,
    );
  } else {
    for (const finding of result.findings) {
      io.out(`${finding.severity}: ${formatFinding(finding)} [${finding.code}]\n`);
    }
    io.out(
      `${errors === 0 ? 'ok' : 'failed'}: ${result.groups} group(s), ${result.entries} entries, ${errors} error(s), ${warnings} warning(s)\n`,
    );
  }
  return errors > 0 ? 1 : 0;
}

/** `allowlist stale`: entries without traffic for `days`. */
export async function allowlistStale(options: StaleOptions, io: CommandIo = processIo): Promise<number> {
  const loaded = loadConfig(options.config, { allowlist: options.allowlist });
  const policy = compileOrReport(loaded, io);
  if (!policy) return 1;
  return withCliStore(options, true, async (store) => {
    const since = await store.allowlistHits.trackingSince();
    if (since === null) {
      throw new DnswardError(
        'DNSWARD_ERR_STORE',
        'the store has no allowlist hit counts yet: run `dnsward serve` (this version) with it first',
      );
    }
    const hits = await store.allowlistHits.read();
    const report = findStaleEntries(
      policy.groups.values(),
      (group, domain) => hits.get(hitKey(group, domain)),
      since,
      io.now(),
      options.days,
    );
    const stale = report.stale.map((s) => ({ ...s, lastHit: iso(s.lastHit) }));
    if (options.json) {
      io.out(
        `${JSON.stringify({ days: report.days, trackingSince: iso(report.trackingSince), checked: report.checked, tooNew: report.tooNew, stale }, null, 2)}\n`,
      );
      return 0;
    }
    io.out(
      `${stale.length} of ${report.checked} entries had no traffic for ${report.days} days (hits recorded since ${iso(report.trackingSince) ?? 'unknown'})\n`,
    );
    if (report.tooNew > 0) {
      io.out(`${report.tooNew} more without recent traffic are too new (or tracked too briefly) to judge\n`);
    }
    if (stale.length > 0) {
      const rows = stale.map((s) => ({
        ...s,
        lastHit: s.lastHit ?? 'never',
        where: `${s.file}:${s.line}`,
        expires: s.expired ? `${s.expires ?? ''} (expired)` : s.expires,
      }));
      io.out(
        formatRows(
          rows,
          ['group', 'domain', 'idleDays', 'hits', 'lastHit', 'owner', 'added', 'expires', 'where'],
          'table',
        ),
      );
    }
    return 0;
  });
}

/** `allowlist suggest`: entries proposed from a group's would-deny queries. */
export async function allowlistSuggest(options: SuggestOptions, io: CommandIo = processIo): Promise<number> {
  const loaded = loadConfig(options.config, { allowlist: options.allowlist });
  const policy = compileOrReport(loaded, io);
  if (!policy) return 1;
  const now = io.now();
  const sinceMs = parseTime('--since', options.since, now);
  const group = policy.groups.get(options.group);
  if (group === undefined) {
    io.err(`warning: group "${options.group}" is not in the config; reading its queries anyway\n`);
  }
  const probeQtype = group?.qtypes.values().next().value;
  const covered =
    group === undefined || probeQtype === undefined
      ? undefined
      : (name: string): boolean => group.decide(name, probeQtype, now).kind === 'allow';
  return withCliStore(options, true, async (store) => {
    const observed = await wouldDenyNames(
      store.queryLog.scan({ group: options.group, sinceMs, decisions: ['would-deny'] }),
    );
    const suggestion = suggestEntries(observed, {
      wildcardMin: Math.max(2, options.wildcardMin),
      ...(covered ? { covered } : {}),
    });
    if (options.json) {
      io.out(
        `${JSON.stringify(
          {
            group: options.group,
            since: iso(sinceMs),
            until: iso(now),
            entryCount: suggestion.entryCount,
            domains: suggestion.domains.map((d) => ({
              ...d,
              entries: d.entries.map((e) => ({
                ...e,
                firstSeen: iso(e.firstSeen),
                lastSeen: iso(e.lastSeen),
              })),
            })),
            skipped: suggestion.skipped,
          },
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    io.out(
      renderSuggestionYaml(suggestion, {
        group: options.group,
        tier: group?.tier ?? null,
        currentEntries: group?.entries.length ?? null,
        cap: group === undefined ? null : TIER_CAPS[group.tier],
        since: sinceMs,
        now,
        command: `dnsward allowlist suggest --group ${options.group} --since ${options.since}`,
      }),
    );
    return 0;
  });
}

export function registerAllowlist(program: Command): void {
  const allowlist = program.command('allowlist').description('allowlist lifecycle: check, stale, suggest');

  allowlist
    .command('check')
    .description(
      'lint every group allowlist: tier caps, duplicates, shadowed entries, public-suffix and multi-tenant wildcards, ' +
        'expiry, placeholder justifications; exit 1 on errors, 0 with warnings only',
    )
    .option('-c, --config <file>', 'YAML config file (default: the embedded default)')
    .option('--allowlist <file>', 'allowlist for the default group, repeatable', collect, [])
    .option('--json', 'one JSON document {ok, errors, warnings, findings[]}')
    .action((options: CheckOptions) => exitWith(allowlistCheck(options)));

  allowlist
    .command('stale')
    .description(
      'entries with no allowed query for --days days (entries added, or tracked, for less than that are not judged yet)',
    )
    .option('-c, --config <file>', 'YAML config file (default: the embedded default)')
    .option('--allowlist <file>', 'allowlist for the default group, repeatable', collect, [])
    .option(...DB_OPTION)
    .option('--days <n>', 'days without traffic', positiveInt, 90)
    .option('--json', 'one JSON document {days, trackingSince, checked, tooNew, stale[]}')
    .action(async (options: StaleOptions) => exitWith(await allowlistStale(options)));

  allowlist
    .command('suggest')
    .description(
      "propose allowlist entries (YAML for a pull request) from a group's would-deny queries (audit mode), " +
        'grouped by registrable domain',
    )
    .requiredOption('--group <name>', 'the group whose audit-mode traffic to read')
    .option('--since <when>', 'duration ago (7d, 24h) or ISO 8601 time', '7d')
    .option('-c, --config <file>', 'YAML config file: names already allowed are left out, tier cap shown')
    .option('--allowlist <file>', 'allowlist for the default group, repeatable', collect, [])
    .option(...DB_OPTION)
    .option(
      '--wildcard-min <n>',
      'distinct subdomains of one domain before a wildcard is proposed',
      positiveInt,
      10,
    )
    .option('--json', 'one JSON document instead of YAML')
    .action(async (options: SuggestOptions) => exitWith(await allowlistSuggest(options)));
}
