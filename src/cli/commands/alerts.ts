// `dnsward alerts list|show|ack|mute|export`: the analyst's view of detection alerts in the SQLite store.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { DnswardError } from '../../errors.js';
import type { AlertStatus, Severity } from '../../model/alert.js';
import {
  AlertRepository,
  isSeverity,
  type AlertFilter,
  type StoredAlert,
} from '../../store/alert-repository.js';
import { openDatabase, type Db } from '../../store/database.js';
import { processIo, type CommandIo } from '../command-io.js';
import { parseCount, parseTime } from '../options.js';
import {
  formatBytes,
  formatJson,
  formatRecord,
  formatRows,
  selectFormat,
  type Cell,
  type OutputFormat,
} from '../output.js';

/** Where output goes; tests pass their own. */
export type AlertsIo = Pick<CommandIo, 'out' | 'now'>;

/** Alerts `alerts list` prints without --limit. */
const DEFAULT_LIST_LIMIT = 1000;

const STATUSES: readonly AlertStatus[] = ['open', 'acked', 'muted'];

const TABLE_COLUMNS = [
  'id',
  'severity',
  'rule',
  'agentId',
  'baseDomain',
  'count',
  'leaked',
  'exposure',
  'status',
  'lastSeen',
];
const CSV_COLUMNS = [
  'id',
  'rule',
  'severity',
  'agentId',
  'group',
  'clientIp',
  'baseDomain',
  'firstSeen',
  'lastSeen',
  'count',
  'score',
  'exposure',
  'bytesLeaked',
  'bytesAttempted',
  'status',
  'statusReason',
  'mutedUntil',
  'samples',
  'features',
  'namespace',
  'pod',
  'podUid',
  'serviceAccount',
];

export interface ListOptions {
  readonly db: string;
  readonly since?: string | undefined;
  readonly severity?: string | undefined;
  readonly rule?: string | undefined;
  readonly agent?: string | undefined;
  readonly domain?: string | undefined;
  readonly status?: string | undefined;
  readonly namespace?: string | undefined;
  readonly pod?: string | undefined;
  readonly serviceAccount?: string | undefined;
  readonly limit?: string | undefined;
  readonly json?: boolean | undefined;
  readonly csv?: boolean | undefined;
}

export interface ShowOptions {
  readonly db: string;
  readonly queries?: string | undefined;
  readonly json?: boolean | undefined;
}

export interface AckOptions {
  readonly db: string;
  readonly reason?: string | undefined;
}

export interface MuteOptions {
  readonly db: string;
  readonly domain?: string | undefined;
  readonly agent?: string | undefined;
  readonly reason?: string | undefined;
  readonly until?: string | undefined;
}

export interface ExportOptions {
  readonly db: string;
  readonly json?: boolean | undefined;
  readonly csv?: boolean | undefined;
}

function usage(message: string): DnswardError {
  return new DnswardError('DNSWARD_ERR_USAGE', message);
}

function parseId(text: string): number {
  if (!/^\d+$/.test(text)) throw usage(`alert id must be a positive integer, got "${text}"`);
  return Number(text);
}

function normaliseDomain(text: string): string {
  const domain = text.trim().toLowerCase().replace(/\.$/, '');
  if (domain === '' || /\s/.test(domain)) throw usage(`--domain: expected a domain name, got "${text}"`);
  return domain;
}

/** Read-only for list/show/export: the server may be writing; a DB without alerts yet reads as empty. */
function openReadOnly(path: string): Db {
  return openDatabase(path, { readonly: true });
}

function openReadWrite(path: string, mustExist: boolean): Db {
  if (mustExist && !existsSync(path)) {
    throw new DnswardError('DNSWARD_ERR_STORE', `no database at ${path} (is --db right?)`);
  }
  return openDatabase(path);
}

function hasAlerts(db: Db): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alerts'").get() !== undefined
  );
}

function withDb<T>(db: Db, fn: (db: Db) => T): T {
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function tableRow(a: StoredAlert): Record<string, Cell> {
  return {
    id: a.id,
    severity: a.severity,
    rule: a.rule,
    agentId: a.agentId,
    baseDomain: a.baseDomain,
    count: a.count,
    leaked: formatBytes(a.bytesLeaked),
    exposure: a.exposure,
    status: a.status,
    lastSeen: a.lastSeen,
  };
}

function csvRow(a: StoredAlert): Record<string, Cell> {
  return { ...a, samples: a.samples.join(' '), features: JSON.stringify(a.features) };
}

function printAlerts(io: AlertsIo, alerts: readonly StoredAlert[], format: OutputFormat): void {
  if (format === 'json') io.out(formatJson(alerts));
  else if (format === 'ndjson') io.out(formatRows(alerts as unknown as Record<string, Cell>[], [], 'ndjson'));
  else if (format === 'csv') io.out(formatRows(alerts.map(csvRow), CSV_COLUMNS, 'csv'));
  else io.out(formatRows(alerts.map(tableRow), TABLE_COLUMNS, 'table'));
}

export function buildFilter(options: ListOptions, now: number): AlertFilter {
  let severity: Severity | undefined;
  if (options.severity !== undefined) {
    const s = options.severity.toLowerCase();
    if (!isSeverity(s))
      throw usage(`--severity: expected low, medium, high or critical, got "${options.severity}"`);
    severity = s;
  }
  let status: AlertStatus | undefined;
  if (options.status !== undefined) {
    const s = options.status.toLowerCase();
    if (!(STATUSES as readonly string[]).includes(s)) {
      throw usage(`--status: expected open, acked or muted, got "${options.status}"`);
    }
    status = s as AlertStatus;
  }
  return {
    ...(options.since !== undefined && { sinceMs: parseTime('--since', options.since, now) }),
    ...(severity !== undefined && { severity }),
    ...(options.rule !== undefined && { rule: options.rule }),
    ...(options.agent !== undefined && { agentId: options.agent }),
    ...(options.domain !== undefined && { domain: normaliseDomain(options.domain) }),
    ...(status !== undefined && { status }),
    ...(options.namespace !== undefined && { namespace: options.namespace }),
    ...(options.pod !== undefined && { pod: options.pod }),
    ...(options.serviceAccount !== undefined && { serviceAccount: options.serviceAccount }),
    // a default limit: a random-name flood can leave a million low alerts, and a list of them helps nobody
    limit: options.limit === undefined ? DEFAULT_LIST_LIMIT : parseCount('--limit', options.limit),
  };
}

export function alertsList(options: ListOptions, io: AlertsIo = processIo): void {
  const format = selectFormat(options);
  const filter = buildFilter(options, io.now());
  const alerts = withDb(openReadOnly(options.db), (db) =>
    hasAlerts(db) ? new AlertRepository(db).list(filter) : [],
  );
  printAlerts(io, alerts, format);
}

export function alertsShow(id: string, options: ShowOptions, io: AlertsIo = processIo): void {
  const alertId = parseId(id);
  const limit = options.queries === undefined ? 20 : parseCount('--queries', options.queries);
  const format = selectFormat(options);
  withDb(openReadOnly(options.db), (db) => {
    const repo = hasAlerts(db) ? new AlertRepository(db) : null;
    const alert = repo?.get(alertId);
    if (repo === null || alert === undefined)
      throw new DnswardError('DNSWARD_ERR_NOT_FOUND', `no alert ${id}`);
    const queries = repo.sampleQueries(alert, limit);
    if (format === 'json') {
      io.out(formatJson({ alert, queries }));
      return;
    }
    io.out(
      formatRecord({
        id: alert.id,
        rule: alert.rule,
        severity: alert.severity,
        status: alert.statusReason === null ? alert.status : `${alert.status} (${alert.statusReason})`,
        ...(alert.mutedUntil !== null && { mutedUntil: alert.mutedUntil }),
        agent: `${alert.agentId} (group ${alert.group}, ${alert.clientIp})`,
        baseDomain: alert.baseDomain,
        firstSeen: alert.firstSeen,
        lastSeen: alert.lastSeen,
        count: alert.count,
        score: alert.score,
        exposure: alert.exposure,
        bytesLeaked: `${String(alert.bytesLeaked)} (${formatBytes(alert.bytesLeaked)})`,
        bytesAttempted: `${String(alert.bytesAttempted)} (${formatBytes(alert.bytesAttempted)})`,
      }),
    );
    io.out('\nevidence:\n');
    io.out(
      Object.entries(alert.features)
        .map(([k, v]) => `  ${k} = ${String(v)}\n`)
        .join(''),
    );
    io.out('\nsample names:\n');
    io.out(alert.samples.map((s) => `  ${s}\n`).join(''));
    io.out(`\nqueries from the query log (${String(queries.length)}, newest first):\n`);
    if (queries.length > 0) {
      io.out(
        formatRows(
          queries.map((q) => ({ ...q })),
          ['ts', 'clientIp', 'qtype', 'decision', 'rcode', 'qname'],
          'table',
        ),
      );
    }
  });
}

export function alertsAck(id: string, options: AckOptions, io: AlertsIo = processIo): void {
  const alertId = parseId(id);
  withDb(openReadWrite(options.db, true), (db) => {
    if (!new AlertRepository(db).ack(alertId, io.now(), options.reason ?? null)) {
      throw new DnswardError('DNSWARD_ERR_NOT_FOUND', `no alert ${id}`);
    }
  });
  io.out(`acked alert ${String(alertId)}\n`);
}

export function alertsMute(options: MuteOptions, io: AlertsIo = processIo): void {
  if (options.domain === undefined && options.agent === undefined)
    throw usage('mute: give --domain and/or --agent');
  if (options.reason === undefined || options.reason.trim() === '') throw usage('mute: --reason is required');
  const now = io.now();
  const untilMs = options.until === undefined ? null : parseTime('--until', options.until, now, 1);
  if (untilMs !== null && untilMs <= now) throw usage('--until: must be in the future');
  const mute = {
    domain: options.domain === undefined ? null : normaliseDomain(options.domain),
    agentId: options.agent ?? null,
    reason: options.reason.trim(),
    untilMs,
  };
  const result = withDb(openReadWrite(options.db, false), (db) => new AlertRepository(db).mute(mute, now));
  const what = [mute.domain && `domain ${mute.domain}`, mute.agentId && `agent ${mute.agentId}`]
    .filter(Boolean)
    .join(' and ');
  const until = untilMs === null ? 'until removed' : `until ${new Date(untilMs).toISOString()}`;
  io.out(`mute ${String(result.id)}: ${what} ${until}; ${String(result.muted)} open alert(s) marked muted\n`);
}

export function alertsExport(options: ExportOptions, io: AlertsIo = processIo): void {
  const format = selectFormat(options, 'ndjson');
  withDb(openReadOnly(options.db), (db) => {
    if (!hasAlerts(db)) {
      printAlerts(io, [], format);
      return;
    }
    const repo = new AlertRepository(db);
    if (format === 'ndjson') {
      for (const alert of repo.iterateAll()) io.out(`${JSON.stringify(alert)}\n`);
      return;
    }
    printAlerts(io, [...repo.iterateAll()], format);
  });
}

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('list, inspect, acknowledge, mute and export detection alerts');

  alerts
    .command('list')
    .description('alerts, most recently active first (table; --json or --csv)')
    .option('--db <file>', 'SQLite database', 'dnsward.db')
    .option('--since <when>', 'active since: a duration ago (30m, 1h, 7d) or an ISO 8601 time')
    .option('--severity <level>', 'minimum severity: low | medium | high | critical')
    .option('--rule <id>', 'only this rule (e.g. unique-subdomains)')
    .option('--agent <id>', 'only this agent')
    .option('--domain <domain>', 'base domain, or a parent of it')
    .option('--status <status>', 'open | acked | muted')
    .option('--namespace <ns>', 'only agents in this Kubernetes namespace')
    .option('--pod <name>', 'only this pod (name as last seen on the alert)')
    .option('--service-account <name>', 'only pods running as this service account')
    .option('--limit <n>', `at most this many, newest first (default ${DEFAULT_LIST_LIMIT})`)
    .option('--json', 'JSON array of alerts')
    .option('--csv', 'CSV')
    .action((options: ListOptions) => alertsList(options));

  alerts
    .command('show')
    .description('one alert: evidence, sample names and its queries from the query log')
    .argument('<id>', 'alert id')
    .option('--db <file>', 'SQLite database', 'dnsward.db')
    .option('--queries <n>', 'query-log rows to show', '20')
    .option('--json', 'JSON {alert, queries}')
    .action((id: string, options: ShowOptions) => alertsShow(id, options));

  alerts
    .command('ack')
    .description('acknowledge an alert (it reopens if it escalates afterwards)')
    .argument('<id>', 'alert id')
    .option('--db <file>', 'SQLite database', 'dnsward.db')
    .option('--reason <text>', 'note kept with the alert')
    .action((id: string, options: AckOptions) => alertsAck(id, options));

  alerts
    .command('mute')
    .description('mute alerts for a base domain and/or an agent; new ones are stored as muted')
    .option('--db <file>', 'SQLite database', 'dnsward.db')
    .option('--domain <domain>', 'base domain (and everything below it)')
    .option('--agent <id>', 'agent id')
    .option('--reason <text>', 'why (required)')
    .option('--until <when>', 'a duration from now (2h, 7d) or an ISO 8601 time; default: until removed')
    .action((options: MuteOptions) => alertsMute(options));

  alerts
    .command('export')
    .description('every alert: NDJSON by default, or --json / --csv')
    .option('--db <file>', 'SQLite database', 'dnsward.db')
    .option('--json', 'one JSON array')
    .option('--csv', 'CSV')
    .action((options: ExportOptions) => alertsExport(options));
}
