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
import { describeStoreError, StoreHealth, type StoreWriteState } from '../store/store-health.js';
import { Backoff } from '../lib/backoff.js';
import { IntervalGate } from '../lib/interval-gate.js';
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
  /** Whether the last store writes succeeded, with the cause when not (/readyz). */
  readonly store: StoreWriteState;
}

/** Query events held for a locked database before the oldest are dropped (and counted). */
const MAX_HELD_EVENTS = 50_000;
const HELD_RETRY_MS = 500;
/** After a failed query-log write, batches are dropped (and counted) untried for a while: a database that is
 * away gets a reconnect attempt on this schedule, not one per batch. */
const WRITE_RETRY = { baseMs: 100, maxMs: 2000 } as const;

function isBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown }).code));
}

/** A failing store is logged at most once per interval per kind of write, with the cause and the count held. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

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
  /** Batches a lock held elsewhere kept out (SQLITE_BUSY): written before the next batch, at most MAX_HELD events. */
  private held: { batch: readonly QueryEvent[]; rowsJson: string }[] = [];
  private heldEvents = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly gate = new IntervalGate(FAILURE_LOG_INTERVAL_MS);
  private readonly writeRetry = new Backoff(WRITE_RETRY);
  /** performance.now() before which query-log writes are not tried (the store failed just before). */
  private writePausedUntil = 0;

  private constructor(
    private readonly storage: Store,
    settings: StageSettings,
    private readonly log: Logger,
    private readonly hooks: StageHooks,
    private readonly detector: DetectionConsumer | undefined,
    ndjson: NdjsonSink | undefined,
    private readonly health: StoreHealth,
  ) {
    this.stats = settings.store.queryLog ? { lagMs: 0, written: 0 } : undefined;
    this.ndjson = ndjson;
    this.hits = settings.store.allowlistHits
      ? new AllowlistHitRecorder(
          (rows) => storage.allowlistHits.add(rows),
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
    const health = new StoreHealth();
    const ndjson =
      config.ndjson === null
        ? undefined
        : new NdjsonSink(config.ndjson, (error) => log.error({ err: error }, 'NDJSON stream: write failed'));
    const detector = detection.enabled
      ? await createDetectionConsumer({
          alerts: store.alerts,
          config: detection,
          log,
          health,
          logIntervalMs: FAILURE_LOG_INTERVAL_MS,
          onAlerts: (alerts) => {
            ndjson?.writeAlerts(alerts);
            hooks.onAlerts(alerts);
          },
        })
      : undefined;
    return new Stages(store, settings, log, hooks, detector, ndjson, health);
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

  get store(): StoreWriteState {
    return this.health;
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

  /** Writes (or drops and counts) the batch's rows; false when a lock held elsewhere kept them out. */
  private async writeBatch(batch: readonly QueryEvent[], rowsJson: string): Promise<boolean> {
    if (performance.now() < this.writePausedUntil) {
      this.hooks.onLost(batch.length);
      return true;
    }
    try {
      if (!(await this.storage.queryLog.write(batch, rowsJson))) {
        this.hooks.onLost(batch.length);
        this.warnOnce('cap', {}, 'query log at its size cap: rows dropped');
      } else {
        this.health.succeeded();
        this.writeRetry.reset();
        if (this.stats && batch.length > 0) {
          this.stats.written += batch.length;
          this.stats.lagMs = Date.now() - (batch[batch.length - 1]?.ts ?? Date.now());
        }
      }
    } catch (error) {
      if (isBusy(error)) {
        // another process holds the lock (sqlite3, a backup): keep the rows and try again with the next batch
        this.warnOnce('busy', { cause: describeStoreError(error) }, 'query log: database locked; retrying');
        return false;
      }
      // a full disk, a database away must not take the resolver down: the rows are lost, and counted
      const cause = this.health.failed(error);
      this.hooks.onLost(batch.length);
      const retryMs = this.writeRetry.next();
      this.writePausedUntil = performance.now() + retryMs;
      this.warnOnce('write', { cause, lost: batch.length, retryMs }, 'query log write failed: rows dropped');
    }
    return true;
  }

  /** Writes the batches held back by a lock, oldest first; false while the lock is still held. */
  private async writeHeld(): Promise<boolean> {
    for (;;) {
      const [first] = this.held;
      if (first === undefined) return true;
      if (!(await this.writeBatch(first.batch, first.rowsJson))) return false;
      this.held.shift();
      this.heldEvents -= first.batch.length;
    }
  }

  private hold(batch: readonly QueryEvent[], rowsJson: string): void {
    // traffic may stop while the lock is held: retry on a timer too, not only with the next batch
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      this.chain = this.chain.then(async () => {
        if (!(await this.writeHeld())) this.hold([], '');
      });
    }, HELD_RETRY_MS).unref();
    if (batch.length === 0) return;
    this.held.push({ batch, rowsJson });
    this.heldEvents += batch.length;
    while (this.heldEvents > MAX_HELD_EVENTS) {
      const oldest = this.held.shift();
      if (oldest === undefined) break;
      this.heldEvents -= oldest.batch.length;
      this.hooks.onLost(oldest.batch.length);
    }
  }

  recordDrops(dropped: number): void {
    this.storage.queryLog.recordDrops(dropped, Date.now()).catch((error: unknown) => {
      const cause = this.health.failed(error);
      this.warnOnce('drops', { cause, dropped }, 'query log: drop count not written');
    });
  }

  prune(): void {
    this.storage.queryLog
      .prune(Date.now())
      .catch((error: unknown) =>
        this.log.error({ cause: this.health.failed(error) }, 'query log: retention prune failed'),
      );
  }

  /** Logs `msg` at most once per interval per key, saying how many times it was held back meanwhile. */
  private warnOnce(key: string, fields: object, msg: string): void {
    const held = this.gate.pass(key);
    if (held !== undefined) this.log.error({ ...fields, held }, msg);
  }

  async close(): Promise<void> {
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.chain;
    if (!(await this.writeHeld())) this.hooks.onLost(this.heldEvents);
    for (const consumer of this.others) consumer.close?.();
    await this.detector?.close();
  }

  private async run(batch: readonly QueryEvent[], rowsJson: string): Promise<void> {
    if (this.stats && !((await this.writeHeld()) && (await this.writeBatch(batch, rowsJson)))) {
      this.hold(batch, rowsJson);
    }
    for (const consumer of this.others) consumer.consume(batch);
    await this.detector?.consume(batch);
  }
}
