// The stages behind the event queue (query log, NDJSON, detection, allowlist hit counts), built the same way on the
// answer thread or on the stage thread. Metrics stay on the answer thread: their registry lives there.
import type { DetectionConfig } from '../config/sections/detection.js';
import type { StoreConfig } from '../config/sections/store.js';
import { createDetectionConsumer, type DetectionConsumer } from '../detect/consumer.js';
import type { AlertState } from '../model/alert.js';
import type { Logger } from '../log/logger.js';
import type { QueryEvent } from '../model/query-event.js';
import { AllowlistHitRecorder } from '../store/allowlist-hits.js';
import { NdjsonSink } from '../store/ndjson-sink.js';
import { encodeRows } from '../store/query-log-row.js';
import type { Store } from '../store/store.js';
import type { EventConsumer } from '../model/event-consumer.js';

export interface StageSettings {
  readonly store: StoreConfig;
  readonly detection: DetectionConfig;
}

/** What metrics read of the stages, wherever they run. */
export interface StageStats {
  readonly queryLog: { readonly lagMs: number; readonly written: number } | undefined;
  readonly allowlistHits: { readonly failures: number } | undefined;
}

/** The stages as the event queue's consumer, inline or on the stage thread. */
export interface StageSink extends EventConsumer, StageStats {
  /** Events handed over and not yet processed (stage thread); counted against the queue's capacity. */
  readonly backlog: number;
  /** Records events the queue could not keep. */
  recordDrops(dropped: number): void;
  /** Deletes query-log segments past retention. */
  prune(): void;
  close(): void | Promise<void>;
}

export interface StageHooks {
  /** Every alert a detection batch stored (after it went to the NDJSON stream). */
  readonly onAlerts: (alerts: readonly AlertState[]) => void;
  /** Query events whose log rows could not be written: counted with the queue's drops. */
  readonly onLost: (count: number) => void;
}

/** The stages after the query log and detection: each finishes its work inside consume(), so closing is synchronous. */
interface InlineStage {
  consume(batch: readonly QueryEvent[]): void;
  close?(): void;
}

/**
 * The stages on one Store. Batches run one after another (a batch's alerts are stored before the next batch is
 * detected); `backlog` counts the events of batches not yet finished, so a slow or absent database fills the event
 * queue, which then drops and counts, and never the answer path.
 */
export class Stages implements StageSink {
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly stats: { lagMs: number; written: number } | undefined;
  private readonly ndjson: NdjsonSink | undefined;
  private readonly hits: AllowlistHitRecorder | undefined;
  private readonly others: readonly InlineStage[];

  private constructor(
    private readonly store: Store,
    settings: StageSettings,
    private readonly log: Logger,
    private readonly hooks: StageHooks,
    private readonly detector: DetectionConsumer | undefined,
    ndjson: NdjsonSink | undefined,
  ) {
    this.stats = settings.store.queryLog ? { lagMs: 0, written: 0 } : undefined;
    this.ndjson = ndjson;
    this.hits = settings.store.allowlistHits
      ? new AllowlistHitRecorder(
          (rows) => store.allowlistHits.add(rows),
          (error) => log.warn({ err: error }, 'allowlist hit counts not stored'),
        )
      : undefined;
    this.others = [ndjson, this.hits].filter((c) => c !== undefined);
  }

  /** Resolves once detection has reloaded the alerts and mutes it continues from. */
  static async create(
    store: Store,
    settings: StageSettings,
    log: Logger,
    hooks: StageHooks,
  ): Promise<Stages> {
    const { store: config, detection } = settings;
    const ndjson =
      config.ndjson === null
        ? undefined
        : new NdjsonSink(config.ndjson, (error) => log.error({ err: error }, 'NDJSON stream: write failed'));
    const detector = detection.enabled
      ? await createDetectionConsumer({
          alerts: store.alerts,
          config: detection,
          log,
          onAlerts: (alerts) => {
            ndjson?.writeAlerts(alerts);
            hooks.onAlerts(alerts);
          },
        })
      : undefined;
    return new Stages(store, settings, log, hooks, detector, ndjson);
  }

  get backlog(): number {
    return this.pending;
  }

  get queryLog(): StageStats['queryLog'] {
    return this.stats;
  }

  get allowlistHits(): StageStats['allowlistHits'] {
    return this.hits;
  }

  consume(batch: readonly QueryEvent[]): void {
    if (batch.length > 0) void this.consumeEncoded(batch, this.stats ? encodeRows(batch) : '');
  }

  /** A batch whose rows the answer thread already encoded; resolves when every stage has finished with it. */
  consumeEncoded(batch: readonly QueryEvent[], rowsJson: string): Promise<void> {
    this.pending += batch.length;
    const run = this.chain.then(() => this.run(batch, rowsJson));
    this.chain = run.finally(() => (this.pending -= batch.length));
    return this.chain;
  }

  /** Resolves once every batch handed over so far is finished. */
  idle(): Promise<void> {
    return this.chain;
  }

  recordDrops(dropped: number): void {
    this.store.queryLog
      .recordDrops(dropped, Date.now())
      .catch((error: unknown) =>
        this.log.error({ err: error, dropped }, 'query log: drop count not written'),
      );
  }

  prune(): void {
    this.store.queryLog
      .prune(Date.now())
      .catch((error: unknown) => this.log.error({ err: error }, 'query log: retention prune failed'));
  }

  async close(): Promise<void> {
    await this.chain;
    for (const consumer of this.others) consumer.close?.();
    this.detector?.close();
  }

  private async run(batch: readonly QueryEvent[], rowsJson: string): Promise<void> {
    if (this.stats) {
      try {
        await this.store.queryLog.write(batch, rowsJson);
        this.stats.written += batch.length;
        this.stats.lagMs = Date.now() - (batch[batch.length - 1]?.ts ?? Date.now());
      } catch (error) {
        // a full disk, a database locked too long or away must not take the resolver down: the rows are lost,
        // and counted
        this.log.error({ err: error, lost: batch.length }, 'query log: batch not written');
        this.hooks.onLost(batch.length);
      }
    }
    for (const consumer of this.others) consumer.consume(batch);
    await this.detector?.consume(batch);
  }
}
