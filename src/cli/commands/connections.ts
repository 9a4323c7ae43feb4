// `dnsward connections`: which agent connected where, allowed or dropped, with bytes and the name that opened it.
import type { Command } from 'commander';
import { DnswardError } from '../../errors.js';
import { connectionJson } from '../../model/connection-event.js';
import { ConnectionRepository } from '../../store/connection-repository.js';
import { openDatabase } from '../../store/database.js';
import { formatRows } from '../output.js';
import { parseTime } from '../options.js';

const COLUMNS = ['ts', 'agentId', 'proto', 'dst', 'dstPort', 'decision', 'bytesOut', 'bytesIn', 'qname'];

interface ConnectionsOptions {
  db: string;
  agent?: string;
  dst?: string;
  decision?: string;
  since?: string;
  limit: string;
  json?: boolean;
  csv?: boolean;
}

export function registerConnections(program: Command): void {
  program
    .command('connections')
    .description('list logged agent connections (egress.conntrack), newest first')
    .option('--db <file>', 'SQLite database', 'dnsward.db')
    .option('--agent <id>', 'only this agent')
    .option('--dst <address>', 'only this destination address')
    .option('--decision <decision>', 'allowed | dropped')
    .option('--since <when>', 'duration ago (30m, 2h, 7d) or ISO 8601 time')
    .option('--limit <n>', 'at most this many rows', '1000')
    .option('--json', 'JSON array of connection events')
    .option('--csv', 'CSV')
    .action((options: ConnectionsOptions) => {
      const decision = options.decision;
      if (decision !== undefined && decision !== 'allowed' && decision !== 'dropped')
        throw new DnswardError(
          'DNSWARD_ERR_USAGE',
          `--decision: expected allowed or dropped, got "${decision}"`,
        );
      const db = openDatabase(options.db, { readonly: true });
      try {
        const events = new ConnectionRepository(db).find({
          agent: options.agent,
          dst: options.dst,
          decision,
          sinceMs: options.since === undefined ? undefined : parseTime('--since', options.since, Date.now()),
          limit: Number(options.limit),
        });
        const rows = events.map(connectionJson);
        const format = options.json ? 'json' : options.csv ? 'csv' : 'table';
        process.stdout.write(
          formatRows(rows, format === 'table' ? COLUMNS : Object.keys(rows[0] ?? { ts: 0 }), format),
        );
      } finally {
        db.close();
      }
    });
}
