// Query events and alerts as NDJSON lines (stdout or a file) for SIEM shippers (Fluent Bit, Vector, Loki).
// The field set is a contract, documented in README "Logs for SIEMs": every line has "event" ("query" or
// "alert") and "schema"; fields are only ever added. Lines go through pino's asynchronous destination.
import { pino } from 'pino';
import type { EventConsumer } from '../model/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';
import { connectionJson, type ConnectionEvent } from '../model/connection-event.js';
import { alertJson, type AlertRecord } from '../model/alert.js';

/** Bumped only if a field changes meaning or is removed (never so far). */
export const NDJSON_SCHEMA = 1;

/** The query fields, in output order: exactly the QueryEvent fields, ts as ISO 8601. */
export const QUERY_FIELDS = [
  'ts',
  'transport',
  'clientIp',
  'clientPort',
  'agentId',
  'group',
  'tier',
  'qname',
  'qtype',
  'decision',
  'reason',
  'ruleId',
  'rcode',
  'upstream',
  'cached',
  'answeredBy',
  'latencyUs',
  'reqBytes',
  'respBytes',
  'answers',
  'namespace',
  'pod',
  'podUid',
  'serviceAccount',
] as const satisfies readonly (keyof QueryEvent)[];

/** An alert as the detection stage holds it (times in epoch ms, row id once stored); AlertState fits. */
export type AlertRecordInput = Readonly<AlertRecord> & { readonly dbId: number | null };

export function queryRecord(event: QueryEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { event: 'query', schema: NDJSON_SCHEMA };
  for (const field of QUERY_FIELDS)
    out[field] = field === 'ts' ? new Date(event.ts).toISOString() : (event[field] ?? null);
  return out;
}

/** The alert JSON shape of DESIGN.md (id, rule, severity, …, status) plus event/schema/ts. */
export function alertRecord(alert: AlertRecordInput): Record<string, unknown> {
  return {
    event: 'alert',
    schema: NDJSON_SCHEMA,
    ts: new Date(alert.lastSeenMs).toISOString(),
    ...alertJson(alert, alert.dbId ?? 0),
  };
}

export class NdjsonSink implements EventConsumer {
  private readonly out: ReturnType<typeof pino.destination>;

  /** `target` is "stdout" or a file path (appended to); write errors (full disk, closed pipe) go to `onError`. */
  constructor(target: string, onError: (error: Error) => void = () => undefined) {
    this.out = pino.destination(
      target === 'stdout' ? { fd: 1, sync: false } : { dest: target, mkdir: true, sync: false },
    );
    this.out.on('error', onError);
  }

  consume(batch: readonly QueryEvent[]): void {
    let text = '';
    for (const event of batch) text += `${JSON.stringify(queryRecord(event))}\n`;
    if (text !== '') this.out.write(text);
  }

  /** One line per alert created or updated; the latest line for an id is the alert's current state. */
  writeAlerts(alerts: readonly AlertRecordInput[]): void {
    let text = '';
    for (const alert of alerts) text += `${JSON.stringify(alertRecord(alert))}\n`;
    if (text !== '') this.out.write(text);
  }

  /** One line per logged connection (egress.conntrack): the ConnectionEvent JSON fields, "event": "connection". */
  writeConnections(events: readonly ConnectionEvent[]): void {
    let text = '';
    for (const e of events)
      text += `${JSON.stringify({ event: 'connection', schema: NDJSON_SCHEMA, ...connectionJson(e) })}\n`;
    if (text !== '') this.out.write(text);
  }

  close(): void {
    try {
      this.out.flushSync();
    } catch {
      // not yet open or already closed: asynchronous writes still drain before exit
    }
  }
}
