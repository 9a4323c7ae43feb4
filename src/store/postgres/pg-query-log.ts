// The query log in PostgreSQL: one row per query, written per batch with COPY (bench/micro/pg-query-log.ts: COPY
// beat multi-row INSERT), into day partitions created on first use; retention drops whole partitions.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { QueryEvent } from '../../model/query-event.js';
import { DROP_TALLY, toDropTally, type DropTallyRow } from '../policy-versions.js';
import { queryLogRow } from '../query-log-row.js';
import type { QueryFilter } from '../query-log-reader.js';
import type { DropTally, LoggedQuery, QueryLogStore } from '../store.js';

const DAY_MS = 86_400_000;
const SCAN_PAGE_ROWS = 5000;
const COLUMNS = `ts, transport, client_ip, client_port, agent_id, grp, tier, qname, qtype, decision, reason,
  rule_id, rcode, upstream, cached, answered_by, latency_us, req_bytes, resp_bytes, answers, namespace, pod, pod_uid,
  service_account, instance`;

/** COPY text format: tab-separated, \N for null, backslash escapes. */
function copyField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

export function copyText(batch: readonly QueryEvent[], instance: string): string {
  const tail = `\t${copyField(instance)}\n`;
  let text = '';
  for (const e of batch) text += queryLogRow(e).map(copyField).join('\t') + tail;
  return text;
}

export function partitionName(dayStartMs: number): string {
  return `query_log_${new Date(dayStartMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

interface Row {
  seq: number;
  ts: number;
  transport: QueryEvent['transport'];
  client_ip: string;
  client_port: number;
  agent_id: string;
  grp: string;
  tier: QueryEvent['tier'];
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
  namespace: string | null;
  pod: string | null;
  pod_uid: string | null;
  service_account: string | null;
  instance: string;
}

function toQuery(r: Row): LoggedQuery {
  return {
    ts: r.ts,
    transport: r.transport,
    clientIp: r.client_ip,
    clientPort: r.client_port,
    agentId: r.agent_id,
    group: r.grp,
    tier: r.tier,
    qname: r.qname,
    qtype: r.qtype,
    decision: r.decision,
    reason: r.reason,
    ruleId: r.rule_id,
    rcode: r.rcode,
    upstream: r.upstream,
    cached: r.cached === 1,
    answeredBy: r.answered_by,
    latencyUs: r.latency_us,
    reqBytes: r.req_bytes,
    respBytes: r.resp_bytes,
    answers: r.answers,
    namespace: r.namespace,
    pod: r.pod,
    podUid: r.pod_uid,
    serviceAccount: r.service_account,
    instance: r.instance,
  };
}

function whereOf(filter: QueryFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (p: string) => string, value: unknown): void => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter.agent !== undefined) add((p) => `agent_id = ${p}`, filter.agent);
  if (filter.group !== undefined) add((p) => `grp = ${p}`, filter.group);
  if (filter.namespace !== undefined) add((p) => `namespace = ${p}`, filter.namespace);
  if (filter.pod !== undefined) add((p) => `pod = ${p}`, filter.pod);
  if (filter.serviceAccount !== undefined) add((p) => `service_account = ${p}`, filter.serviceAccount);
  if (filter.decisions !== undefined) add((p) => `decision = ANY(${p})`, filter.decisions);
  if (filter.sinceMs !== undefined) add((p) => `ts >= ${p}`, filter.sinceMs);
  if (filter.untilMs !== undefined) add((p) => `ts <= ${p}`, filter.untilMs);
  if (filter.name !== undefined) {
    const name = filter.name.toLowerCase().replace(/\.$/, '');
    if (name.startsWith('*.')) {
      add((p) => `(qname = ${p} OR right(qname, length(${p}) + 1) = '.' || ${p})`, name.slice(2));
    } else add((p) => `qname = ${p}`, name);
  }
  return { sql: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}

export class PgQueryLog implements QueryLogStore {
  /** Day partitions known to exist (by start of day, epoch ms). */
  private readonly days = new Set<number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly instance: string,
    private readonly retentionMs: number,
  ) {}

  async write(batch: readonly QueryEvent[]): Promise<boolean> {
    if (batch.length === 0) return true;
    const days = new Set(batch.map((e) => Math.floor(e.ts / DAY_MS) * DAY_MS));
    for (const day of days) await this.ensurePartition(day);
    const client = await this.pool.connect();
    try {
      await pipeline(
        Readable.from([copyText(batch, this.instance)]),
        client.query(copyFrom(`COPY query_log (${COLUMNS}) FROM STDIN`)),
      );
    } finally {
      client.release();
    }
    return true;
  }

  async recordDrops(dropped: number, nowMs: number): Promise<void> {
    await this.pool.query('INSERT INTO query_log_drops (ts, dropped, instance) VALUES ($1, $2, $3)', [
      nowMs,
      dropped,
      this.instance,
    ]);
  }

  async drops(sinceMs: number): Promise<DropTally[]> {
    return (await this.pool.query<DropTallyRow>(DROP_TALLY, [sinceMs])).rows.map(toDropTally);
  }

  async find(filter: QueryFilter): Promise<LoggedQuery[]> {
    const { sql, params } = whereOf(filter);
    const limit = Math.floor(filter.limit ?? 1000);
    const rows = await this.pool.query<Row>(
      `SELECT * FROM query_log ${sql} ORDER BY ts DESC, seq DESC LIMIT ${limit}`,
      params,
    );
    return rows.rows.map(toQuery);
  }

  /** In pages after the last (ts, seq) read: memory holds one page, however long the window (`dnsward report`). */
  async *scan(filter: QueryFilter): AsyncIterable<LoggedQuery> {
    const { sql, params } = whereOf(filter);
    const n = params.length;
    const next = `${sql === '' ? 'WHERE' : `${sql} AND`} (ts, seq) > ($${n + 1}, $${n + 2})`;
    let last: Row | undefined;
    for (;;) {
      const rows: Row[] = (
        await this.pool.query<Row>(
          `SELECT * FROM query_log ${last === undefined ? sql : next} ORDER BY ts, seq LIMIT ${SCAN_PAGE_ROWS}`,
          last === undefined ? params : [...params, last.ts, last.seq],
        )
      ).rows;
      for (const r of rows) yield toQuery(r);
      if (rows.length < SCAN_PAGE_ROWS) return;
      last = rows[rows.length - 1];
    }
  }

  async count(): Promise<number> {
    const row = await this.pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM query_log');
    return row.rows[0]?.n ?? 0;
  }

  /** Drops the day partitions wholly older than retention. */
  async prune(nowMs: number): Promise<number> {
    const cutoff = nowMs - this.retentionMs;
    const parts = await this.pool.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'query_log'`,
    );
    let dropped = 0;
    for (const { name } of parts.rows) {
      const match = /^query_log_(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (match === null) continue;
      const dayStart = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
      if (dayStart + DAY_MS > cutoff) continue;
      await this.pool.query(`DROP TABLE IF EXISTS ${name}`);
      this.days.delete(dayStart);
      dropped++;
    }
    return dropped;
  }

  private async ensurePartition(dayStart: number): Promise<void> {
    if (this.days.has(dayStart)) return;
    const name = partitionName(dayStart);
    try {
      await this.pool.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF query_log FOR VALUES FROM (${dayStart}) TO (${dayStart + DAY_MS})`,
      );
    } catch (error) {
      // another replica created it between our check and our create: that is what we wanted
      if ((error as { code?: string }).code !== '42P07' && (error as { code?: string }).code !== '23505')
        throw error;
    }
    this.days.add(dayStart);
  }
}
