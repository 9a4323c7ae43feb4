// Bounded hand-off from the answer path to the consumers: offer() never blocks; overflow is counted, never silent.
// Past half full, agents sending more than the average agent lose their events first (a flood cannot hide another
// agent's exfiltration); at capacity, everything new is dropped.
import type { QueryEvent } from '../model/query-event.js';
import type { EventConsumer } from '../model/event-consumer.js';
import { AgentShare } from './agent-share.js';

export interface EventQueueOptions {
  /** Events held here plus those handed to consumers and not yet processed (a stage thread's backlog). */
  readonly capacity: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  /** Called with the count of events dropped since the last report. */
  readonly onDrops?: (dropped: number) => void;
  /** Events consumers were handed and have not processed yet (default none: inline consumers finish at once). */
  readonly downstream?: () => number;
}

export class EventQueue {
  private buffer: QueryEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private unreportedDrops = 0;
  private readonly share = new AgentShare();
  /** Totals since start, for metrics and tests. */
  offered = 0;
  dropped = 0;
  delivered = 0;

  constructor(
    private readonly consumers: readonly EventConsumer[],
    private readonly options: EventQueueOptions,
  ) {}

  get backlog(): number {
    return this.buffer.length + (this.options.downstream?.() ?? 0);
  }

  offer(event: QueryEvent): void {
    this.offered++;
    this.share.count(event.agentId, event.ts);
    const backlog = this.backlog;
    if (
      backlog >= this.options.capacity ||
      (backlog * 2 >= this.options.capacity && this.share.aboveAverage(event.agentId))
    ) {
      this.countDrops(1);
    } else {
      this.buffer.push(event);
    }
    if (this.buffer.length >= this.options.batchSize) this.scheduleNow();
    else this.timer ??= setTimeout(() => this.drainStep(), this.options.flushIntervalMs);
  }

  /** Hands everything queued to the consumers, in order, at once (shutdown). */
  flush(): void {
    while (this.buffer.length > 0) this.deliverOne();
  }

  /**
   * One batch per turn of the event loop: queries that arrive meanwhile are answered between batches,
   * so a large backlog never stalls the answer path for long.
   */
  private drainStep(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduled = false;
    this.deliverOne();
    if (this.buffer.length > 0) this.scheduleNow();
  }

  private deliverOne(): void {
    if (this.unreportedDrops > 0) {
      this.options.onDrops?.(this.unreportedDrops);
      this.unreportedDrops = 0;
    }
    if (this.buffer.length === 0) return;
    const batch =
      this.buffer.length > this.options.batchSize
        ? this.buffer.splice(0, this.options.batchSize)
        : this.buffer;
    if (batch === this.buffer) this.buffer = [];
    for (const consumer of this.consumers) consumer.consume(batch);
    this.delivered += batch.length;
  }

  /** Events lost past the queue (a stage thread that died with batches in hand): counted like overflow. */
  countDrops(count: number): void {
    this.dropped += count;
    this.unreportedDrops += count;
  }

  async close(): Promise<void> {
    this.flush();
    if (this.unreportedDrops > 0) this.deliverOne();
    for (const consumer of this.consumers) await consumer.close?.();
  }

  private scheduleNow(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // after the current I/O callbacks, so answers already in hand go out first
    setImmediate(() => this.drainStep());
  }
}
