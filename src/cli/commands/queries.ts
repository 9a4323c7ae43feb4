// `dnsward queries`: which agent resolved what, when — filtered from the query log.
import type { Command } from 'commander';
import { processIo, type CommandIo } from '../command-io.js';
import { CONFIG_OPTION, DB_OPTION, withCliStore } from '../store-target.js';
import { formatRows } from '../output.js';
import { parseCount, parseTime } from '../options.js';

/** Rows one `queries` call prints at most: enough for any analyst, bounded for the process. */
const MAX_LIMIT = 1_000_000;

const COLUMNS = [
  'ts',
  'agentId',
  'group',
  'clientIp',
  'transport',
  'qname',
  'qtype',
  'decision',
  'reason',
  'rcode',
  'answeredBy',
  'latencyUs',
  'instance',
];

export interface QueriesOptions {
  db?: string;
  config?: string;
  agent?: string;
  name?: string;
  decision?: string;
  group?: string;
  namespace?: string;
  pod?: string;
  serviceAccount?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
  csv?: boolean;
}

/** `dnsward queries`: logged queries matching the filters, newest first. */
export async function queries(options: QueriesOptions, io: CommandIo = processIo): Promise<void> {
  const limit = parseCount('--limit', options.limit, MAX_LIMIT);
  await withCliStore(options, true, async (store) => {
    const events = await store.queryLog.find({
      agent: options.agent,
      name: options.name,
      decisions: options.decision === undefined ? undefined : [options.decision],
      group: options.group,
      namespace: options.namespace,
      pod: options.pod,
      serviceAccount: options.serviceAccount,
      sinceMs: options.since === undefined ? undefined : parseTime('--since', options.since, io.now()),
      untilMs: options.until === undefined ? undefined : parseTime('--until', options.until, io.now()),
      limit,
    });
    const rows = events.map((e) => ({ ...e, ts: new Date(e.ts).toISOString() }));
    const format = options.json ? 'json' : options.csv ? 'csv' : 'table';
    io.out(formatRows(rows, format === 'table' ? COLUMNS : Object.keys(rows[0] ?? { ts: 0 }), format));
  });
}

export function registerQueries(program: Command): void {
  program
    .command('queries')
    .description('list logged queries, newest first')
    .option(...DB_OPTION)
    .option(...CONFIG_OPTION)
    .option('--agent <id>', 'only this agent')
    .option('--name <name>', 'exact name, or "*.example.org" for a name and everything below it')
    .option('--decision <decision>', 'allow | deny | would-deny | malformed | ...')
    .option('--group <group>', 'only this group')
    .option('--namespace <ns>', 'only pods in this Kubernetes namespace')
    .option('--pod <name>', 'only this pod')
    .option('--service-account <name>', 'only pods running as this service account')
    .option('--since <when>', 'duration ago (30m, 2h, 7d) or ISO 8601 time')
    .option('--until <when>', 'duration ago or ISO 8601 time')
    .option('--limit <n>', `at most this many rows (1 to ${MAX_LIMIT})`, '1000')
    .option('--json', 'JSON array of query events')
    .option('--csv', 'CSV')
    .action((options: QueriesOptions) => queries(options));
}
