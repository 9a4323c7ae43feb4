// `dnsward alerts list|show|ack|mute|export`: the analyst's view of detection alerts in the store (SQLite or the
// fleet's PostgreSQL).
import type { Command } from 'commander';
import { DnswardError } from '../../errors.js';
import type { AlertStatus, Severity } from '../../model/alert.js';
import { isSeverity, type AlertFilter, type StoredAlert } from '../../store/alert-repository.js';
import { CONFIG_OPTION, DB_OPTION, withCliStore, type StoreTargetOptions } from '../store-target.js';
import { processIo, type CommandIo } from '../command-io.js';
import { parseCount, parseTime } from '../options.js';
import { existsSync } from 'node:fs';
import { isPostgresUrl } from '../../store/open-store.js';
import type { Store } from '../../store/store.js';
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

export interface ListOptions extends StoreTargetOptions {
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

export interface ShowOptions extends StoreTargetOptions {
  readonly queries?: string | undefined;
  readonly json?: boolean | undefined;
}

export interface AckOptions extends StoreTargetOptions {
  readonly reason?: string | undefined;
}

export interface MuteOptions extends StoreTargetOptions {
  readonly domain?: string | undefined;
  readonly agent?: string | undefined;
  readonly reason?: string | undefined;
  readonly until?: string | undefined;
}

export interface ExportOptions extends StoreTargetOptions {
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

export async function alertsList(options: ListOptions, io: AlertsIo = processIo): Promise<void> {
  const format = selectFormat(options);
  const filter = buildFilter(options, io.now());
  const alerts = await withCliStore(options, true, (store) => store.alerts.list(filter));
  printAlerts(io, alerts, format);
}

export async function alertsShow(id: string, options: ShowOptions, io: AlertsIo = processIo): Promise<void> {
  const alertId = parseId(id);
  const limit = options.queries === undefined ? 20 : parseCount('--queries', options.queries);
  const format = selectFormat(options);
  await withCliStore(options, true, async (store) => {
    const alert = await store.alerts.get(alertId);
    if (alert === undefined) throw new DnswardError('DNSWARD_ERR_NOT_FOUND', `no alert ${id}`);
    const queries = await sampleQueries(store, alert, limit);
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

export async function alertsAck(id: string, options: AckOptions, io: AlertsIo = processIo): Promise<void> {
  const alertId = parseId(id);
  mustExist(options);
  await withCliStore(options, false, async (store) => {
    if (!(await store.alerts.ack(alertId, io.now(), options.reason ?? null))) {
      throw new DnswardError('DNSWARD_ERR_NOT_FOUND', `no alert ${id}`);
    }
  });
  io.out(`acked alert ${String(alertId)}\n`);
}

export async function alertsMute(options: MuteOptions, io: AlertsIo = processIo): Promise<void> {
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
  const result = await withCliStore(options, false, (store) => store.alerts.mute(mute, now));
  const what = [mute.domain && `domain ${mute.domain}`, mute.agentId && `agent ${mute.agentId}`]
    .filter(Boolean)
    .join(' and ');
  const until = untilMs === null ? 'until removed' : `until ${new Date(untilMs).toISOString()}`;
  io.out(`mute ${String(result.id)}: ${what} ${until}; ${String(result.muted)} open alert(s) marked muted\n`);
}

export async function alertsExport(options: ExportOptions, io: AlertsIo = processIo): Promise<void> {
  const format = selectFormat(options, 'ndjson');
  const alerts = await withCliStore(options, true, (store) => store.alerts.all());
  if (format === 'ndjson') {
    for (const alert of alerts) io.out(`${JSON.stringify(alert)}\n`);
    return;
  }
  printAlerts(io, alerts, format);
}

/** Query-log rows of the alert's agent under its base domain in [firstSeen, lastSeen], newest first. */
async function sampleQueries(
  store: Store,
  alert: StoredAlert,
  limit: number,
): Promise<Record<string, Cell>[]> {
  const base = alert.baseDomain;
  const anyDomain = base === '*' || base.startsWith('(');
  const found = await store.queryLog.find({
    agent: alert.agentId,
    name: anyDomain ? undefined : `*.${base}`,
    sinceMs: Date.parse(alert.firstSeen),
    untilMs: Date.parse(alert.lastSeen),
    limit,
  });
  return found.map((q) => ({
    ts: new Date(q.ts).toISOString(),
    clientIp: q.clientIp,
    qname: q.qname,
    qtype: q.qtype,
    decision: q.decision,
    rcode: q.rcode,
  }));
}

/** Writing to a SQLite file that is not there is a wrong --db, not a new store. */
function mustExist(options: StoreTargetOptions): void {
  const db = options.db ?? (options.config === undefined ? 'dnsward.db' : undefined);
  if (db === undefined || isPostgresUrl(db)) return;
  const path = db.startsWith('sqlite:') ? db.slice('sqlite:'.length) : db;
  if (!existsSync(path))
    throw new DnswardError('DNSWARD_ERR_STORE', `no database at ${path} (is --db right?)`);
}

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description('list, inspect, acknowledge, mute and export detection alerts');

  alerts
    .command('list')
    .description('alerts, most recently active first (table; --json or --csv)')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
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
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .option('--queries <n>', 'query-log rows to show', '20')
    .option('--json', 'JSON {alert, queries}')
    .action((id: string, options: ShowOptions) => alertsShow(id, options));

  alerts
    .command('ack')
    .description('acknowledge an alert (it reopens if it escalates afterwards)')
    .argument('<id>', 'alert id')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .option('--reason <text>', 'note kept with the alert')
    .action((id: string, options: AckOptions) => alertsAck(id, options));

  alerts
    .command('mute')
    .description('mute alerts for a base domain and/or an agent; new ones are stored as muted')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .option('--domain <domain>', 'base domain (and everything below it)')
    .option('--agent <id>', 'agent id')
    .option('--reason <text>', 'why (required)')
    .option('--until <when>', 'a duration from now (2h, 7d) or an ISO 8601 time; default: until removed')
    .action((options: MuteOptions) => alertsMute(options));

  alerts
    .command('export')
    .description('every alert: NDJSON by default, or --json / --csv')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .option('--json', 'one JSON array')
    .option('--csv', 'CSV')
    .action((options: ExportOptions) => alertsExport(options));
}
