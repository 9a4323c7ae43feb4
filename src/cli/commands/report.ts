// `dnsward report`: the evidence report an auditor reads — one self-contained HTML page (--html FILE) and/or
// the same content as one JSON document (--json) — from the store and the policy of the given config.
import { renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { DnswardError } from '../../errors.js';
import { buildEvidence } from '../../report/evidence.js';
import { renderReportHtml } from '../../report/report-html.js';
import { exitWith, processIo, type CommandIo } from '../command-io.js';
import { compileOrReport } from '../compile-or-report.js';
import { collect, parseCount, parseTime } from '../options.js';
import { DB_OPTION, withCliStore } from '../store-target.js';

export interface ReportOptions {
  since: string;
  config?: string;
  allowlist: string[];
  db?: string;
  html?: string;
  json?: boolean;
  staleDays: string;
  top: string;
}

export async function report(options: ReportOptions, io: CommandIo = processIo): Promise<number> {
  if (options.html === undefined && options.json !== true) {
    throw new DnswardError('DNSWARD_ERR_USAGE', 'say where the report goes: --html FILE, --json, or both');
  }
  const nowMs = io.now();
  const sinceMs = parseTime('--since', options.since, nowMs);
  const staleAfterDays = parseCount('--stale-days', options.staleDays);
  const top = parseCount('--top', options.top, 10_000);
  const loaded = loadConfig(options.config, { allowlist: options.allowlist });
  const policy = compileOrReport(loaded, io);
  if (!policy) return 1;
  const evidence = await withCliStore(options, true, async (store) =>
    buildEvidence({ store, policy, configFile: loaded.file, sinceMs, nowMs, staleAfterDays, top }),
  );
  if (options.html !== undefined) {
    // whole or not at all: a reader never opens half a page
    const partial = `${options.html}.${process.pid}.tmp`;
    writeFileSync(partial, renderReportHtml(evidence));
    renameSync(partial, options.html);
  }
  if (options.json === true) io.out(`${JSON.stringify(evidence, null, 2)}\n`);
  else
    io.out(
      `report written to ${options.html ?? ''}: ${evidence.queries.total} queries, ${evidence.alerts.total} alerts, ` +
        `${evidence.completeness.dropped} events dropped, ${evidence.policyVersions.length} policy version(s)\n`,
    );
  return 0;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'evidence report for auditors (AG-404): groups, tiers, modes and allowlist entries with hits and stale flags, ' +
        'queries over time by decision, top denied names and agents, alerts by severity with exposure and bytes, ' +
        'quarantines, dropped events and the policy versions in force',
    )
    .option('--since <when>', 'duration ago (30d, 24h) or ISO 8601 time', '30d')
    .option('-c, --config <file>', 'YAML config: its groups and allowlists (and store, without --db)')
    .option('--allowlist <file>', 'allowlist for the default group, repeatable', collect, [])
    .option(...DB_OPTION)
    .option('--html <file>', 'write one self-contained HTML page')
    .option('--json', 'print the same content as one JSON document')
    .option('--stale-days <n>', 'entries without traffic this long are flagged stale', '90')
    .option('--top <n>', 'rows in the top-denied tables and the alert list', '20')
    .action(async (options: ReportOptions) => exitWith(await report(options)));
}
