// Query events as NDJSON lines (stdout or a file) for SIEM shippers; field names are the QueryEvent's.
import { pino, type Logger } from 'pino';
import type { EventConsumer } from '../events/event-consumer.js';
import type { QueryEvent } from '../model/query-event.js';

export class NdjsonSink implements EventConsumer {
  private readonly out: Logger;

  /** `target` is "stdout" or a file path (appended to). */
  constructor(target: string) {
    const destination = pino.destination(
      target === 'stdout' ? { fd: 1, sync: false } : { dest: target, mkdir: true, sync: false },
    );
    this.out = pino({ base: null, timestamp: false, messageKey: 'kind' }, destination);
  }

  consume(batch: readonly QueryEvent[]): void {
    for (const event of batch) this.out.info({ ...event, ts: new Date(event.ts).toISOString() }, 'query');
  }

  close(): void {
    this.out.flush();
  }
}
