// Query-log writer: one SQLite transaction and one segment row per batch of events (AG-404 4.4); drops are
// recorded too. Column order is the `queries` view's (migrations/009-query-log-segments.sql). Past its size cap
// (a high-water mark on the database's used pages) a batch's rows are not written: counted, and alerts keep room.
import type { EventConsumer } from '../model/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';
import type { Db } from './database.js';
import { encodeRows } from './query-log-row.js';

/** The cap check reads the page counts at most this often while the estimate stays under it. */
const USED_BYTES_RECHECK_MS = 1000;

export class QueryLogWriter implements EventConsumer {
  private readonly insertBatch;
  private readonly insertDrops;
  private readonly deleteOlder;
  private readonly pageSize: number;
  written = 0;
  /** Rows not written because the database was at maxBytes. */
  capped = 0;
  /** Milliseconds between the newest event's arrival and its commit, at the last batch. */
  lagMs = 0;
  /** Used bytes at the last page count plus the segment text written since: two pragmas per batch cost ~2 % CPU. */
  private usedEstimate = 0;
  private usedMeasuredAt = -Infinity;

  /** `maxBytes` (store.queryLogMaxMiB): the query log stops growing once the database's used pages reach it (null: no cap). */
  constructor(
    private readonly db: Db,
    private readonly retentionMs: number,
    /** store.instance: the replica named on each segment and drop count. */
    private readonly instance = '',
    private readonly maxBytes: number | null = null,
  ) {
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    const insertSegment = db.prepare(
      'INSERT INTO query_log_segments (first_ts, last_ts, count, rows, instance) VALUES (?, ?, ?, ?, ?)',
    );
    const insertAgent = db.prepare(
      'INSERT INTO query_log_segment_agents (segment_id, agent_id) VALUES (?, ?)',
    );
    // One segment per batch: the rows as one JSON text, the time range and agents for readers to prune by.
    this.insertBatch = db.transaction((batch: readonly QueryEvent[], rowsJson: string) => {
      const agents = new Set<string>();
      let firstTs = Infinity;
      let lastTs = -Infinity;
      for (const e of batch) {
        agents.add(e.agentId);
        if (e.ts < firstTs) firstTs = e.ts;
        if (e.ts > lastTs) lastTs = e.ts;
      }
      const id = insertSegment.run(firstTs, lastTs, batch.length, rowsJson, this.instance).lastInsertRowid;
      for (const agent of agents) insertAgent.run(id, agent);
    });
    this.insertDrops = db.prepare('INSERT INTO query_log_drops (ts, dropped, instance) VALUES (?, ?, ?)');
    const deleteAgents = db.prepare(
      'DELETE FROM query_log_segment_agents WHERE segment_id IN (SELECT id FROM query_log_segments WHERE last_ts < ?)',
    );
    const deleteSegments = db.prepare('DELETE FROM query_log_segments WHERE last_ts < ?');
    this.deleteOlder = db.transaction((cutoff: number) => {
      deleteAgents.run(cutoff);
      return deleteSegments.run(cutoff).changes;
    });
  }

  consume(batch: readonly QueryEvent[]): void {
    if (batch.length > 0) this.writeSegment(batch, encodeRows(batch));
  }

  /** Bytes in use: pages minus free pages (retention frees pages that later segments reuse). */
  usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * this.pageSize;
  }

  /**
   * `rowsJson` is encodeRows(batch), already made where the batch was handed over (the stage thread). Returns
   * false when the batch was not written because the database is at its cap (the rows are counted in `capped`).
   */
  writeSegment(batch: readonly QueryEvent[], rowsJson: string): boolean {
    if (this.maxBytes !== null && this.atCap(this.maxBytes)) {
      this.capped += batch.length;
      return false;
    }
    this.insertBatch(batch, rowsJson);
    this.usedEstimate += rowsJson.length;
    this.written += batch.length;
    this.lagMs = Date.now() - (batch[batch.length - 1]?.ts ?? Date.now());
    return true;
  }

  /** Counts pages only when the estimate reaches the cap or is a second old (retention frees pages meanwhile). */
  private atCap(maxBytes: number): boolean {
    const now = performance.now();
    if (this.usedEstimate >= maxBytes || now - this.usedMeasuredAt >= USED_BYTES_RECHECK_MS) {
      this.usedEstimate = this.usedBytes();
      this.usedMeasuredAt = now;
    }
    return this.usedEstimate >= maxBytes;
  }

  recordDrops(dropped: number, now = Date.now()): void {
    this.insertDrops.run(now, dropped, this.instance);
  }

  /**
   * Deletes segments whose newest query is past retention; run from a timer, not per batch. A segment spans one
   * batch (about flushIntervalMs of arrivals plus the slowest answer), so rows outlive retention by at most that.
   * Returns the number of segments deleted.
   */
  prune(now = Date.now()): number {
    this.usedMeasuredAt = -Infinity; // freed pages: count again before the next batch
    return this.deleteOlder(now - this.retentionMs);
  }
}
