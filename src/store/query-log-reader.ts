// Reading the query log: segments pruned by time range and agent in SQL, their rows decoded and filtered here.
import type { QueryEvent } from '../model/query-event.js';
import type { Db } from './database.js';
import { decodeRows } from './query-log-row.js';

export interface QueryFilter {
  readonly agent?: string | undefined;
  /** Exact name, or "*.suffix" for a name and everything below it. */
  readonly name?: string | undefined;
  /** Any of these decisions. */
  readonly decisions?: readonly string[] | undefined;
  readonly group?: string | undefined;
  readonly namespace?: string | undefined;
  readonly pod?: string | undefined;
  readonly serviceAccount?: string | undefined;
  readonly sinceMs?: number | undefined;
  readonly untilMs?: number | undefined;
  readonly limit?: number | undefined;
}

/** A logged query with the replica that wrote it (store.instance; '' before migration 012). */
export type LoggedQuery = QueryEvent & { readonly instance: string };

interface SegmentRow {
  readonly last_ts: number;
  readonly rows: string;
  readonly instance?: string;
}

/** Newest first, at most `limit` rows (default 1000); equal times keep the order they were logged in, newest first. */
export function findQueries(db: Db, filter: QueryFilter): LoggedQuery[] {
  const limit = filter.limit ?? 1000;
  const found: LoggedQuery[] = [];
  // Segments come newest-last-query first; once `limit` rows are held, a segment that ends before the oldest of
  // them cannot add a newer one. A segment spans one batch, so rows are roughly but not strictly in time order.
  let cutoff = -Infinity;
  for (const segment of segments(db, filter, 'DESC')) {
    if (segment.last_ts < cutoff) break;
    const matches = decodeMatching(segment, filter);
    for (let i = matches.length - 1; i >= 0; i--) found.push(matches[i] as LoggedQuery);
    if (found.length >= limit) {
      found.sort(newestFirst);
      found.length = limit;
      cutoff = (found[limit - 1] as LoggedQuery).ts;
    }
  }
  return found.sort(newestFirst).slice(0, limit);
}

/** Every logged query matching `filter`, in the order the segments were written (no limit). */
export function* scanQueries(db: Db, filter: QueryFilter): Generator<LoggedQuery> {
  for (const segment of segments(db, filter, 'ASC')) yield* decodeMatching(segment, filter);
}

export function countQueries(db: Db): number {
  return (db.prepare('SELECT coalesce(sum(count), 0) AS n FROM query_log_segments').get() as { n: number }).n;
}

function segments(db: Db, filter: QueryFilter, order: 'ASC' | 'DESC'): IterableIterator<SegmentRow> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.sinceMs !== undefined) {
    where.push('last_ts >= ?');
    params.push(filter.sinceMs);
  }
  if (filter.untilMs !== undefined) {
    where.push('first_ts <= ?');
    params.push(filter.untilMs);
  }
  if (filter.agent !== undefined) {
    where.push('id IN (SELECT segment_id FROM query_log_segment_agents WHERE agent_id = ?)');
    params.push(filter.agent);
  }
  const sql = `SELECT * FROM query_log_segments
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order === 'DESC' ? 'last_ts DESC, id DESC' : 'id'}`;
  return db.prepare(sql).iterate(...params) as IterableIterator<SegmentRow>;
}

/** The segment's rows that pass `filter`, in logged order. */
function decodeMatching(segment: SegmentRow, filter: QueryFilter): LoggedQuery[] {
  const matches = nameMatcher(filter.name);
  const instance = segment.instance ?? '';
  const out: LoggedQuery[] = [];
  for (const e of decodeRows(segment.rows)) {
    if (filter.agent !== undefined && e.agentId !== filter.agent) continue;
    if (filter.decisions !== undefined && !filter.decisions.includes(e.decision)) continue;
    if (filter.group !== undefined && e.group !== filter.group) continue;
    if (filter.namespace !== undefined && e.namespace !== filter.namespace) continue;
    if (filter.pod !== undefined && e.pod !== filter.pod) continue;
    if (filter.serviceAccount !== undefined && e.serviceAccount !== filter.serviceAccount) continue;
    if (filter.sinceMs !== undefined && e.ts < filter.sinceMs) continue;
    if (filter.untilMs !== undefined && e.ts > filter.untilMs) continue;
    if (!matches(e.qname)) continue;
    out.push({ ...e, instance });
  }
  return out;
}

function nameMatcher(pattern: string | undefined): (qname: string) => boolean {
  if (pattern === undefined) return () => true;
  const name = pattern.toLowerCase().replace(/\.$/, '');
  if (!name.startsWith('*.')) return (qname) => qname === name;
  const suffix = name.slice(1);
  return (qname) => qname === suffix.slice(1) || qname.endsWith(suffix);
}

/** Stable for equal times: Array.prototype.sort keeps the (newest-first) order rows were pushed in. */
function newestFirst(a: QueryEvent, b: QueryEvent): number {
  return b.ts - a.ts;
}
