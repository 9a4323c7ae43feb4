// `dnsward queries`: which agent resolved what, when — filtered from the query log.
import type { Command } from 'commander';
import { CONFIG_OPTION, DB_OPTION, withCliStore } from '../store-target.js';
import { formatRows } from '../output.js';
import { parseTime } from '../options.js';

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

interface QueriesOptions {
  db?: string;
  config?: string;
  agent?: string;
  name?: string;
  decision?: string;
  group?: string;
  since?: string;
  until?: string;
  limit: string;
  json?: boolean;
  csv?: boolean;
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
    .option('--since <when>', 'duration ago (30m, 2h, 7d) or ISO 8601 time')
    .option('--until <when>', 'duration ago or ISO 8601 time')
    .option('--limit <n>', 'at most this many rows', '1000')
    .option('--json', 'JSON array of query events')
    .option('--csv', 'CSV')
    .action(async (options: QueriesOptions) => {
      await withCliStore(options, true, async (store) => {
        const events = await store.queryLog.find({
          agent: options.agent,
          name: options.name,
          decisions: options.decision === undefined ? undefined : [options.decision],
          group: options.group,
          sinceMs: options.since === undefined ? undefined : parseTime('--since', options.since, Date.now()),
          untilMs: options.until === undefined ? undefined : parseTime('--until', options.until, Date.now()),
          limit: Number(options.limit),
        });
        const rows = events.map((e) => ({ ...e, ts: new Date(e.ts).toISOString() }));
        const format = options.json ? 'json' : options.csv ? 'csv' : 'table';
        process.stdout.write(
          formatRows(rows, format === 'table' ? COLUMNS : Object.keys(rows[0] ?? { ts: 0 }), format),
        );
      });
    });
}
