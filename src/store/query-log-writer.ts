// Query-log writer: one SQLite transaction per batch of events (AG-404 4.4); drops are recorded too.
import type { EventConsumer } from '../events/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';
import type { Db } from './database.js';

/** The `queries` columns, in the order queryLogRow() gives their values. */
export const QUERY_LOG_COLUMNS = [
  'ts',
  'transport',
  'client_ip',
  'client_port',
  'agent_id',
  'grp',
  'tier',
  'qname',
  'qtype',
  'decision',
  'reason',
  'rule_id',
  'rcode',
  'upstream',
  'cached',
  'answered_by',
  'latency_us',
  'req_bytes',
  'resp_bytes',
  'answers',
] as const;

export function queryLogRow(e: QueryEvent): (string | number | null)[] {
  return [
    e.ts,
    e.transport,
    e.clientIp,
    e.clientPort,
    e.agentId,
    e.group,
    e.tier,
    e.qname,
    e.qtype,
    e.decision,
    e.reason,
    e.ruleId,
    e.rcode,
    e.upstream,
    e.cached ? 1 : 0,
    e.answeredBy,
    e.latencyUs,
    e.reqBytes,
    e.respBytes,
    e.answers,
  ];
}

export class QueryLogWriter implements EventConsumer {
  private readonly insert;
  private readonly insertBatch;
  private readonly insertDrops;
  private readonly deleteOlder;
  written = 0;
  /** Milliseconds between the newest event's arrival and its commit, at the last batch. */
  lagMs = 0;

  constructor(
    private readonly db: Db,
    private readonly retentionMs: number,
  ) {
    this.insert = db.prepare(
      `INSERT INTO queries (${QUERY_LOG_COLUMNS.join(', ')}) VALUES (${QUERY_LOG_COLUMNS.map(() => '?').join(', ')})`,
    );
    this.insertBatch = db.transaction((batch: readonly QueryEvent[]) => {
      for (const e of batch) this.insert.run(queryLogRow(e));
    });
    this.insertDrops = db.prepare('INSERT INTO query_log_drops (ts, dropped) VALUES (?, ?)');
    this.deleteOlder = db.prepare('DELETE FROM queries WHERE ts < ?');
  }

  consume(batch: readonly QueryEvent[]): void {
    if (batch.length === 0) return;
    this.insertBatch(batch);
    this.written += batch.length;
    this.lagMs = Date.now() - (batch[batch.length - 1]?.ts ?? Date.now());
  }

  recordDrops(dropped: number, now = Date.now()): void {
    this.insertDrops.run(now, dropped);
  }

  /** Deletes rows past retention; run from a timer, not per batch. */
  prune(now = Date.now()): number {
    return this.deleteOlder.run(now - this.retentionMs).changes;
  }
}
