// The connection log: batched inserts from the egress connection log, filtered reads for `dnsward connections`.
import type { ConnectionDecision, ConnectionEvent } from '../model/connection-event.js';
import type { Db } from './database.js';

export interface ConnectionFilter {
  readonly agent?: string | undefined;
  readonly dst?: string | undefined;
  readonly decision?: ConnectionDecision | undefined;
  readonly sinceMs?: number | undefined;
  readonly limit?: number | undefined;
}

interface ConnectionRow {
  readonly ts: number;
  readonly agent_id: string;
  readonly grp: string;
  readonly src_ip: string;
  readonly proto: string;
  readonly src_port: number;
  readonly dst: string;
  readonly dst_port: number;
  readonly decision: ConnectionDecision;
  readonly bytes_out: number;
  readonly bytes_in: number;
  readonly duration_ms: number;
  readonly qname: string | null;
}

export class ConnectionRepository {
  private readonly insert;
  private readonly insertAll;
  private readonly pruneBefore;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(`INSERT INTO connections
      (ts, agent_id, grp, src_ip, proto, src_port, dst, dst_port, decision, bytes_out, bytes_in, duration_ms, qname)
      VALUES (@ts, @agentId, @group, @srcIp, @proto, @srcPort, @dst, @dstPort, @decision, @bytesOut, @bytesIn,
        @durationMs, @qname)`);
    this.insertAll = db.transaction((events: readonly ConnectionEvent[]) => {
      for (const event of events) this.insert.run(event);
    });
    this.pruneBefore = db.prepare('DELETE FROM connections WHERE ts < ?');
  }

  /** One transaction for the batch. */
  saveBatch(events: readonly ConnectionEvent[]): void {
    if (events.length > 0) this.insertAll(events);
  }

  /** Newest first, at most `limit` (default 1000). */
  find(filter: ConnectionFilter = {}): ConnectionEvent[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number | undefined): void => {
      if (value === undefined) return;
      where.push(clause);
      params.push(value);
    };
    add('agent_id = ?', filter.agent);
    add('dst = ?', filter.dst);
    add('decision = ?', filter.decision);
    add('ts >= ?', filter.sinceMs);
    const sql = `SELECT * FROM connections ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ts DESC, id DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, filter.limit ?? 1000) as ConnectionRow[];
    return rows.map(fromRow);
  }

  /** Deletes rows older than `beforeMs`; returns how many. */
  prune(beforeMs: number): number {
    return this.pruneBefore.run(beforeMs).changes;
  }
}

function fromRow(row: ConnectionRow): ConnectionEvent {
  return {
    ts: row.ts,
    agentId: row.agent_id,
    group: row.grp,
    srcIp: row.src_ip,
    proto: row.proto,
    srcPort: row.src_port,
    dst: row.dst,
    dstPort: row.dst_port,
    decision: row.decision,
    bytesOut: row.bytes_out,
    bytesIn: row.bytes_in,
    durationMs: row.duration_ms,
    qname: row.qname,
  };
}
