// A query event as one query-log row: an array in the `queries` view's column order
// (migrations/009-query-log-segments.sql), the unit of a segment's JSON and of the hand-off to the stage thread.
import type { QueryEvent } from '../model/query-event.js';

/** One query as stored in a segment: the `queries` view's columns, in order. */
export type LoggedRow = [
  ts: number,
  transport: QueryEvent['transport'],
  clientIp: string,
  clientPort: number,
  agentId: string,
  group: string,
  tier: QueryEvent['tier'],
  qname: string,
  qtype: string,
  decision: QueryEvent['decision'],
  reason: string,
  ruleId: string,
  rcode: string,
  upstream: string | null,
  cached: 0 | 1,
  answeredBy: QueryEvent['answeredBy'],
  latencyUs: number,
  reqBytes: number,
  respBytes: number,
  answers: number,
  // added in migration 010; rows written before it end at `answers`
  namespace?: string | null,
  pod?: string | null,
  podUid?: string | null,
  serviceAccount?: string | null,
];

export function queryLogRow(e: QueryEvent): LoggedRow {
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
    e.namespace ?? null,
    e.pod ?? null,
    e.podUid ?? null,
    e.serviceAccount ?? null,
  ];
}

/** Columns every row has; the pod columns after them are left out when all null (~10 % of a row without a pod). */
const BASE_COLUMNS = 20;

/** A batch as the JSON text of its rows: a segment's `rows` column. */
export function encodeRows(batch: readonly QueryEvent[]): string {
  const rows = new Array<LoggedRow>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const row = queryLogRow(batch[i] as QueryEvent);
    while (row.length > BASE_COLUMNS && row[row.length - 1] === null) row.pop();
    rows[i] = row;
  }
  return JSON.stringify(rows);
}

export function decodeRows(rowsJson: string): QueryEvent[] {
  return (JSON.parse(rowsJson) as LoggedRow[]).map(eventFromRow);
}

function eventFromRow(row: LoggedRow): QueryEvent {
  return {
    ts: row[0],
    transport: row[1],
    clientIp: row[2],
    clientPort: row[3],
    agentId: row[4],
    group: row[5],
    tier: row[6],
    qname: row[7],
    qtype: row[8],
    decision: row[9],
    reason: row[10],
    ruleId: row[11],
    rcode: row[12],
    upstream: row[13],
    cached: row[14] === 1,
    answeredBy: row[15],
    latencyUs: row[16],
    reqBytes: row[17],
    respBytes: row[18],
    answers: row[19],
    namespace: row[20] ?? null,
    pod: row[21] ?? null,
    podUid: row[22] ?? null,
    serviceAccount: row[23] ?? null,
  };
}
