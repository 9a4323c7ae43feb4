// Reading the query log: the filters of `dnsward queries` as one parameterised SQL statement.
import type { QueryEvent } from '../model/query-event.js';
import type { Db } from './database.js';

export interface QueryFilter {
  readonly agent?: string | undefined;
  /** Exact name, or "*.suffix" for a name and everything below it. */
  readonly name?: string | undefined;
  readonly decision?: string | undefined;
  readonly group?: string | undefined;
  readonly sinceMs?: number | undefined;
  readonly untilMs?: number | undefined;
  readonly limit?: number | undefined;
}

interface QueryRow {
  ts: number;
  transport: 'udp' | 'tcp';
  client_ip: string;
  client_port: number;
  agent_id: string;
  grp: string;
  tier: 1 | 2 | 3 | 4;
  qname: string;
  qtype: string;
  decision: QueryEvent['decision'];
  reason: string;
  rule_id: string;
  rcode: string;
  upstream: string | null;
  cached: number;
  answered_by: QueryEvent['answeredBy'];
  latency_us: number;
  req_bytes: number;
  resp_bytes: number;
  answers: number;
}

/** Newest first, at most `limit` rows (default 1000). */
export function findQueries(db: Db, filter: QueryFilter): QueryEvent[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.agent !== undefined) {
    where.push('agent_id = ?');
    params.push(filter.agent);
  }
  if (filter.name !== undefined) {
    const name = filter.name.toLowerCase().replace(/\.$/, '');
    if (name.startsWith('*.')) {
      where.push("(qname = ? OR qname LIKE ? ESCAPE '\\')");
      params.push(name.slice(2), `%.${name.slice(2).replace(/[\\%_]/g, (c) => `\\${c}`)}`);
    } else {
      where.push('qname = ?');
      params.push(name);
    }
  }
  if (filter.decision !== undefined) {
    where.push('decision = ?');
    params.push(filter.decision);
  }
  if (filter.group !== undefined) {
    where.push('grp = ?');
    params.push(filter.group);
  }
  if (filter.sinceMs !== undefined) {
    where.push('ts >= ?');
    params.push(filter.sinceMs);
  }
  if (filter.untilMs !== undefined) {
    where.push('ts <= ?');
    params.push(filter.untilMs);
  }
  const sql = `SELECT * FROM queries ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts DESC, id DESC LIMIT ?`;
  params.push(filter.limit ?? 1000);
  return (db.prepare(sql).all(...params) as QueryRow[]).map(toEvent);
}

export function countQueries(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM queries').get() as { n: number }).n;
}

function toEvent(row: QueryRow): QueryEvent {
  return {
    ts: row.ts,
    transport: row.transport,
    clientIp: row.client_ip,
    clientPort: row.client_port,
    agentId: row.agent_id,
    group: row.grp,
    tier: row.tier,
    qname: row.qname,
    qtype: row.qtype,
    decision: row.decision,
    reason: row.reason,
    ruleId: row.rule_id,
    rcode: row.rcode,
    upstream: row.upstream,
    cached: row.cached === 1,
    answeredBy: row.answered_by,
    latencyUs: row.latency_us,
    reqBytes: row.req_bytes,
    respBytes: row.resp_bytes,
    answers: row.answers,
  };
}
