// The stages behind the event queue (query log, NDJSON, detection, allowlist hit counts), built the same way on the
// answer thread or on the stage thread. Metrics stay on the answer thread: their registry lives there.
import type { DetectionConfig } from '../config/sections/detection.js';
import type { StoreConfig } from '../config/sections/store.js';
import { createDetectionConsumer } from '../detect/consumer.js';
import type { AlertState } from '../model/alert.js';
import type { Logger } from '../log/logger.js';
import type { QueryEvent } from '../model/query-event.js';
import { AllowlistHitRecorder } from '../store/allowlist-hits.js';
import type { Db } from '../store/database.js';
import { NdjsonSink } from '../store/ndjson-sink.js';
import { encodeRows } from '../store/query-log-row.js';
import { QueryLogWriter } from '../store/query-log-writer.js';
import { describeStoreError, StoreHealth, type StoreWriteState } from '../store/store-health.js';
import { IntervalGate } from '../lib/interval-gate.js';
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

/** The stages after the query log: each finishes its work inside consume(), so closing is synchronous. */
interface InlineStage {
  consume(batch: readonly QueryEvent[]): void;
  close?(): void;
}

export class Stages implements StageSink {
  readonly backlog = 0;
  private readonly writer: QueryLogWriter | undefined;
  private readonly ndjson: NdjsonSink | undefined;
  private readonly hits: AllowlistHitRecorder | undefined;
  private readonly others: readonly InlineStage[];
  private readonly health = new StoreHealth();
  /** Batches a lock held elsewhere kept out (SQLITE_BUSY): written before the next batch, at most MAX_HELD events. */
  private held: { batch: readonly QueryEvent[]; rowsJson: string }[] = [];
  private heldEvents = 0;
  private retry: NodeJS.Timeout | undefined;
  private readonly gate = new IntervalGate(FAILURE_LOG_INTERVAL_MS);

  constructor(
    db: Db,
    settings: StageSettings,
    private readonly log: Logger,
    private readonly hooks: StageHooks,
  ) {
    const { store, detection } = settings;
    const maxBytes = store.queryLogMaxMiB === null ? null : store.queryLogMaxMiB * 1024 * 1024;
    this.writer = store.queryLog
      ? new QueryLogWriter(db, store.retentionDays * 86_400_000, maxBytes)
      : undefined;
    const ndjson =
      store.ndjson === null
        ? undefined
        : new NdjsonSink(store.ndjson, (error) => log.error({ err: error }, 'NDJSON stream: write failed'));
    this.ndjson = ndjson;
    this.hits = store.allowlistHits
      ? new AllowlistHitRecorder(db, (error) => log.warn({ err: error }, 'allowlist hit counts not stored'))
      : undefined;
    const detector = detection.enabled
      ? createDetectionConsumer({
          db,
          config: detection,
          log,
          health: this.health,
          logIntervalMs: FAILURE_LOG_INTERVAL_MS,
          onAlerts: (alerts) => {
            ndjson?.writeAlerts(alerts);
            hooks.onAlerts(alerts);
          },
        })
      : undefined;
    this.others = [ndjson, detector, this.hits].filter((c) => c !== undefined);
  }

  get queryLog(): StageStats['queryLog'] {
    return this.writer;
  }

  get allowlistHits(): StageStats['allowlistHits'] {
    return this.hits;
  }

  get store(): StoreWriteState {
    return this.health;
  }

  consume(batch: readonly QueryEvent[]): void {
    if (batch.length > 0) this.consumeEncoded(batch, this.writer ? encodeRows(batch) : '');
  }

  /** A batch whose rows the answer thread already encoded (the hand-off to the stage thread is that text). */
  consumeEncoded(batch: readonly QueryEvent[], rowsJson: string): void {
    if (!this.writeHeld() || !this.writeBatch(batch, rowsJson)) this.hold(batch, rowsJson);
    for (const consumer of this.others) consumer.consume(batch);
  }

  /** Writes (or drops and counts) the batch's rows; false when a lock held elsewhere kept them out. */
  private writeBatch(batch: readonly QueryEvent[], rowsJson: string): boolean {
    try {
      if (this.writer?.writeSegment(batch, rowsJson) === false) {
        this.hooks.onLost(batch.length);
        this.warnOnce('cap', { capped: this.writer.capped }, 'query log at its size cap: rows dropped');
      } else if (this.writer) this.health.succeeded();
    } catch (error) {
      if (isBusy(error)) {
        // another process holds the lock (sqlite3, a backup): keep the rows and try again with the next batch
        this.warnOnce('busy', { cause: describeStoreError(error) }, 'query log: database locked; retrying');
        return false;
      }
      // a full disk must not take the resolver down: the rows are lost, and counted
      const cause = this.health.failed(error);
      this.hooks.onLost(batch.length);
      this.warnOnce('write', { cause, lost: batch.length }, 'query log write failed: rows dropped');
    }
    return true;
  }

  /** Writes the batches held back by a lock, oldest first; false while the lock is still held. */
  private writeHeld(): boolean {
    for (;;) {
      const [first] = this.held;
      if (first === undefined) return true;
      if (!this.writeBatch(first.batch, first.rowsJson)) return false;
      this.held.shift();
      this.heldEvents -= first.batch.length;
    }
  }

  private hold(batch: readonly QueryEvent[], rowsJson: string): void {
    // traffic may stop while the lock is held: retry on a timer too, not only with the next batch
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      if (!this.writeHeld()) this.hold([], '');
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
    try {
      this.writer?.recordDrops(dropped);
    } catch (error) {
      const cause = this.health.failed(error);
      this.warnOnce('drops', { cause, dropped }, 'query log: drop count not written');
    }
  }

  prune(): void {
    try {
      this.writer?.prune();
    } catch (error) {
      this.log.error({ cause: this.health.failed(error) }, 'query log: retention prune failed');
    }
  }

  /** Logs `msg` at most once per interval per key, saying how many times it was held back meanwhile. */
  private warnOnce(key: string, fields: object, msg: string): void {
    const held = this.gate.pass(key);
    if (held !== undefined) this.log.error({ ...fields, held }, msg);
  }

  close(): void {
    clearTimeout(this.retry);
    if (!this.writeHeld()) this.hooks.onLost(this.heldEvents);
    for (const consumer of this.others) consumer.close?.();
  }
}
