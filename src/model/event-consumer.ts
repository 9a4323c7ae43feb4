// EventConsumer: a stage behind the event queue (query-log writer, detection engine, metrics).
import type { QueryEvent } from './query-event.js';

export interface EventConsumer {
  /** Called off the answer path with events in arrival order; must not throw. */
  consume(batch: readonly QueryEvent[]): void;
  /** Flush and release resources on shutdown (a stage thread resolves once it has finished). */
  close?(): void | Promise<void>;
}
